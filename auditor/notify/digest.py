"""The digest of a run: per tenant, what a partner needs to hear about since the tenant's previous audit.

Pure functions of results: the history store (auditor.notify.gather) finds the previous audit and what
changed (auditor.store.tenant_history, the same comparison `auditor diff` and the reports use), and this
module turns that into news:

- a grade that dropped: a worse letter, or a letter lost (the tenant became Incomplete);
- checks newly failing (FAIL now, not FAIL at the previous audit), the most severe first;
- a tenant that could not be read at all (auditor.readable, the fact behind exit code 4);
- risk acceptances and attestations in force that end within the channel's window (30 days by default),
  counted from the run's evaluation date; an acceptance on a check that no longer fails is not listed,
  since its end changes nothing;
- for the partner tenant, new Partner Center security alerts: active alerts in CON-3's evidence whose id
  was not in the evidence of the partner's previous audit (so on a first audit, or after an audit where
  CON-3 could not read the alerts, every active alert is new). Test alerts are never news.

A tenant's first audit has no previous one: nothing about it changed, so only the facts that need no
comparison (unreadable, expiring, partner alerts) can make news of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Iterable

from auditor.results import LETTER_GRADES, CheckResult, Severity, TenantResult
from auditor.trend import TenantChange

PARTNER_ALERTS_CHECK = "CON-3"  # its evidence lists the partner's active security alerts (checks/contacts.py)
TEST_ALERT_STATE = "test alert (ignored)"


@dataclass(frozen=True)
class CheckRef:
    check_id: str
    title: str
    severity: Severity

    @classmethod
    def of(cls, result: CheckResult) -> "CheckRef":
        return cls(result.check_id, result.title, result.severity)


@dataclass(frozen=True)
class Expiring:
    """A risk acceptance or attestation in force whose last day is ``until`` (``days_left`` from the
    run's evaluation date; 0 means it ends that day)."""

    check: CheckRef
    kind: str  # "risk acceptance" or "attestation"
    until: date
    days_left: int
    by: str  # the acceptance's owner, the attestation's reviewer


@dataclass(frozen=True)
class PartnerAlert:
    """One Partner Center security alert, as CON-3's evidence gives it."""

    alert_id: str
    name: str
    severity: str  # Partner Center's own word: high, medium, low, informational
    alert_type: str = ""
    customer_tenant_id: str = ""
    subscription_id: str = ""
    raised: str = ""  # ISO date-time, "" when unreadable
    state: str = ""  # CON-3's: overdue, within grace period, no readable time


@dataclass(frozen=True)
class TenantNews:
    tenant_id: str
    display_name: str
    kind: str
    tags: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    previous_run_id: str | None = None
    grade_before: str | None = None
    grade_now: str | None = None
    score_before: float | None = None
    score_now: float | None = None
    score_change: float | None = None
    newly_failing: tuple[CheckRef, ...] = ()
    unreadable: str | None = None  # why the tenant could not be read at all
    expiring: tuple[Expiring, ...] = ()
    new_alerts: tuple[PartnerAlert, ...] = ()

    @property
    def grade_dropped(self) -> bool:
        return grade_dropped(self.grade_before, self.grade_now)

    @property
    def has_news(self) -> bool:
        return bool(self.unreadable or self.grade_dropped or self.newly_failing or self.expiring or self.new_alerts)


@dataclass(frozen=True)
class Digest:
    run_id: str
    generated_at: datetime  # the run's evaluation time
    label: str | None = None
    tenants: tuple[TenantNews, ...] = ()  # every tenant of the run, in the run's order
    notes: tuple[str, ...] = field(default_factory=tuple)  # what the digest could not judge, in words

    @property
    def news(self) -> list[TenantNews]:
        return [tenant for tenant in self.tenants if tenant.has_news]

    @property
    def has_news(self) -> bool:
        return any(tenant.has_news for tenant in self.tenants)

    @property
    def name(self) -> str:
        """The run as people name it: its label, else its id."""
        return self.label or self.run_id


def grade_dropped(before: str | None, now: str | None) -> bool:
    """A worse letter (A best, F worst), or a letter lost to "Incomplete"; False without a previous grade."""
    if before not in LETTER_GRADES or now is None:
        return False
    if now not in LETTER_GRADES:
        return True
    return LETTER_GRADES.index(now) > LETTER_GRADES.index(before)


def _by_severity(refs: Iterable[CheckRef]) -> tuple[CheckRef, ...]:
    return tuple(sorted(refs, key=lambda ref: (ref.severity.rank, ref.check_id)))


def expiring_items(tenant: TenantResult, today: date) -> tuple[Expiring, ...]:
    """Every acceptance and attestation in force on ``today`` in a tenant's results, soonest end first.
    They are the config's entries as the evaluation bound them to this tenant (auditor.evaluate)."""
    found = []
    for result in tenant.results:
        acceptance, attestation = result.acceptance, result.attestation
        if acceptance is not None and not acceptance.expired and acceptance.expires >= today:
            found.append(Expiring(CheckRef.of(result), "risk acceptance", acceptance.expires,
                                  (acceptance.expires - today).days, acceptance.owner))
        if attestation is not None and not attestation.expired and attestation.valid_until >= today:
            found.append(Expiring(CheckRef.of(result), "attestation", attestation.valid_until,
                                  (attestation.valid_until - today).days, attestation.reviewer))
    return tuple(sorted(found, key=lambda item: (item.until, item.check.check_id)))


def _alert_key(row: dict) -> str:
    return str(row.get("alert_id") or f"{row.get('alert', '')}@{row.get('raised', '')}")


def _alert_rows(tenant: TenantResult | None) -> list[dict]:
    if tenant is None:
        return []
    for result in tenant.results:
        if result.check_id == PARTNER_ALERTS_CHECK:
            return [row for row in result.evidence if isinstance(row, dict)]
    return []


def new_partner_alerts(current: TenantResult, previous: TenantResult | None) -> tuple[PartnerAlert, ...]:
    """Active, non-test alerts in the current CON-3 evidence whose id was not in the previous audit's."""
    seen = {_alert_key(row) for row in _alert_rows(previous)}
    return tuple(
        PartnerAlert(
            alert_id=str(row.get("alert_id") or ""),
            name=str(row.get("alert") or ""),
            severity=str(row.get("severity") or ""),
            alert_type=str(row.get("type") or ""),
            customer_tenant_id=str(row.get("customer_tenant_id") or ""),
            subscription_id=str(row.get("subscription_id") or ""),
            raised=str(row.get("raised") or ""),
            state=str(row.get("state") or ""),
        )
        for row in _alert_rows(current)
        if row.get("state") != TEST_ALERT_STATE and _alert_key(row) not in seen
    )


def tenant_news(
    current: TenantResult,
    change: TenantChange | None,
    today: date,
    unreadable: str | None = None,
    previous: TenantResult | None = None,
) -> TenantNews:
    """The news of one tenant. ``change`` is auditor.store.tenant_history's entry for it (None: no history);
    ``previous`` the tenant's result at its previous audit (only read for the partner's alerts)."""
    before = None
    if change is not None and change.previous_run_id is not None:
        before = next((p for p in change.points if p.run_id == change.previous_run_id), None)
    failing = set(change.newly_failing) if change is not None else set()
    return TenantNews(
        tenant_id=current.tenant_id,
        display_name=current.display_name,
        kind=current.kind,
        tags=tuple(current.tags),
        domains=tuple(dict.fromkeys(d for d in [current.default_domain, *current.domains] if d)),
        previous_run_id=change.previous_run_id if change is not None else None,
        grade_before=before.grade if before is not None else None,
        grade_now=current.grade,
        score_before=before.score if before is not None else None,
        score_now=current.score,
        score_change=change.score_change if change is not None else None,
        newly_failing=_by_severity(CheckRef.of(r) for r in current.results if r.check_id in failing),
        unreadable=unreadable,
        expiring=expiring_items(current, today),
        new_alerts=new_partner_alerts(current, previous) if current.kind == "partner" else (),
    )


# --- one channel's share -----------------------------------------------------------------------------


def _alert_severity(word: str) -> Severity:
    """Partner Center's alert severity on our scale; "informational" and unknown words count as low."""
    try:
        return Severity(word.strip().lower())
    except ValueError:
        return Severity.LOW


def _wanted(tenant: TenantNews, references: list[str], tags: list[str]) -> bool:
    if not references and not tags:
        return True
    keys = {key.lower() for key in (tenant.tenant_id, tenant.display_name, *tenant.domains) if key}
    if any(reference.strip().lower() in keys for reference in references):
        return True
    return bool({t.lower() for t in tags} & {t.lower() for t in tenant.tags})


def for_channel(
    digest: Digest,
    tenants: list[str] | None = None,
    tags: list[str] | None = None,
    min_severity: Severity = Severity.LOW,
    expiry_days: int = 30,
) -> Digest:
    """The part of ``digest`` one channel receives: only the tenants named in ``tenants`` (id, domain or
    display name, without case) or carrying one of ``tags`` (all when both are empty); failing checks,
    expiring entries and alerts at or above ``min_severity``; entries ending within ``expiry_days``.
    Unreadable tenants and dropped grades are always kept."""
    floor = min_severity.rank
    kept = []
    for tenant in digest.tenants:
        if not _wanted(tenant, list(tenants or []), list(tags or [])):
            continue
        kept.append(replace(
            tenant,
            newly_failing=tuple(ref for ref in tenant.newly_failing if ref.severity.rank <= floor),
            expiring=tuple(item for item in tenant.expiring
                           if item.check.severity.rank <= floor and item.days_left <= expiry_days),
            new_alerts=tuple(alert for alert in tenant.new_alerts if _alert_severity(alert.severity).rank <= floor),
        ))
    return replace(digest, tenants=tuple(kept))
