"""The sentences of the customer scorecard that depend on the scoring rule: the executive summary, what the
statuses mean, and, for a tenant without a grade, what could not be assessed and why, in plain words.

A summary must never flatter: a tenant graded "Incomplete" is never called strong, whatever its score on
the little that could be read; the summary says how much was assessed and what the audit was missing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable

from auditor.results import (
    INCOMPLETE,
    AcceptedRisk,
    CheckResult,
    ScoringRule,
    Severity,
    Status,
    TenantResult,
    fmt_coverage,
    fmt_score,
)

if TYPE_CHECKING:
    from auditor.report.unknowns import UnknownItem

VERDICTS = {
    "A": "strong: the important protections are in place",
    "B": "good, with a few gaps worth closing",
    "C": "fair: there are gaps an attacker could use",
    "D": "weak: important protections are missing",
    "F": "poor: several basic protections are missing",
}

# Why data could not be read, as a customer says it; keyed by the UnknownItem problem label.
_PROBLEM_WORDS = {
    "Permission missing": "the audit app was not given permission to read it",
    "Licence missing": "the tenant does not have the licence it needs",
    "Collection error": "Microsoft's service returned an error while it was read",
    "Not collected": "it was not collected in this audit",
    "Not found": "it was not found in the tenant",
}


def status_meanings(rule: ScoringRule) -> dict[Status, str]:
    """What each status means for the customer, under the scoring rule the report was computed with."""
    accepted = (
        "A failing control the organisation has formally accepted, with an owner and an expiry date. It earns no "
        "points (the risk is still there) but leaves the action plan until it expires."
        if rule.accepted_risk is AcceptedRisk.COUNTED
        else "A failing control the organisation has formally accepted, with an owner and an expiry date; outside "
             "the score until it expires."
    )
    return {
        Status.PASS: "The control is in place (for a review: a named person reviewed it recently).",
        Status.FAIL: "The control is missing or incomplete; the finding says what to fix.",
        Status.MANUAL: "A person must review the listed evidence; outside the score until someone attests the "
                       "review.",
        Status.UNKNOWN: "The data needed was not available (a permission or licence is missing); outside the score, "
                        "never counted as a pass or a fail.",
        Status.NOT_APPLICABLE: "The check does not apply to this tenant (for example, no Azure subscriptions).",
        Status.ACCEPTED: accepted,
        Status.ERROR: "The check itself could not complete; outside the score. If it repeats in the next audit, "
                      "report it to the tool's maintainers.",
    }


def _need(remedy: str) -> str:
    """"Grant the audit app the permission X (admin consent)" → "the permission X", and the like."""
    text = re.sub(r"^(Grant|Assign) the audit app ", "", remedy.strip())
    text = re.sub(r"\s*\(admin consent\)$", "", text)
    text = re.sub(r"^A (.+?) licence in the tenant$", r"a \1 licence", text)
    text = re.sub(r"^Microsoft Graph permission ", "the Microsoft Graph permission ", text)
    return text[:1].lower() + text[1:] if not text.startswith(("Azure", "Microsoft")) else text


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def coverage_gaps(unknown: Iterable["UnknownItem"], results: Iterable[CheckResult]) -> list[str]:
    """Sentences naming what could not be assessed and why: the data the audit could not read (grouped by
    the reason: a permission, a licence, an error), what would let the next audit read it, and the reviews
    still waiting for a person."""
    by_problem: dict[str, dict[str, Any]] = defaultdict(lambda: {"checks": 0, "data": [], "needs": []})
    for item in unknown:
        group = by_problem[item.problem]
        group["checks"] += 1
        if item.section and item.section not in group["data"]:
            group["data"].append(item.section)
        need = _need(item.remedy) if item.remedy else ""
        if need and need not in group["needs"] and not need.startswith("see the check"):
            group["needs"].append(need)
    sentences = []
    for problem, group in by_problem.items():
        checks = group["checks"]
        why = _PROBLEM_WORDS.get(problem, "the data was not available")
        data = f" ({_join(group['data'])})" if group["data"] else ""
        sentence = f"{checks} {'check' if checks == 1 else 'checks'} could not be assessed because {why}{data}."
        if group["needs"] and problem in ("Permission missing", "Licence missing"):
            sentence += f" The next audit can assess them with {_join(group['needs'])}."
        sentences.append(sentence)
    results = list(results)
    manual = sum(1 for r in results if r.status is Status.MANUAL)
    if manual:
        sentences.append(f"{manual} {'check waits' if manual == 1 else 'checks wait'} for a person's review of the "
                         "listed evidence; an attested review counts as a pass.")
    errors = sum(1 for r in results if r.status is Status.ERROR)
    if errors:
        sentences.append(f"{errors} {'check' if errors == 1 else 'checks'} stopped with an error in the audit tool.")
    return sentences


def plain_summary(
    tenant: TenantResult,
    counts: dict[Status, int],
    top_title: str | None,
    critical: int,
    unknown: list["UnknownItem"],
    rule: ScoringRule,
) -> list[str]:
    """Paragraphs a non-specialist understands: what was checked, how it went, what matters most. For a
    tenant without a grade: how much was assessed, and what was missing and why."""
    name = tenant.display_name
    possessive = f"{name}\u2019" if name.endswith(("s", "S")) else f"{name}\u2019s"
    scored = [Status.PASS, Status.FAIL] + ([Status.ACCEPTED] if rule.accepted_risk is AcceptedRisk.COUNTED else [])
    assessed = sum(counts[s] for s in scored)
    total = sum(counts.values()) - counts[Status.NOT_APPLICABLE]
    floor = fmt_coverage(rule.min_coverage)
    paragraphs: list[str] = []
    if tenant.score is None:
        paragraphs.append(
            f"We could not grade {name}: none of the {total} applicable checks could be assessed as a pass or a fail, "
            "because the audit could not read the data they need."
        )
        return paragraphs + coverage_gaps(unknown, tenant.results)
    if tenant.grade == INCOMPLETE:
        paragraphs.append(
            f"We checked {possessive} Microsoft 365 and Azure set-up against {total} security practices that Microsoft "
            f"recommends for its cloud partners' customers, but could assess only {assessed} of them: "
            f"{fmt_coverage(tenant.coverage)} of the checklist by weight. A grade needs at least {floor}, so this "
            f"audit gives none (Incomplete). On the part we could assess, {counts[Status.PASS]} practices are in "
            f"place and {counts[Status.FAIL]} are not (a score of {fmt_score(tenant.score)} out of 100 on that part "
            "only); this says little about the protection of the tenant as a whole."
        )
        paragraphs += coverage_gaps(unknown, tenant.results)
        if counts[Status.FAIL] and top_title:
            paragraphs.append(f"Of what we could assess, the most urgent action is \u201c{top_title}\u201d; "
                              "\u201cWhat to do first\u201d below lists the actions in the order we recommend.")
        return paragraphs
    not_met = assessed - counts[Status.PASS]
    paragraphs.append(
        f"We checked {possessive} Microsoft 365 and Azure set-up against {total} security practices that Microsoft "
        f"recommends for its cloud partners' customers. {counts[Status.PASS]} of the {assessed} practices we "
        f"could assess {'is' if counts[Status.PASS] == 1 else 'are'} in place and {not_met} "
        f"{'is' if not_met == 1 else 'are'} not, which gives a score of "
        f"{fmt_score(tenant.score)} out of 100 (grade {tenant.grade}). Overall the tenant's protection is "
        f"{VERDICTS.get(tenant.grade, '')}."
    )
    if counts[Status.ACCEPTED] and rule.accepted_risk is AcceptedRisk.COUNTED:
        accepted = counts[Status.ACCEPTED]
        paragraphs[-1] += (f" {accepted} of those not in place {'is an accepted risk' if accepted == 1 else 'are accepted risks'}: "
                           "accepted, not fixed, so it earns no points.")
    if counts[Status.FAIL] and top_title:
        text = f"The most urgent action is \u201c{top_title}\u201d"
        if critical:
            text += (
                f"; {'it is' if critical == 1 else f'it is one of {critical} items'} rated critical, the kind of gap "
                "that attackers use to take over accounts, and any critical gap limits the grade to D until it is fixed"
            )
        text += ". \u201cWhat to do first\u201d below lists the actions in the order we recommend."
        paragraphs.append(text)
    elif counts[Status.ACCEPTED]:
        paragraphs.append("No assessed practice failed apart from the accepted risks; review each before its "
                          "acceptance expires.")
    else:
        paragraphs.append("No assessed practice failed. Keep the settings as they are and review them each quarter.")
    critical_accepted = sum(1 for r in tenant.results
                            if r.status is Status.ACCEPTED and r.severity is Severity.CRITICAL)
    if critical_accepted and rule.accepted_risk is AcceptedRisk.COUNTED:
        paragraphs.append("An accepted critical risk limits the grade to D, as a failing critical check does.")
    outside = counts[Status.UNKNOWN] + counts[Status.ERROR]
    if outside:
        paragraphs.append(
            f"{outside} {'check' if outside == 1 else 'checks'} could not be run, usually because the audit app "
            f"lacks a permission or the tenant lacks a licence. They count neither for nor against the score; "
            f"the score covers {fmt_coverage(tenant.coverage)} of the checklist by weight."
        )
    return paragraphs
