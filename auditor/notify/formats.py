"""The digest as each channel shows it: plain text, HTML (email), an Adaptive Card (Teams) and JSON (webhook).

Tenant names, check titles, alert names and owners are untrusted text (a tenant's admin chooses its name).
Every renderer builds from the same sections of segments, each segment marked as our own words or as data:

- text: data is stripped of control characters and shortened, nothing else (it is shown as is);
- HTML: every segment is escaped (jinja2 autoescaping, the reports' own engine);
- Adaptive Card: data goes only into ``TextRun`` inlines of ``RichTextBlock``s, which Adaptive Cards never
  read as Markdown (no link, no emphasis, no mention can be injected); Markdown is used nowhere;
- JSON: data are JSON strings.

Adaptive Card version 1.4 (what Teams renders everywhere, mobile included); the card stays under
``CARD_MAX_BYTES``: long sections are cut with "… and N more" and the reports hold the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from auditor.notify.digest import Digest, TenantNews
from auditor.results import fmt_score
from auditor.safe_text import one_line

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams refuses a message over about 28 KB; leave room for the envelope.
CARD_MAX_BYTES = 24_000
DIGEST_SCHEMA = "csp-posture-auditor/notification-digest/1"
MAX_DATA_CHARS = 160


def clean(text: object) -> str:
    """Untrusted text made safe to show on one line, cut to ``MAX_DATA_CHARS`` (auditor.safe_text.one_line,
    the project's one rule for text from tenants)."""
    return one_line(text, MAX_DATA_CHARS)


@dataclass(frozen=True)
class Segment:
    text: str
    data: bool = False  # untrusted (from a tenant or the config), as opposed to our own words
    strong: bool = False


@dataclass
class Section:
    key: str
    title: str
    style: str  # an Adaptive Card container style: attention, warning, accent, default
    items: list[list[Segment]] = field(default_factory=list)


def _ours(text: str) -> Segment:
    return Segment(text)


def _data(text: object, strong: bool = False) -> Segment:
    return Segment(clean(text), data=True, strong=strong)


def _grade(value: str | None) -> str:
    return value or "–"


def _change(value: float | None) -> str:
    return "" if value is None else f", {value:+.1f}"


def sections(digest: Digest) -> list[Section]:
    """The digest's news in the order a partner reads it; sections with nothing in them are left out."""
    unreadable = Section("unreadable", "Could not be read", "attention")
    dropped = Section("grade_dropped", "Grade dropped", "attention")
    failing = Section("newly_failing", "Newly failing checks", "warning")
    alerts = Section("partner_alerts", "New partner security alerts", "attention")
    expiring = Section("expiring", "Risk acceptances and attestations ending soon", "accent")
    news = digest.news
    for tenant in news:
        if tenant.unreadable:
            unreadable.items.append([_data(tenant.display_name, strong=True), _ours(": "), _data(tenant.unreadable)])
        if tenant.grade_dropped:
            dropped.items.append([
                _data(tenant.display_name, strong=True),
                _ours(f": {_grade(tenant.grade_before)} → {_grade(tenant.grade_now)} (score "
                      f"{fmt_score(tenant.score_before)} → {fmt_score(tenant.score_now)}{_change(tenant.score_change)})"),
            ])
        for item in tenant.expiring:
            days = "today" if item.days_left == 0 else f"in {item.days_left} day{'s' if item.days_left != 1 else ''}"
            expiring.items.append([
                _data(tenant.display_name, strong=True),
                _ours(f": {item.kind} of {item.check.check_id} ({item.check.severity.value}) by "),
                _data(item.by),
                _ours(f" ends {item.until.isoformat()} ({days})"),
            ])
        for alert in tenant.new_alerts:
            segments = [_data(alert.name or alert.alert_type or alert.alert_id, strong=True),
                        _ours(f" ({alert.severity or 'unknown severity'})")]
            if alert.customer_tenant_id:
                segments += [_ours(", customer tenant "), _data(alert.customer_tenant_id)]
            if alert.raised:
                segments += [_ours(", raised "), _data(alert.raised)]
            alerts.items.append(segments)
    # Critical and high first across the portfolio, then by tenant.
    rows = [(ref, tenant) for tenant in news for ref in tenant.newly_failing]
    rows.sort(key=lambda row: (row[0].severity.rank, row[1].display_name.lower(), row[0].check_id))
    for ref, tenant in rows:
        failing.items.append([
            _ours(f"[{ref.severity.value}] "), _data(tenant.display_name, strong=True),
            _ours(f": {ref.check_id} "), _data(ref.title),
        ])
    return [s for s in (unreadable, dropped, failing, alerts, expiring) if s.items]


def title(digest: Digest) -> str:
    """The subject line: our own words and the run's name only (no tenant name reaches a mail header)."""
    count = len(digest.news)
    if not count:
        return f"Audit {clean(digest.name)}: no change since the previous audit"
    return f"Audit {clean(digest.name)}: {count} tenant{'s' if count != 1 else ''} need{'s' if count == 1 else ''} attention"


def footer(digest: Digest) -> str:
    quiet = len(digest.tenants) - len(digest.news)
    text = (f"Run {clean(digest.run_id)}, evaluated {digest.generated_at:%Y-%m-%d %H:%M} UTC. "
            f"{quiet} other tenant{'s' if quiet != 1 else ''} with nothing new. Details: the portfolio report.")
    return " ".join([text, *(clean(note) + "." for note in digest.notes)])


def _cut(items: list[list[Segment]], limit: int | None) -> tuple[list[list[Segment]], int]:
    if limit is None or len(items) <= limit:
        return items, 0
    return items[:limit], len(items) - limit


def to_text(digest: Digest, limit: int | None = None) -> str:
    """Plain text, one line per item; data shown as is (after `clean`)."""
    lines = [title(digest), ""]
    for section in sections(digest):
        shown, more = _cut(section.items, limit)
        lines.append(f"{section.title} ({len(section.items)}):")
        lines += ["- " + "".join(segment.text for segment in item) for item in shown]
        if more:
            lines.append(f"- … and {more} more")
        lines.append("")
    lines.append(footer(digest))
    return "\n".join(lines) + "\n"


_HTML = """\
<!doctype html>
<html><body style="font-family: Arial, Helvetica, sans-serif; color: #1b1b1b;">
<h2 style="font-size: 18px;">{{ title }}</h2>
{% for section in sections %}<h3 style="font-size: 15px; margin-bottom: 4px;">{{ section.title }} ({{ section.items|length }})</h3>
<ul>{% for item in section.items %}
<li>{% for s in item %}{% if s.strong %}<strong>{{ s.text }}</strong>{% else %}{{ s.text }}{% endif %}{% endfor %}</li>{% endfor %}
</ul>
{% endfor %}<p style="color: #555; font-size: 12px;">{{ footer }}</p>
</body></html>
"""


def to_html(digest: Digest) -> str:
    """An HTML email body; every segment escaped by jinja2's autoescaping."""
    from jinja2 import Environment

    template = Environment(autoescape=True).from_string(_HTML)
    return template.render(title=title(digest), sections=sections(digest), footer=footer(digest))


def _rich(item: list[Segment]) -> dict:
    runs = [{"type": "TextRun", "text": s.text, **({"weight": "Bolder"} if s.strong else {})} for s in item]
    return {"type": "RichTextBlock", "inlines": runs}


def _card(digest: Digest, limit: int | None) -> dict:
    body: list[dict] = [{"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": title(digest), "weight": "Bolder", "size": "Large"}]}]
    for section in sections(digest):
        shown, more = _cut(section.items, limit)
        items = [{"type": "RichTextBlock", "inlines": [
            {"type": "TextRun", "text": f"{section.title} ({len(section.items)})", "weight": "Bolder"}]}]
        items += [_rich(item) for item in shown]
        if more:
            items.append(_rich([_ours(f"… and {more} more (see the portfolio report)")]))
        body.append({"type": "Container", "style": section.style, "items": items, "spacing": "Medium"})
    body.append({"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": footer(digest), "isSubtle": True, "size": "Small"}]})
    return {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        # No "msteams": {"width": "Full"}: a Teams host extension that the 1.4 schema does not allow.
    }


