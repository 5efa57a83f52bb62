"""One pydantic model per concept, shared by the rule files, the engine, the API and the CLI.

Pack files (rules/<pack>/*.yaml) are validated against the *File* models; a request is a
`Family`; an answer is a `Decision`. Keys are English (they match the HTTP contract), values
and texts are Swedish.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, model_validator

MAX_AGE_MONTHS = 216  # 18 år
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class Level(str, Enum):
    universell = "universell"
    selektiv = "selektiv"
    indikerad = "indikerad"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.universell: 0, Level.selektiv: 1, Level.indikerad: 2}


class Availability(str, Enum):
    finns = "finns"
    saknas = "saknas"
    okand = "okänd"


class AvailabilityStatus(str, Enum):
    """What an availability entry says; `planeras` (with planned_from) answers as saknas before
    that day and finns from it."""

    finns = "finns"
    saknas = "saknas"
    okand = "okänd"
    planeras = "planeras"


class AvailabilityBasis(str, Enum):
    """Why we believe an availability entry (CONTRACT v2 `availability_basis`)."""

    kalla = "källa"  # a named source states it for this kommun
    antagande = "antagande"  # inferred; the entry's reason says from what
    kommunens_uppgift = "kommunens uppgift"  # reported by the kommun itself


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    critical = "critical"


SEVERITY_RANK = {Severity.critical: 0, Severity.warning: 1, Severity.info: 2}


class Status(str, Enum):
    """Where a fact comes from: a named source states it, or it is our inference."""

    kalla = "källa"
    antagande = "antagande"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]


# --------------------------------------------------------------------------- pack files
class SourceRef(_Strict):
    """Where a rule or fact comes from: a document id from pack.yaml, and the passage."""

    document: Id
    section: str = Field(min_length=1)
    quote: str | None = None
    note: str | None = None


class SourceDocument(_Strict):
    id: Id
    title: str
    publisher: str
    year: int
    file: str | None = Field(
        default=None,
        description="Textfilens namn (t.ex. 000_79dce8e83c3f4b07.txt); `check --sources DIR` letar efter den i DIR",
    )
    url: str | None = None
    valid_from: dt.date | None = Field(default=None, description="För lagar: dagen lagen började gälla")
    valid_to: dt.date | None = Field(default=None, description="För lagar: sista dagen lagen gällde")


class PackMeta(_Strict):
    name: str = Field(min_length=1)
    edition: str = Field(min_length=1, description="Utgåva som redaktören sätter, t.ex. 2024.1")
    title: str
    region: str
    description: str | None = None
    sources: list[SourceDocument] = Field(min_length=1)


class Kommun(_Strict):
    code: Annotated[str, Field(pattern=r"^\d{4}$")]
    name: str = Field(min_length=1)
    lansdel: str | None = None
    lansdel_status: Status = Status.kalla
    lansdel_reason: str | None = Field(default=None, description="Varför länsdelen är ett antagande")
    aliases: list[str] = Field(default_factory=list)


class _Provenance(_Strict):
    """`källa` only where the cited passage states it; `antagande` needs its reason."""

    status: Status = Status.kalla
    assumptions: list[str] = Field(
        default_factory=list, description="Varför det är ett antagande (krävs när status är antagande)")

    @model_validator(mode="after")
    def _antagande_has_reason(self):
        if self.status == Status.antagande and not any(a.strip() for a in self.assumptions):
            raise ValueError("status antagande kräver en motivering under assumptions")
        return self


class AgeRange(_Strict):
    """Inclusive range in whole months. 'a–b år' is read as a*12 .. b*12+11, capped at 216
    (barn 3–12 år = 36..155: a twelve-year-old is included until the 13th birthday)."""

    min: StrictInt = Field(ge=0, le=MAX_AGE_MONTHS)
    max: StrictInt = Field(ge=0, le=MAX_AGE_MONTHS)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min > self.max:
            raise ValueError(f"åldersintervallet är omvänt: min {self.min} > max {self.max}")
        return self

    def contains(self, months: int) -> bool:
        return self.min <= months <= self.max


class Need(_Provenance):
    code: Id
    label: str = Field(min_length=1, description="Kort etikett som en förälder förstår")
    description: str | None = None
    group: str = "Övrigt"
    source: SourceRef | None = None
    age_months: AgeRange | None = Field(
        default=None, description="Åldrar där behovet kan finnas (kartläggningen); utelämnat: alla")
    expecting: bool = Field(default=True, description="Kan behovet finnas innan barnet är fött?")
    sensitive: bool = Field(default=False, description="Skyddsbehov: räknas i uppföljningen bara i en summa för hela länet")


class Insats(_Provenance):
    id: Id
    name: str = Field(min_length=1)
    level: Level
    age_months: AgeRange | None = None
    expecting: bool = False
    format: str | None = None
    provider: str | None = None
    description: str | None = None
    source: SourceRef


class Condition(_Strict):
    """A rule matches a family when every given part holds.

    Age: the family is expecting and `expecting` is true, or the child's age lies in
    `age_months`. Neither given: any age. `needs_any`: at least one; `needs_all`: every one.
    `kommuner`: empty means every kommun.
    """

    age_months: AgeRange | None = None
    expecting: bool = False
    needs_any: list[Id] = Field(default_factory=list)
    needs_all: list[Id] = Field(default_factory=list)
    kommuner: list[str] = Field(default_factory=list)


class PresentAs(str, Enum):
    """How a rule's insatser reach the answer: as recommendations to the family, or as programmes
    used in the län (a survey lists them; no passage recommends them to each family)."""

    rekommendation = "rekommendation"
    program_i_lanet = "program_i_lanet"


class NoticeTemplate(_Strict):
    severity: Severity
    text: str = Field(min_length=1)


class Rule(_Provenance):
    id: Id
    level: Level
    when: Condition = Field(default_factory=Condition)
    recommend: list[Id] = Field(default_factory=list)
    notice: NoticeTemplate | None = None
    present_as: PresentAs = Field(
        default=PresentAs.rekommendation,
        description="rekommendation: insatserna rekommenderas familjen; program_i_lanet: de visas som "
                    "program som används i länet, inte som rekommendationer")
    rationale: str = Field(min_length=1)
    source: SourceRef
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if not self.recommend and self.notice is None:
            raise ValueError("regeln rekommenderar ingen insats och ger inget meddelande")
        if self.present_as == PresentAs.program_i_lanet and (not self.recommend or self.notice is not None):
            raise ValueError("present_as: program_i_lanet kräver insatser under recommend och inget meddelande")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from ligger efter valid_to")
        return self

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class AvailabilityFacts(_Strict):
    """What is said about an insats in a kommun: status, its basis and reason, when verified."""

    status: AvailabilityStatus
    basis: AvailabilityBasis | None = None
    reason: str | None = None
    source: SourceRef | None = None
    verified: dt.date | None = None
    contact: str | None = Field(default=None, max_length=200)
    planned_from: dt.date | None = None
    target_groups: list[str] = Field(default_factory=list)


class AvailabilityEntry(AvailabilityFacts):
    """Is insats X offered in kommun K, and on what basis (shared interface 1)."""

    kommun: str
    insats: Id

    @model_validator(mode="before")
    @classmethod
    def _legacy_basis(cls, data):
        # v1 entries carried only a source: that is basis källa
        if isinstance(data, dict) and data.get("basis") is None and data.get("source") is not None \
                and data.get("status") not in (None, "okänd", AvailabilityStatus.okand):
            data = {**data, "basis": "källa"}
        return data

    @model_validator(mode="after")
    def _basis_shape(self) -> AvailabilityEntry:
        if self.status == AvailabilityStatus.okand:
            return self
        if self.basis is None:
            raise ValueError("ange basis (källa, antagande eller kommunens uppgift) när status inte är okänd")
        if self.basis == AvailabilityBasis.antagande and not (self.reason or "").strip():
            raise ValueError("basis antagande kräver en motivering (reason)")
        if self.basis == AvailabilityBasis.kalla and self.source is None:
            raise ValueError("basis källa kräver en källa (source)")
        if self.status == AvailabilityStatus.planeras and self.planned_from is None:
            raise ValueError("status planeras kräver planned_from (datum då insatsen startar)")
        return self

    def status_on(self, day: dt.date) -> Availability:
        if self.status == AvailabilityStatus.planeras:
            return Availability.finns if self.planned_from and day >= self.planned_from else Availability.saknas
        return Availability(self.status.value)


# --------------------------------------------------------------------------- request
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    """A request date is a `YYYY-MM-DD` string and nothing else: not a number of seconds
    (`0` would be 1970-01-01), not a date-time. Dates already parsed (Python callers) pass."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("ange datum som text på formen ÅÅÅÅ-MM-DD, t.ex. 2026-11-24 "
                     "/ give the date as a YYYY-MM-DD string")


