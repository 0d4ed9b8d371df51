"""The action plan: which failing checks a customer fixes first, each written as an action with its
reason and its fix.

The priority rule (documented in docs/reports.md and tested in tests/test_report_priority.py), applied to
the failing checks (FAIL, including expired risk acceptances; accepted risks are out of the plan):

1. **Severity**: critical, then high, medium, low.
2. **Exposure**: identity gaps (MFA, privileged accounts, partner access) before hygiene (contacts and
   alerts, cost, Defender and any other area); then a gap that exposes every account (``tenant_wide``)
   before one that affects listed objects, and more affected admins, users or subscriptions (the offending
   rows of the evidence) before fewer.
3. **Effort**: a single setting (low) before a change per object (medium) before a project (high).
4. The check id, so the order is stable.

The same order drives the scorecard's findings section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from auditor.registry import Effort
from auditor.report.evidence import exposure
from auditor.report.formatting import first_sentences
from auditor.report.wording import customer_text, split_remediation
from auditor.results import CheckResult, Status

IDENTITY_AREAS = frozenset({"mfa", "admins", "partner"})  # Area values: accounts and who may act as admin
ACTIONS_SHOWN = 5  # the executive page names at most this many actions


@dataclass(frozen=True)
class CheckTexts:
    """What the check's spec says beyond the result: why it matters and how it enters the action plan."""

    why: str = ""
    action: str = ""
    fix: str = ""
    effort: Effort = Effort.MEDIUM
    tenant_wide: bool = False


def check_texts() -> dict[str, CheckTexts]:
    """check id → its texts, from the installed checks; empty when they cannot be loaded (the report then
    falls back on what results.json holds: the title and the remediation)."""
    from auditor.registry import Registry, RegistryError

    try:
        return {
            spec.id: CheckTexts(spec.rationale, spec.action, spec.fix, spec.effort, spec.tenant_wide)
            for spec in Registry.from_entry_points()
        }
    except RegistryError:
        return {}


def exposure_key(result: CheckResult, texts: CheckTexts | None) -> tuple[int, float]:
    identity = 0 if result.area.value in IDENTITY_AREAS else 1
    affected = math.inf if texts is not None and texts.tenant_wide else exposure(result.evidence)
    return identity, -affected


def priority_key(result: CheckResult, texts: CheckTexts | None) -> tuple:
    """The sort key of the priority rule (module docstring); smaller comes first."""
    effort = (texts.effort if texts is not None else Effort.MEDIUM).rank
    return (result.severity.rank, *exposure_key(result, texts), effort, result.check_id)


def prioritised(results: Iterable[CheckResult], texts: dict[str, CheckTexts]) -> list[CheckResult]:
    """``results`` in the order of the priority rule."""
    return sorted(results, key=lambda r: priority_key(r, texts.get(r.check_id)))


def needs_action(result: CheckResult) -> bool:
    return result.status is Status.FAIL


@dataclass(frozen=True)
class Action:
    """One entry of the action plan, in customer words."""

    result: CheckResult
    anchor: str
    action: str
    reason: str
    fix: str
    affected: int


def action_for(result: CheckResult, texts: CheckTexts | None, anchor: str) -> Action:
    """The action of a failing check: its instruction, its reason (why it matters, first sentence) and the
    fix in one or two sentences, never a partner hint or an API word."""
    texts = texts or CheckTexts()
    customer_remediation, _ = split_remediation(result.remediation)
    fix = texts.fix or first_sentences(customer_remediation)
    reason = first_sentences(texts.why, 220) if texts.why else result.summary
    return Action(
        result=result,
        anchor=anchor,
        action=customer_text(texts.action or result.title),
        reason=customer_text(reason),
        fix=customer_text(fix),
        affected=exposure(result.evidence),
    )
