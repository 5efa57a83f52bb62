"""The follow-up round's questions, `uppfoljning.yaml`: what each kommun is asked about its
organisation in an uppföljningsomgång (issue 20), as pack content.

Optional: a pack without the file asks nothing. Each question has an id, a Swedish text, the
strategy's målområde (1–3) it follows up, an answer kind, and the passage it follows up
(`source`, whose quote `check --sources` finds verbatim in the document). The questions are
about the kommun's organisation, never about a family; an answer of kind `text` is short.
Errors are `file:line: message` like every other pack file, collected into the loader's list.
"""
from __future__ import annotations

from collections.abc import Collection
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import messages
from .models import Id, SourceRef
from .yamlfile import PackError, _read_yaml, _validate

FILE = "uppfoljning.yaml"
TEXT_MAX = 1000  # the longest a text answer may ever be (a question may set less)


class AnswerKind(str, Enum):
    ja_nej = "ja_nej"
    ja_nej_delvis = "ja_nej_delvis"
    antal = "antal"  # a whole number, 0–100000
    text = "text"  # a short text about the organisation

    @property
    def choices(self) -> tuple[str, ...]:
        return {"ja_nej": ("ja", "nej"), "ja_nej_delvis": ("ja", "delvis", "nej")}.get(self.value, ())


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    text: str = Field(min_length=1, max_length=400)
    malomrade: int = Field(ge=1, le=3, description="Strategins målområde (1–3) som frågan följer upp")
    answer: AnswerKind
    max_length: int = Field(default=500, ge=1, le=TEXT_MAX, description="För svar av typen text: högst så många tecken")
    help: str | None = Field(default=None, max_length=400)
    source: SourceRef

    @model_validator(mode="after")
    def _quoted(self) -> Question:
        if not (self.source.quote or "").strip():
            raise ValueError("source.quote: en fråga ska citera stället i källan som den följer upp")
        return self


class QuestionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage: str | None = None
    questions: list[Question] = Field(default_factory=list)


def _positions(data, count: int) -> list[int]:
    """The file positions of the valid questions: after an invalid one the loaded list is shorter
    than the file's (yamlfile._salvage keeps only valid items), so positions are not indices."""
    raw = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(raw, list) or len(raw) == count:
        return list(range(count))
    out = []
    for j, item in enumerate(raw):
        try:
            Question.model_validate(item)
        except ValueError:
            continue
        out.append(j)
    return out


def load_questions(directory: Path, doc_ids: Collection[str], errors: list[PackError]) -> dict[str, Question]:
    """Read FILE (if present): the questions by id, in file order. `doc_ids` are the source
    documents pack.yaml lists (a collection holding every id when pack.yaml is broken); errors
    are appended, never raised."""
    questions: dict[str, Question] = {}
    path = directory / FILE
    if not path.exists() and not path.is_symlink():
        return questions
    read = _read_yaml(path, FILE, errors)
    if read is None:
        return questions
    data, located = read
    parsed = _validate(QuestionsFile, FILE, data, located, errors)
    if parsed is None:
        return questions
    for i, q in zip(_positions(data, len(parsed.questions)), parsed.questions):
        line = located.line_of(("questions", i))
        if q.id in questions:
            errors.append(PackError(FILE, line, f"frågan '{q.id}' finns redan"))
            continue
        if q.source.document not in doc_ids:
            errors.append(PackError(FILE, located.line_of(("questions", i, "source", "document")),
                                    f"okänt källdokument '{q.source.document}'"
                                    f"{messages.suggestion(q.source.document, doc_ids)}"))
        questions[q.id] = q
    return questions
