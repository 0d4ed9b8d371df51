"""Statuses, severities, areas and the results document (results.json), the contract every later stage
(scoring, reports, history, exports) reads. Also the one vocabulary every output uses (status labels, area
titles, the "Incomplete" grade) and the one rounding rule for scores, coverage and score changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    ACCEPTED = "ACCEPTED"
    ERROR = "ERROR"


    @property
    def label(self) -> str:
        """The friendlier word the reports use; data outputs carry it beside the code."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.PASS: "Pass",
    Status.FAIL: "Fail",
    Status.MANUAL: "Review",
    Status.UNKNOWN: "Unknown",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.ACCEPTED: "Accepted risk",
    Status.ERROR: "Error",
}


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHTS[self]

    @property
    def rank(self) -> int:
        """0 for the most severe, for sorting."""
        return list(Severity).index(self)


SEVERITY_WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 6,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
}


class Area(StrEnum):
    MFA = "mfa"
    ADMINS = "admins"
    PARTNER = "partner"
    CONTACTS = "contacts"
    COST = "cost"
    DEFENDER = "defender"
    AZURE = "azure"

    @property
    def title(self) -> str:
        return AREA_TITLES[self]


AREA_TITLES: dict[Area, str] = {
    Area.MFA: "MFA enforcement",
    Area.ADMINS: "Privileged accounts",
    Area.PARTNER: "Partner access (DAP/GDAP)",
    Area.CONTACTS: "Security contacts and alerts",
    Area.COST: "Cost alerts",
    Area.DEFENDER: "Defender",
    Area.AZURE: "Azure governance",
}

Evidence = dict[str, Any]

LETTER_GRADES = ("A", "B", "C", "D", "F")
# The grade of a tenant (or area) whose weighted coverage is below the floor, or with nothing scored at all:
# it keeps its score, but a letter would claim more than the audit could see.
INCOMPLETE = "Incomplete"


def is_letter_grade(grade: str) -> bool:
    return grade in LETTER_GRADES


def round_half_up(value: float, digits: int = 1) -> float:
    """The one rounding rule of every output: half away from zero on the decimal figure (Python's round()
    turns 68.25 into 68.2). Scores and score changes use 1 digit; coverage fractions 3 (one decimal of a
    percentage)."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def score_change(current: float | None, previous: float | None) -> float | None:
    """current − previous, computed from the rounded scores every output shows, so a change always equals
    the difference of the two figures printed beside it; None when either is missing."""
    if current is None or previous is None:
        return None
    return round_half_up(round_half_up(current) - round_half_up(previous))


def fmt_score(score: float | None) -> str:
    """A score as every output prints it: one decimal ("87.5"); "–" when nothing is scored."""
    return "–" if score is None else f"{round_half_up(score):.1f}"


def fmt_coverage(fraction: float | None) -> str:
    """A coverage fraction as a percentage with one decimal ("63.3%")."""
    return "–" if fraction is None else f"{round_half_up(fraction * 100):.1f}%"


class AcceptedRisk(StrEnum):
    """How an ACCEPTED result counts (CHECKLIST.md "Scoring, version 3")."""

    COUNTED = "counted"  # version 3: earns no points, in the denominator like a FAIL; a critical one caps at D
    EXCLUDED = "excluded"  # the old rule, by choice: outside the score and the coverage


class ScoringRule(BaseModel):
    """The scoring rule a run applied; results.json, the history and every report say which."""

    model_config = ConfigDict(frozen=True)

    version: int = 3
    accepted_risk: AcceptedRisk = AcceptedRisk.COUNTED
    min_coverage: float = Field(0.75, ge=0, le=1)  # weighted coverage below which there is no letter grade

    def describe(self) -> str:
        """One line for data outputs and the CLI."""
        accepted = {
            AcceptedRisk.COUNTED: "accepted risks count as not met",
            AcceptedRisk.EXCLUDED: "accepted risks excluded from the score",
        }[self.accepted_risk]
        floor = (f"no grade below {fmt_coverage(self.min_coverage)} coverage" if self.min_coverage
                 else "no coverage floor")
        return f"scoring version {self.version}: {accepted}; {floor}"

    def accepted_sentence(self) -> str:
        """How accepted risks count, in words a customer reads."""
        if self.accepted_risk is AcceptedRisk.COUNTED:
            return ("An accepted risk earns no points: it counts like a failing check (the risk is still there), "
                    "and an accepted critical check limits the grade to D; accepting it takes it out of the "
                    "action plan and records who decided, why and until when.")
        choice = "at the partner's choice" if self.version >= 3 else "the rule before scoring version 3"
        return (f"Accepted risks are left out of the score and the coverage until they expire ({choice}); an "
                "accepted critical check does not limit the grade.")


# Results written before scoring version 3 (rule sets before checklist version 3) were scored this way.
LEGACY_SCORING = ScoringRule(version=2, accepted_risk=AcceptedRisk.EXCLUDED, min_coverage=0.0)


class Acceptance(BaseModel):
    """The risk acceptance that applied to (or expired on) a result."""

    reason: str
    owner: str
    expires: date
    expired: bool = False


class Attestation(BaseModel):
    """The attestation that turned a MANUAL result into PASS (or that expired on it)."""

    reviewer: str
    reviewed: date
    note: str = ""
    valid_until: date
    expired: bool = False


class FrameworkRef(BaseModel):
    """A framework control the check gives evidence for (auditor/frameworks.toml), as results.json carries it."""

    framework: str
    version: str
    control: str
    title: str


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    check_id: str
    title: str
    area: Area
    severity: Severity
    status: Status
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    remediation: str = ""
    references: list[str] = Field(default_factory=list)
    frameworks: list[FrameworkRef] = Field(default_factory=list)  # empty in results written before issue 15
    acceptance: Acceptance | None = None
    attestation: Attestation | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        """The word the reports print for ``status`` (carried beside the code in every data output)."""
        return self.status.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def area_title(self) -> str:
        """The area's title as the reports print it (beside the code ``area``)."""
        return self.area.title