def adaptive_card(digest: Digest) -> dict:
    """The Adaptive Card (version ``CARD_VERSION``) of the digest, cut to fit under ``CARD_MAX_BYTES``."""
    card = _card(digest, None)
    for limit in (40, 20, 10, 5, 2):
        if len(json.dumps(card).encode("utf-8")) <= CARD_MAX_BYTES:
            break
        card = _card(digest, limit)
    return card


def workflows_message(card: dict) -> dict:
    """The body a Teams Workflows webhook takes: a message with the card as its one attachment."""
    return {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}]}


def _tenant_json(tenant: TenantNews) -> dict:
    return {
        "tenant_id": tenant.tenant_id,
        "tenant": tenant.display_name,
        "kind": tenant.kind,
        "previous_run_id": tenant.previous_run_id,
        "grade_before": tenant.grade_before,
        "grade_now": tenant.grade_now,
        "grade_dropped": tenant.grade_dropped,
        "score_before": tenant.score_before,
        "score_now": tenant.score_now,
        "score_change": tenant.score_change,
        "unreadable": tenant.unreadable,
        "newly_failing": [{"check_id": r.check_id, "title": r.title, "severity": r.severity.value}
                          for r in tenant.newly_failing],
        "expiring": [{"check_id": e.check.check_id, "severity": e.check.severity.value, "kind": e.kind,
                      "until": e.until.isoformat(), "days_left": e.days_left, "by": e.by} for e in tenant.expiring],
        "new_partner_alerts": [{"alert_id": a.alert_id, "name": a.name, "severity": a.severity, "type": a.alert_type,
                                "customer_tenant_id": a.customer_tenant_id, "subscription_id": a.subscription_id,
                                "raised": a.raised, "state": a.state} for a in tenant.new_alerts],
    }


def to_json(digest: Digest) -> dict:
    """The structured digest a JSON webhook receives under ``digest``: only the tenants with news."""
    return {
        "schema": DIGEST_SCHEMA,
        "run_id": digest.run_id,
        "label": digest.label,
        "evaluated_at": digest.generated_at.isoformat(),
        "tenants_in_run": len(digest.tenants),
        "tenants": [_tenant_json(tenant) for tenant in digest.news],
        "notes": list(digest.notes),
    }
