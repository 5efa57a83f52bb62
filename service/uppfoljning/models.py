"""The uppföljning tables (SQLAlchemy 2 typed models, on the workspace's Base and database).

Every table is a set of counters with a composite primary key: one row per distinct cell, never
one per registration. `behov` is '' for "no need" (a primary key column cannot be NULL); the
report turns it into null.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from service.workspace.models import Base


class UppfCell(Base):
    """Recommendations registered: period × kommun × åldersband × behov × nivå × insats × utfall."""

    __tablename__ = "uppf_cell"

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    kommunkod: Mapped[str] = mapped_column(String(4), primary_key=True)
    aldersband: Mapped[str] = mapped_column(String(8), primary_key=True)
    behov: Mapped[str] = mapped_column(String(80), primary_key=True)
    niva: Mapped[str] = mapped_column(String(12), primary_key=True)
    insats_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    utfall: Mapped[str] = mapped_column(String(12), primary_key=True)
    antal: Mapped[int] = mapped_column(BigInteger)


class UppfBedomning(Base):
    """Assessments registered (without a safeguarding need): period × kommun × åldersband."""

    __tablename__ = "uppf_bedomning"

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    kommunkod: Mapped[str] = mapped_column(String(4), primary_key=True)
    aldersband: Mapped[str] = mapped_column(String(8), primary_key=True)
    antal: Mapped[int] = mapped_column(BigInteger)


class UppfSkydd(Base):
    """Assessments with a safeguarding (sensitive) need: one län-wide total per period, nothing else."""

    __tablename__ = "uppf_skydd"

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    antal: Mapped[int] = mapped_column(BigInteger)


TABLES = (UppfCell, UppfBedomning, UppfSkydd)