def whole_number(value: object) -> object:
    """JSON Schema counts 5.0 as an integer: a whole float becomes an int (then checked strictly,
    so `true` and "5" stay refused); 5.5 is left for the strict check to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


AgeMonths = Annotated[StrictInt, Field(ge=0, le=MAX_AGE_MONTHS), BeforeValidator(whole_number)]
IsoDate = Annotated[dt.date | None, BeforeValidator(_iso_date_only)]


class Family(BaseModel):
    """What the caller tells about a family: nothing that identifies anyone."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kommun": "Nora", "age_months": 96, "needs": ["overvikt_fetma"]},
                {"kommun": "1880", "expecting": True},
            ]
        },
    )

    kommun: str = Field(
        min_length=1,
        max_length=60,
        description="Kommunens namn (valfri skiftläge, å ä ö valfritt) eller 4-siffrig kommunkod",
    )
    age_months: AgeMonths | None = Field(
        default=None, description="Barnets ålder i hela månader, 0–216"
    )
    expecting: StrictBool = Field(default=False, description="Blivande föräldrar (barnet är inte fött)")
    needs: list[Annotated[str, Field(max_length=60)]] = Field(
        default_factory=list, max_length=40, description="Identifierade behov, koder från GET /v1/needs"
    )
    date: Annotated[dt.date | None, BeforeValidator(_iso_date_only)] = Field(
        default=None, description="Dagen reglerna tillämpas för (YYYY-MM-DD); standard i dag")

    @model_validator(mode="after")
    def _age_or_expecting(self) -> Family:
        if self.age_months is None and not self.expecting:
            raise ValueError(
                "age_months: ange barnets ålder i månader (0–216) eller expecting=true "
                "/ give the child's age in months or expecting=true"
            )
        return self


