"""Which licence service plans give a mailbox or Teams: ADM-3's answer, by `servicePlanId`.

The plan ids ship as data (checks/service_plans.toml) with their source, Microsoft's "Product names and
service plan identifiers for licensing", and the date of the table they were read from. A user's
`assignedPlans` entry names a `service` too, but a service name is too coarse: Microsoft Entra ID P1/P2
bring Exchange Foundation, an enabled plan of service `exchange` that gives no mailbox.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, field_validator

# The assignedPlans `service` values whose plans must be recognised (compared case-insensitively): an
# enabled plan of these services that the data file does not list cannot be judged.
JUDGED_SERVICES = {"exchange": "Exchange Online", "teamspaceapi": "Microsoft Teams"}
# "Warning" is the grace period after a subscription lapses: the service still works.
ACTIVE_CAPABILITY_STATUSES = frozenset({"enabled", "warning"})


class Gives(StrEnum):
    MAILBOX = "mailbox"
    TEAMS = "teams"
    NO_MAILBOX = "no_mailbox"
    NO_TEAMS = "no_teams"


class ServicePlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str  # the table's String ID (Service_Plan_Name), e.g. EXCHANGE_S_FOUNDATION
    friendly_name: str  # e.g. Exchange Foundation
    gives: Gives

    @field_validator("id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @property
    def label(self) -> str:
        """'Exchange Online (Plan 1) (EXCHANGE_S_STANDARD)' for evidence."""
        return f"{self.friendly_name} ({self.name})"


class PlanSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    page: str
    csv: str
    table_date: date
    checked: date


class PlanTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: PlanSource
    plan: tuple[ServicePlan, ...]

    def by_id(self) -> dict[str, ServicePlan]:
        return {p.id: p for p in self.plan}


@cache
def plan_table() -> PlanTable:
    """The bundled table (checks/service_plans.toml), validated. Raises pydantic.ValidationError or
    tomllib.TOMLDecodeError if the packaged file is damaged, which is a packaging bug, not tenant data."""
    text = resources.files("checks").joinpath("service_plans.toml").read_text(encoding="utf-8")
    return PlanTable.model_validate(tomllib.loads(text))


@dataclass(frozen=True)
class CollaborationPlans:
    """One user's enabled plans that give a mailbox or Teams, and those that cannot be judged."""

    found: tuple[str, ...]  # labels of plans giving a mailbox or Teams
    unrecognised: tuple[str, ...]  # 'exchange plan 1f2e...' for enabled plans of a judged service not in the table


def collaboration_plans(user: Mapping[str, Any]) -> CollaborationPlans:
    """Read a Graph user's `assignedPlans` (servicePlanId, service, capabilityStatus): the enabled (Enabled or
    Warning) plans that give a mailbox or Teams, named by the table, and the enabled plans of service
    `exchange` or `TeamspaceAPI` the table does not know. Plans of other services that the table does not
    list are ignored (SharePoint, Office apps, Entra ID...)."""
    known = plan_table().by_id()
    found: list[str] = []
    unrecognised: list[str] = []
    for entry in user.get("assignedPlans") or []:
        if str(entry.get("capabilityStatus") or "").lower() not in ACTIVE_CAPABILITY_STATUSES:
            continue
        plan_id = str(entry.get("servicePlanId") or "").lower()
        plan = known.get(plan_id)
        if plan is not None:
            if plan.gives in (Gives.MAILBOX, Gives.TEAMS):
                found.append(plan.label)
            continue
        service = str(entry.get("service") or "")
        if service.lower() in JUDGED_SERVICES:
            unrecognised.append(f"{service} plan {plan_id or '(no servicePlanId)'}")
    return CollaborationPlans(tuple(dict.fromkeys(found)), tuple(dict.fromkeys(unrecognised)))
