"""Statuses, severities, areas and the results document (results.json), the contract every later stage
(scoring, reports, history, exports) reads."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    ACCEPTED = "ACCEPTED"
    ERROR = "ERROR"


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
}

Evidence = dict[str, Any]


class Acceptance(BaseModel):
    """The risk acceptance that applied to (or expired on) a result."""

    reason: str
    owner: str
    expires: date
    expired: bool = False


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
    acceptance: Acceptance | None = None


class AreaScore(BaseModel):
    score: float | None
    coverage: float


class TenantResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    display_name: str
    default_domain: str = ""
    kind: str
    tags: list[str] = Field(default_factory=list)
    collected_at: datetime | None = None
    score: float | None
    grade: str
    coverage: float
    areas: dict[str, AreaScore]
    results: list[CheckResult]


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
    tenants: list[TenantResult]


class ResultsError(Exception):
    """A results file that cannot be read; one line naming the file and the field."""


def load_results(path: Path) -> AuditResults:
    """The results document at ``path``; ResultsError (one line naming the file) for any bytes, any size
    and any nesting that are not one."""
    from auditor.input_files import RESULTS_MAX_BYTES, InputFileError, decode_utf8, read_input

    try:
        text = decode_utf8(path, read_input(path, RESULTS_MAX_BYTES))
    except InputFileError as exc:
        raise ResultsError(str(exc)) from None
    try:
        return AuditResults.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ResultsError(f"{path}: field {location}: {first['msg']}") from None
