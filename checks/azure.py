"""Shared logic of subscription-scoped checks: judge every Azure subscription, then combine the verdicts.

A subscription check decides one subscription at a time (a small ``judge`` function); this module walks
``snapshot.azure_subscriptions`` and combines the verdicts with one rule, so every Azure check reports the
same way:

- FAIL when any readable subscription fails (a known failure is worth reporting even while another
  subscription could not be read); the evidence names every failing subscription, and every unreadable one.
- else UNKNOWN when any subscription's section is not ``ok``, naming the section status and reason.
- else PASS.

The engine has already answered NOT_APPLICABLE (no subscriptions) and UNKNOWN (the ``subscriptions`` list
itself unreadable) before a check runs, as long as the check's ``needs`` names its per-subscription
section. This module is not a check module: it defines no ``@check``. It also holds the small readers
the Azure and partner checks share (ARM items and properties, Graph/ARM timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from auditor.registry import Outcome
from auditor.results import Evidence, Status
from auditor.snapshot import SUBSCRIPTION_SECTIONS, Section, SectionStatus, SubscriptionSnapshot, TenantSnapshot


@dataclass(frozen=True)
class Verdict:
    """One subscription's answer: PASS, FAIL or UNKNOWN, and one line saying why."""

    status: Status
    detail: str

    @classmethod
    def passed(cls, detail: str) -> "Verdict":
        return cls(Status.PASS, detail)

    @classmethod
    def failed(cls, detail: str) -> "Verdict":
        return cls(Status.FAIL, detail)

    @classmethod
    def unknown(cls, detail: str) -> "Verdict":
        return cls(Status.UNKNOWN, detail)


# Judges one subscription whose needed sections are all ok.
Judge = Callable[[SubscriptionSnapshot], Verdict]
# Optionally turns a section that is not ok into a verdict (DEF-1: "provider not registered" is a FAIL);
# returning None keeps the default, UNKNOWN.
MissingJudge = Callable[[SubscriptionSnapshot, str, Section], Verdict | None]


def subscription_label(subscription: SubscriptionSnapshot) -> str:
    name = subscription.display_name or subscription.subscription_id
    if name == subscription.subscription_id:
        return name
    return f"{name} ({subscription.subscription_id})"


def subscriptions_in_scope(snapshot: TenantSnapshot) -> list[SubscriptionSnapshot]:
    """The subscriptions to judge: every collected one, plus a stand-in (all sections not collected) for a
    subscription the ``subscriptions`` list names but the snapshot holds no data for, so it reads as
    UNKNOWN instead of silently passing."""
    collected = list(snapshot.azure_subscriptions)
    known = {s.subscription_id.lower() for s in collected}
    listed = snapshot.data_if_ok("subscriptions", []) or []
    for entry in listed:
        subscription_id = str(entry.get("subscriptionId") or str(entry.get("id", "")).rsplit("/", 1)[-1])
        if not subscription_id or subscription_id.lower() in known:
            continue
        known.add(subscription_id.lower())
        collected.append(_not_collected_stand_in(subscription_id, str(entry.get("displayName") or "")))
    return collected


def _not_collected_stand_in(subscription_id: str, display_name: str) -> SubscriptionSnapshot:
    reason = "listed by ARM but no per-subscription data is in the snapshot"
    return SubscriptionSnapshot(
        subscription_id=subscription_id,
        display_name=display_name,
        sections={name: Section.missing(SectionStatus.NOT_COLLECTED, reason) for name in SUBSCRIPTION_SECTIONS},
    )


def judge_subscription(
    subscription: SubscriptionSnapshot,
    sections: Sequence[str],
    judge: Judge,
    on_missing: MissingJudge | None = None,
) -> Verdict:
    for name in sections:
        section = subscription.sections.get(name) or Section.missing(
            SectionStatus.NOT_COLLECTED, f"section {name!r} is not collected by this tool"
        )
        if section.ok:
            continue
        if on_missing is not None:
            verdict = on_missing(subscription, name, section)
            if verdict is not None:
                return verdict
        reason = section.brief_reason or "no reason recorded"
        return Verdict.unknown(f"section {name} is {section.status.value} ({reason})")
    return judge(subscription)


def evidence_row(subscription: SubscriptionSnapshot, verdict: Verdict) -> Evidence:
    return {
        "subscription": subscription.display_name or subscription.subscription_id,
        "subscription_id": subscription.subscription_id,
        "result": verdict.status.value,
        "detail": verdict.detail,
    }


