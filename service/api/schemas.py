"""The v1 API's response bodies as pydantic models: what /openapi.json documents. The bodies
themselves are built as bytes (routes.py, admin.py); these models only describe them."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from service.core.errors import ErrorBody


class RulesetOut(BaseModel):
    name: str
    version: str
    title: str | None = None


class NeedOut(BaseModel):
    code: str
    label: str
    description: str | None = None
    group: str
    status: str


class NeedsOut(BaseModel):
    ruleset: RulesetOut
    needs: list[NeedOut]


class KommunOut(BaseModel):
    code: str
    name: str
    lansdel: str | None = None
    lansdel_status: str
    aliases: list[str]


class KommunerOut(BaseModel):
    ruleset: RulesetOut
    kommuner: list[KommunOut]


class InsatsOut(BaseModel):
    id: str
    name: str
    level: str
    age_months: dict[str, int] | None = None
    expecting: bool
    format: str | None = None
    provider: str | None = None
    description: str | None = None
    source: dict[str, Any]
    status: str
    assumptions: list[str]
    availability: dict[str, str] = Field(description="Kommunkod → finns | saknas | okänd")


class InsatserOut(BaseModel):
    ruleset: RulesetOut
    insatser: list[InsatsOut]


class RuleOut(BaseModel):
    id: str
    level: str
    when: dict[str, Any]
    recommend: list[str]
    notice: dict[str, Any] | None = None
    rationale: str
    source: dict[str, Any]
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    valid_today: bool
    status: str
    file: str | None = None
    line: int | None = None


class RulesOut(BaseModel):
    ruleset: RulesetOut
    rules: list[RuleOut]


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    ruleset: RulesetOut
    rules: int
    reloads: int
    cds: dict[str, Any] | None = Field(default=None, description="Om CDS Hooks-anrop autentiseras (JWT)")


class ReloadOut(BaseModel):
    status: str = Field(examples=["omladdat"])
    message: str
    previous: RulesetOut
    ruleset: RulesetOut
    workers_switched: int = Field(description="Arbetsprocesser som bytt till det nya regelpaketet")
    workers: int = Field(description="Arbetsprocesser som körs")


class ReloadFailedOut(ErrorBody):
    pack_errors: list[str] = Field(description="Fel i regelpaketet som `fil:rad: meddelande`")
