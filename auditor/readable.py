"""Which tenants of an audit could not be read at all, and why: the fact behind exit code 4.

A scheduler (cron, a pipeline) sees only the exit code. A tenant whose token request failed, or whose every
request failed, has no verdict worth the name: its report is a wall of UNKNOWN. Sections that Microsoft
answered with "forbidden", "not licensed" or "not found" are answers, and a tenant with any such answer
*was* read: missing permissions and licences are normal and never make a tenant unreadable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from auditor.snapshot import Section, SectionStatus, TenantSnapshot

# Statuses that mean "no answer from the service". Everything else (ok, forbidden, not_licensed,
# not_found) is an answer.
_NO_ANSWER = frozenset({SectionStatus.ERROR, SectionStatus.NOT_COLLECTED})


@dataclass(frozen=True)
class UnreadableTenant:
    """A tenant none of whose sections (tenant-level or per-subscription) got an answer.

    ``reason`` is the most frequent one-line error reason among its sections (the API's own text left out),
    or a fixed sentence when nothing was even attempted."""

    tenant_id: str
    display_name: str
    reason: str


def _all_sections(snapshot: TenantSnapshot) -> list[Section]:
    sections = list(snapshot.sections.values())
    for subscription in snapshot.azure_subscriptions:
        sections.extend(subscription.sections.values())
    return sections


def unreadable_reason(snapshot: TenantSnapshot) -> str | None:
    """Why ``snapshot``'s tenant could not be read at all, or None when any section got an answer."""
    sections = _all_sections(snapshot)
    if any(section.status not in _NO_ANSWER for section in sections):
        return None
    reasons = Counter(s.brief_reason for s in sections if s.status is SectionStatus.ERROR and s.brief_reason)
    if reasons:
        return reasons.most_common(1)[0][0]
    return "nothing was collected"


def unreadable_tenants(snapshots: Iterable[TenantSnapshot]) -> list[UnreadableTenant]:
    """The tenants among ``snapshots`` that could not be read at all, in the order given."""
    found = []
    for snapshot in snapshots:
        reason = unreadable_reason(snapshot)
        if reason is not None:
            found.append(UnreadableTenant(snapshot.tenant.id, snapshot.tenant.display_name, reason))
    return found