class NormalizedFamily(_Strict):
    """A family after the pack resolved it: kommun code, known need codes, a date."""

    kommun: str
    age_months: int | None
    expecting: bool
    needs: frozenset[str]
    date: dt.date

    def cache_key(self) -> tuple:
        return (self.kommun, self.age_months, self.expecting, tuple(sorted(self.needs)), self.date)


# --------------------------------------------------------------------------- answer
class _Answer(BaseModel):
    """An answer part: frozen, because one instance is shared by many answers (engine/decision.py)."""

    model_config = ConfigDict(frozen=True)


class SourceOut(_Answer):
    document: str
    section: str
    title: str | None = None
    quote: str | None = None


class Reason(_Answer):
    """One rule that recommended the insats: why, and which of the family's needs led to it."""

    rule_id: str
    level: Level
    rationale: str
    triggered_by: list[str]
    source: SourceOut
    status: Status


class Recommendation(_Answer):
    insats_id: str
    name: str
    level: Level
    rule_id: str
    rule_ids: list[str]
    rationale: str
    source: SourceOut
    availability: Availability
    availability_basis: AvailabilityBasis | None = None
    availability_verified: dt.date | None = None
    availability_reason: str | None = None
    availability_source: SourceOut | None = None
    availability_planned_from: dt.date | None = None
    triggered_by: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    contact: str | None = None
    description: str | None = None
    format: str | None = None
    provider: str | None = None
    status: Status
    rule_basis: Status = Field(
        default=Status.kalla,
        description="källa: en regel som rekommenderar insatsen vilar på ett citerat ställe som säger det; "
                    "antagande: alla rekommenderande regler är regionens egen bedömning")
    rule_basis_reason: str | None = Field(
        default=None, description="Varför det är ett antagande (reglernas motivering under assumptions)")


