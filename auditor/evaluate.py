"""Runs every applicable check on every snapshot, then scores each tenant.

The engine, not the checks, turns unavailable data into UNKNOWN, a missing Azure estate into
NOT_APPLICABLE, a crash into ERROR, a covered FAIL into ACCEPTED and an attested MANUAL into PASS, so every
check gets those semantics the same way. The config's tenant references are bound to tenant ids first; one
that names no tenant of the run (or several) stops the evaluation with a ConfigError.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Callable, Iterable

from auditor import RULESET_VERSION, TOOL_NAME, __version__
from auditor.config import AuditConfig, CheckAttestation, ConfigError, RiskAcceptance, entry_location
from auditor.progress import NoProgress, Progress
from auditor.partner_context import partner_context
from auditor.registry import CheckContext, CheckSettings, CheckSpec, Outcome, PartnerContext, Registry
from auditor.results import (
    Acceptance,
    Attestation,
    AuditResults,
    CheckResult,
    FrameworkRef,
    ScoringRule,
    Status,
    TenantResult,
    ToolInfo,
)
from auditor.scoring import CURRENT_RULE, score_tenant
from auditor.snapshot import SUBSCRIPTION_SECTIONS, TenantKind, TenantSnapshot
from auditor.tenant_refs import bind_config, known_tenants, verified_domains


def _unavailable(spec: CheckSpec, snapshot: TenantSnapshot) -> Outcome | None:
    """UNKNOWN or NOT_APPLICABLE when the data a check needs is not there, else None."""
    needs_subscriptions = any(name in SUBSCRIPTION_SECTIONS for name in spec.needs)
    tenant_needs = [name for name in spec.needs if name not in SUBSCRIPTION_SECTIONS]
    if needs_subscriptions:
        tenant_needs.insert(0, "subscriptions")
    for name in dict.fromkeys(tenant_needs):
        section = snapshot.section(name)
        if not section.ok:
            reason = section.brief_reason or "no reason recorded"
            return Outcome(Status.UNKNOWN, f"Not evaluated: section {name} is {section.status.value} ({reason}).")
    if needs_subscriptions and not snapshot.data("subscriptions"):
        return Outcome(Status.NOT_APPLICABLE, "The tenant has no Azure subscriptions.")
    return None


def find_acceptance(
    acceptances: Iterable[RiskAcceptance], check_id: str, tenant_id: str
) -> RiskAcceptance | None:
    """The acceptance for this check and tenant; one naming the tenant wins over one for all tenants."""
    matching = [a for a in acceptances if a.check == check_id and a.covers(tenant_id)]
    matching.sort(key=lambda a: (a.tenant == "*", -a.expires.toordinal()))
    return matching[0] if matching else None


def find_attestation(
    attestations: Iterable[CheckAttestation], check_id: str, tenant_id: str
) -> CheckAttestation | None:
    """The attestation for this check and tenant: one naming the tenant wins over one for all tenants, then
    the most recent review."""
    matching = [a for a in attestations if a.check == check_id and a.covers(tenant_id)]
    matching.sort(key=lambda a: (a.tenant == "*", -a.reviewed.toordinal()))
    return matching[0] if matching else None


def _attested(outcome: Outcome, attestation: CheckAttestation, today) -> tuple[Outcome, Attestation]:
    """A MANUAL outcome with its attestation: PASS naming the reviewer and date while the attestation is
    younger than its validity, else still MANUAL with the expiry flagged."""
    expired = today > attestation.valid_until
    record = Attestation(reviewer=attestation.reviewer, reviewed=attestation.reviewed, note=attestation.note,
                         valid_until=attestation.valid_until, expired=expired)
    if expired:
        summary = (f"{outcome.summary} (The review attested by {attestation.reviewer} on "
                   f"{attestation.reviewed.isoformat()} expired after {attestation.valid_days} days.)")
        return Outcome(Status.MANUAL, summary, outcome.evidence, outcome.remediation), record
    note = f": {attestation.note.rstrip('.')}" if attestation.note else ""
    summary = (f"Reviewed and attested by {attestation.reviewer} on {attestation.reviewed.isoformat()}{note} "
               f"(valid until {attestation.valid_until.isoformat()}). {outcome.summary}")
    return Outcome(Status.PASS, summary, outcome.evidence, outcome.remediation), record


def run_check(
    spec: CheckSpec,
    snapshot: TenantSnapshot,
    ctx: CheckContext,
    acceptances: Iterable[RiskAcceptance] = (),
    attestations: Iterable[CheckAttestation] = (),
) -> CheckResult:
    outcome = _unavailable(spec, snapshot)
    if outcome is None:
        try:
            outcome = spec.run(snapshot, ctx)
            if not isinstance(outcome, Outcome):
                raise TypeError(f"returned {type(outcome).__name__}, not Outcome")
        except Exception as exc:  # a broken check must not stop the audit of the portfolio
            outcome = Outcome(Status.ERROR, f"The check crashed: {type(exc).__name__}: {exc}")

    attestation = None
    if outcome.status is Status.MANUAL:
        attested = find_attestation(attestations, spec.id, snapshot.tenant.id)
        if attested is not None:
            outcome, attestation = _attested(outcome, attested, ctx.now.date())

    status = outcome.status
    acceptance = None
    if status is Status.FAIL:
        accepted = find_acceptance(acceptances, spec.id, snapshot.tenant.id)
        if accepted is not None:
            expired = accepted.expires < ctx.now.date()
            acceptance = Acceptance(
                reason=accepted.reason, owner=accepted.owner, expires=accepted.expires, expired=expired
            )
            if not expired:
                status = Status.ACCEPTED

    return CheckResult(
        check_id=spec.id,
        title=spec.title,
        area=spec.area,
        severity=spec.severity,
        status=status,
        summary=outcome.summary,
        evidence=outcome.evidence,
        remediation=outcome.remediation or spec.remediation,
        references=list(spec.references),
        frameworks=[FrameworkRef(**control.as_dict()) for control in spec.frameworks],
        acceptance=acceptance,
        attestation=attestation,
    )


def evaluate_tenant(
    snapshot: TenantSnapshot,
    registry: Registry,
    now: datetime,
    settings: CheckSettings | None = None,
    acceptances: Iterable[RiskAcceptance] = (),
    tags: list[str] | None = None,
    attestations: Iterable[CheckAttestation] = (),
    rule: ScoringRule = CURRENT_RULE,
    partner: PartnerContext | None = None,
) -> TenantResult:
    """Every applicable check on one snapshot, scored under ``rule``. Acceptances and attestations name
    tenants by id here (auditor.tenant_refs binds the config's references first). ``partner`` is the run's
    PartnerContext (None: a context that knows no partner)."""
    ctx = CheckContext(now=now, settings=settings or CheckSettings(), partner=partner or PartnerContext())
    acceptances, attestations = list(acceptances), list(attestations)
    results = [
        run_check(spec, snapshot, ctx, acceptances, attestations)
        for spec in registry
        if spec.applies(snapshot.tenant.kind)
    ]
    score = score_tenant(results, rule)
    return TenantResult(
        tenant_id=snapshot.tenant.id,
        display_name=snapshot.tenant.display_name,
        default_domain=snapshot.tenant.default_domain,
        domains=verified_domains(snapshot),
        kind=snapshot.tenant.kind.value,
        tags=tags if tags is not None else list(snapshot.tenant.tags),
        collected_at=snapshot.collected_at,
        score=score.score,
        grade=score.grade,
        coverage=score.coverage,
        areas=score.areas,
        results=results,
    )


def evaluate(
    snapshots: Iterable[TenantSnapshot],
    registry: Registry,
    now: datetime,
    config: AuditConfig | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
    operator: str = "",
    partner_snapshot: TenantSnapshot | None = None,
    whole: Callable[[TenantSnapshot], TenantSnapshot] | None = None,
) -> AuditResults:
    """Evaluate and score every snapshot. ``config`` supplies per-tenant settings, the scoring rule, risk
    acceptances and attestations. Raises ConfigError for an acceptance or attestation whose tenant matches
    no tenant of the run (or several), or whose review date lies after the evaluation time.

    The partner's snapshot is evaluated first and gives every customer check the same PartnerContext
    (auditor.partner_context). ``partner_snapshot`` supplies that context when the partner is not among
    ``snapshots`` (a shard that does not hold the partner): it is read for context, not evaluated.
    ``whole`` turns an outline (auditor.snapshot.outline) into the complete snapshot for the time it is
    evaluated (auditor.selection.Selected.whole), so only one tenant's data is in memory at a time."""
    snapshots = list(snapshots)
    # The partner first: its facts are the context every customer check is judged against.
    snapshots.sort(key=lambda s: s.tenant.kind is not TenantKind.PARTNER)
    in_run = next((s for s in snapshots if s.tenant.kind is TenantKind.PARTNER), None)
    partner = partner_context(config, in_run or partner_snapshot)
    rule = config.scoring.rule() if config is not None else CURRENT_RULE
    if config is not None:
        config = bind_config(config, known_tenants(snapshots, config))
        _check_review_dates(config, now)
    progress = progress or NoProgress()
    progress.start(len(snapshots), "Evaluating")
    tenants: list[TenantResult] = []
    for snapshot in snapshots:
        tenant_id = snapshot.tenant.id
        if config is not None:
            settings = config.check_settings(tenant_id)
            acceptances, attestations = config.risk_acceptances, config.attestations
            tags = config.tags_of(tenant_id) or list(snapshot.tenant.tags)
        else:
            settings, acceptances, attestations, tags = CheckSettings(), [], [], list(snapshot.tenant.tags)
        complete = whole(snapshot) if whole is not None else snapshot
        tenant = evaluate_tenant(complete, registry, now, settings, acceptances, tags, attestations, rule, partner)
        del complete  # the next tenant's data replaces it, not joins it
        tenants.append(tenant)
        progress.advance(snapshot.tenant.display_name, failed=any(r.status is Status.ERROR for r in tenant.results))
    progress.finish()
    # The partner first, then customers by name: the order every report and export uses.
    tenants.sort(key=lambda t: (t.kind != "partner", t.display_name.lower()))
    return AuditResults(
        tool=ToolInfo(name=TOOL_NAME, version=__version__, ruleset_version=RULESET_VERSION),
        generated_at=now,
        run_id=run_id or uuid.uuid4().hex[:12],
        operator=operator,
        scoring=rule,
        tenants=tenants,
    )


def _check_review_dates(config: AuditConfig, now: datetime) -> None:
    """An attestation reviewed after the evaluation time is a typo (or a clock problem), not a review."""
    for index, attestation in enumerate(config.attestations):
        if attestation.reviewed > now.date():
            raise ConfigError(
                f"{entry_location(config, 'attestations', index)} (check {attestation.check}): reviewed "
                f"{attestation.reviewed.isoformat()} is after the evaluation date {now.date().isoformat()}"
            )