def combine(
    judged: Iterable[tuple[SubscriptionSnapshot, Verdict]],
    *,
    fails: str,
    passes: str,
) -> Outcome:
    """Combine per-subscription verdicts. ``fails`` and ``passes`` finish the summary sentence, e.g.
    fails="have no budget that notifies anyone", passes="have a budget that notifies a contact"."""
    judged = list(judged)
    total = len(judged)
    failing = [(s, v) for s, v in judged if v.status is Status.FAIL]
    unknown = [(s, v) for s, v in judged if v.status is Status.UNKNOWN]
    passing = [(s, v) for s, v in judged if v.status is Status.PASS]

    if failing:
        names = ", ".join(subscription_label(s) for s, _ in failing)
        summary = f"{len(failing)} of {total} subscription(s) {fails}: {names}."
        if unknown:
            summary += f" {len(unknown)} more could not be read."
        return Outcome(Status.FAIL, summary, [evidence_row(s, v) for s, v in failing + unknown])
    if unknown:
        reasons = "; ".join(f"{subscription_label(s)}: {v.detail}" for s, v in unknown)
        summary = f"{len(unknown)} of {total} subscription(s) could not be evaluated ({reasons})."
        if passing:
            summary += f" The other {len(passing)} {passes}."
        return Outcome(Status.UNKNOWN, summary, [evidence_row(s, v) for s, v in unknown + passing])
    if not judged:
        # The engine answers NOT_APPLICABLE before a check runs when the tenant has no subscriptions;
        # reaching this means the check was called directly, so say the same.
        return Outcome(Status.NOT_APPLICABLE, "The tenant has no Azure subscriptions.")
    return Outcome(Status.PASS, f"All {total} subscription(s) {passes}.", [evidence_row(s, v) for s, v in passing])


def evaluate_subscriptions(
    snapshot: TenantSnapshot,
    sections: Sequence[str],
    judge: Judge,
    *,
    fails: str,
    passes: str,
    on_missing: MissingJudge | None = None,
) -> Outcome:
    """Judge every subscription of the tenant on ``sections`` and combine the verdicts (see module doc)."""
    judged = [
        (subscription, judge_subscription(subscription, sections, judge, on_missing))
        for subscription in subscriptions_in_scope(snapshot)
    ]
    return combine(judged, fails=fails, passes=passes)


def first_working(
    items: Sequence[dict],
    problem: Callable[[dict], str | None],
    *,
    none: str,
    works: Callable[[dict], str],
    separator: str = "; ",
) -> Verdict:
    """One working item is enough (a budget, an anomaly alert, a security contact): PASS described by
    ``works`` for the first item without a ``problem``; FAIL saying ``none`` when there is no item, else
    listing every item's problem (joined by ``separator``)."""
    if not items:
        return Verdict.failed(none)
    problems = []
    for item in items:
        found = problem(item)
        if found is None:
            return Verdict.passed(works(item))
        problems.append(found)
    return Verdict.failed(separator.join(problems))


def arm_items(subscription: SubscriptionSnapshot, section: str) -> list[dict]:
    """The ARM objects of an ok per-subscription section (a list; anything else reads as empty)."""
    data = subscription.sections[section].data
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def properties(item: dict) -> dict:
    value = item.get("properties")
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> datetime | None:
    """A Graph DateTimeOffset or ARM timestamp ("2024-02-10T11:24:42.3148266Z") as an aware datetime, or
    None if absent or unreadable. A value without an offset is read as UTC, as both APIs document."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def newest(items: Sequence[dict], field: str) -> tuple[dict | None, str]:
    """The item whose ``field`` (a Graph/ARM timestamp) is the latest, chosen by that field and never by
    its place in the list (CHECKLIST.md, rules version 3: never rely on an undocumented order).

    Returns (item, "") when it can be chosen: the only item, or the latest of items that all carry a
    readable time. Returns (None, why) when the list is empty or several items exist and one has no
    readable time (then which one is the latest cannot be known)."""
    if not items:
        return None, "the list is empty"
    if len(items) == 1:
        return items[0], ""
    dated = [(parse_time(item.get(field)), item) for item in items]
    undated = sum(1 for moment, _ in dated if moment is None)
    if undated:
        return None, f"{undated} of {len(items)} items have no readable {field}, so the latest cannot be told"
    return max(dated, key=lambda pair: pair[0])[1], ""  # type: ignore[arg-type, return-value]


def ci_get(item: Any, key: str, default: Any = None) -> Any:
    """``item[key]`` matched case-insensitively. Microsoft's own ARM examples disagree on the casing of some
    field names (activity-log alert conditions read "field"/"equals" in one example, "Field"/"Equals" in
    another; see graph-examples/README.md), so ARM fields the Azure governance checks read go through here."""
    if not isinstance(item, dict):
        return default
    if key in item:
        return item[key]
    lowered = key.lower()
    for name, value in item.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return default


def ci_properties(item: Any) -> dict:
    value = ci_get(item, "properties")
    return value if isinstance(value, dict) else {}


def last_segment(resource_id: Any) -> str:
    """The last path segment of an ARM id ("/providers/.../roleDefinitions/8e3a..." -> "8e3a..."), lower-case
    for GUIDs compared across the two spellings ARM uses (with and without a subscription prefix)."""
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def subscription_scope_matches(scope: Any, subscription_id: str) -> bool:
    """Whether an ARM scope names exactly this subscription: "/subscriptions/{id}" or, as activity-log alerts
    write it, "subscriptions/{id}" without the leading slash; case-insensitive."""
    text = str(scope or "").strip().strip("/").lower()
    return text == f"subscriptions/{subscription_id.lower()}"


def covers_subscription(scope: Any, subscription_id: str) -> bool:
    """Whether a scope is the subscription or above it (a management group, the root "/")."""
    text = str(scope or "").strip().lower()
    if text in ("", "/"):
        return text == "/"
    return subscription_scope_matches(text, subscription_id) or text.lstrip("/").startswith(
        "providers/microsoft.management/managementgroups/")