class Notice(_Answer):
    severity: Severity
    text: str
    rule_id: str | None = None
    need: str | None = Field(default=None, description="Behovskoden meddelandet gäller, när det gäller ett behov")


class ProgramInLan(_Answer):
    """A programme used in the län (the county's survey of programmes): shown apart, never as a
    recommendation to the family."""

    insats_id: str
    name: str
    rule_id: str
    description: str | None = None
    format: str | None = None
    provider: str | None = None
    kommuner: list[str] = Field(
        default_factory=list,
        description="Kommuner där programmet enligt en källa eller kommunens uppgift ges; tom: inte känt")
    source: SourceOut
    status: Status


class RulesetInfo(_Answer):
    name: str
    version: str


class Decision(_Answer):
    level: Level
    recommendations: list[Recommendation]
    notices: list[Notice]
    ruleset: RulesetInfo
    programs_in_lan: list[ProgramInLan] = Field(
        default_factory=list, description="Program som används i länet för barnets ålder (inte rekommendationer)")


_SSN_RE = re.compile(r"(?<!\d)(?:\d{2})?(\d{2})(\d{2})(\d{2})\d{4}(?!\d)")
# Between digit groups, any run of these counts as a separator: dashes of every kind (Unicode
# category Pd and the minus sign), plus, dots, slashes, underscores and whitespace of every kind.
_SEPARATORS = "-+./_\u2212\u2044\u2215\u00b7"
_DIGIT_GROUP = re.compile(r"\d+")
# A canonical UUID (hookInstance, card and suggestion ids) is an opaque id, never a personnummer,
# though its hex groups may hold ten digits in a row joined by dashes.
_UUID = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])")


def _is_separator(ch: str) -> bool:
    return ch in _SEPARATORS or ch.isspace() or unicodedata.category(ch) in ("Pd", "Zs", "Zl", "Zp")


def _plain(text: str) -> str:
    """NFKC, format characters (zero-width space, soft hyphen, BOM, bidi marks …) removed and
    every decimal digit of any script as its ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        if cat == "Nd" and not ("0" <= ch <= "9"):
            out.append(str(unicodedata.digit(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _shaped(digits: str) -> bool:
    for m in _SSN_RE.finditer(digits):
        month, day = int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91):
            return True
    return False


def looks_like_personnummer(text: str) -> bool:
    """True for personnummer and samordningsnummer (day + 60), with or without century, in any
    spelling: 811218-9876, 8112189876, 19811218-9876, 811278-9876, 811218–9876 (en dash),
    811218.9876, 81 12 18-9876, with no-break or zero-width spaces, full-width digits …

    The text is normalised first (NFKC, format characters removed, digits of any script as
    ASCII). Then every chain of digit groups joined only by separators (any run of dashes, dots,
    slashes, underscores, plus signs and whitespace) is tried: each consecutive run of groups in
    the chain whose digits together are 10 or 12 long and shaped like a date of birth plus four
    digits is a personnummer. Dates ("2026-11-24"), kommunkoder ("1884") and ordinary numbers
    are not: they have too few digits or no valid month and day."""
    if len(text) < 10 or sum(map(str.isdigit, text)) < 10:  # the same test, without a generator per char
        return False
    text = _UUID.sub("#", _plain(text))
    if _shaped(text):
        return True
    groups = [(m.start(), m.end()) for m in _DIGIT_GROUP.finditer(text)]
    chain: list[str] = []
    previous_end = None
    for start, end in groups:
        joined = previous_end is not None and start > previous_end and all(
            _is_separator(ch) for ch in text[previous_end:start])
        if not joined:
            if _chain_shaped(chain):
                return True
            chain = []
        chain.append(text[start:end])
        previous_end = end
    return _chain_shaped(chain)


def _chain_shaped(chain: list[str]) -> bool:
    if len(chain) < 2:
        return False
    for i in range(len(chain)):
        digits = ""
        for j in range(i, len(chain)):
            digits += chain[j]
            if len(digits) > 12:
                break
            if j > i and len(digits) in (10, 12) and _shaped(digits):
                return True
    return False