class AreaScore(BaseModel):
    score: float | None
    coverage: float
    grade: str = ""  # a letter, or INCOMPLETE; "" in results written before scoring version 3

    @property
    def incomplete(self) -> bool:
        return self.score is None or self.grade == INCOMPLETE


class TenantResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    display_name: str
    default_domain: str = ""
    domains: list[str] = Field(default_factory=list)  # every verified domain, when the organization was read
    kind: str
    tags: list[str] = Field(default_factory=list)
    collected_at: datetime | None = None
    score: float | None
    grade: str
    coverage: float
    areas: dict[str, AreaScore]
    results: list[CheckResult]

    @property
    def incomplete(self) -> bool:
        """No letter grade: coverage below the floor, or nothing scored."""
        return not is_letter_grade(self.grade)


class ToolInfo(BaseModel):
    name: str
    version: str
    ruleset_version: str


class AuditResults(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tool: ToolInfo
    generated_at: datetime
    run_id: str = ""
    operator: str = ""
    scoring: ScoringRule = Field(default_factory=ScoringRule)
    tenants: list[TenantResult]

    @model_validator(mode="before")
    @classmethod
    def _legacy_scoring(cls, data: Any) -> Any:
        # Results of a rule set before checklist version 3 carry no scoring rule: they were scored the old way.
        if isinstance(data, dict) and data.get("scoring") is None:
            tool = data.get("tool")
            version = tool.get("ruleset_version") if isinstance(tool, dict) else getattr(tool, "ruleset_version", "")
            if not str(version or "").isdigit() or int(version) < 3:
                data = {**data, "scoring": LEGACY_SCORING}
        return data


def ruleset_label(version: str) -> str:
    """The checklist version as a customer reads it: "Checklist version 3, November 2026". Rule sets named
    before plain versions ("2026.11-wave1") were checklist version 2."""
    from auditor import RULESET_DATE, RULESET_VERSION

    version = str(version)
    if not version.isdigit():
        return "Checklist version 2" if "wave1" in version else f"Checklist version {version}"
    return f"Checklist version {version}" + (f", {RULESET_DATE}" if version == RULESET_VERSION else "")


class ResultsError(Exception):
    """A results file that cannot be read; one line naming the file and the field."""


def load_results(path: Path) -> AuditResults:
    """The results document at ``path``; ResultsError (one line naming the file) for any bytes, any size
    and any nesting that are not one."""
    from auditor.input_files import RESULTS_MAX_BYTES, InputFileError, decode_utf8, read_input, validation_error_line

    try:
        text = decode_utf8(path, read_input(path, RESULTS_MAX_BYTES))
    except InputFileError as exc:
        raise ResultsError(str(exc)) from None
    if not text.strip():
        raise ResultsError(f"{path}: the file is empty, not a results file")
    try:
        return AuditResults.model_validate_json(text)
    except ValidationError as exc:
        raise ResultsError(validation_error_line(path, exc, "a results file")) from None
