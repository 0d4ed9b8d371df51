"""Customer scorecards and the partner portfolio report, as HTML and PDF.

One Jinja2 environment (autoescape on for every template: tenant data is untrusted), view models built
here from the results document, inline SVG charts from ``auditor.charts``, and WeasyPrint for the PDF with
a URL fetcher that serves only the bundled assets and the configured logo. WeasyPrint and pandas are
imported inside the functions that need them, so ``auditor --help`` stays fast.

The HTML is self-contained (stylesheet inlined, logo as a data: URI) so it opens offline and can be mailed
as one file; the PDF is rendered from the same templates with the logo and stylesheet given by file.
"""

from __future__ import annotations

import base64
import os
import re
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from auditor import charts
from auditor.config import Branding
from auditor.framework_view import portfolio_frameworks, tenant_frameworks
from auditor.fsutil import atomic_write_bytes, atomic_write_text
from auditor.progress import NoProgress, Progress
from auditor.report_text import plain_summary, status_meanings
from auditor.results import (
    AREA_TITLES,
    INCOMPLETE,
    SEVERITY_WEIGHTS,
    STATUS_LABELS,
    Area,
    AuditResults,
    CheckResult,
    ScoringRule,
    Severity,
    Status,
    TenantResult,
    fmt_coverage,
    is_letter_grade,
    ruleset_label,
)
from auditor.scoring import GRADE_FLOORS, scored_statuses
from auditor.trend import TenantChange

if TYPE_CHECKING:
    from weasyprint import CSS


def _package_dir() -> Path:
    # Through __path__, not the package's __init__: an editable install made before reports/__init__.py
    # existed imports `reports` as a namespace package, whose __init__ never runs.
    import reports

    return Path(next(iter(reports.__path__))).resolve()


TEMPLATES_DIR = _package_dir() / "templates"
ASSETS_DIR = TEMPLATES_DIR / "assets"
STYLESHEET = TEMPLATES_DIR / "print.css"
FONTS_STYLESHEET = ASSETS_DIR / "fonts.css"  # @font-face rules for the bundled fonts (PDF only)
PLACEHOLDER_LOGO = ASSETS_DIR / "logo-placeholder.svg"

PAPER_SIZES = {"A4": "A4", "LETTER": "letter"}
EVIDENCE_ROWS_SHOWN = 8  # rows of an evidence table shown in a finding; the rest go to the appendix
# Rows of one finding's evidence in the appendix: a 100,000-user tenant's list was a 1,641-page PDF. The
# complete list is always in results.xlsx (evidence sheet) and results.json; the report says so.
EVIDENCE_ROWS_IN_REPORT = 100
EVIDENCE_LINE_CHARS = 110  # about what one line of an evidence table holds (8pt text, A4 or Letter)
LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096  # a 5 MiB PNG can declare 400 megapixels: gigabytes once decoded, per PDF
HEATMAP_ROWS_PER_CHART = 40  # one SVG per page-sized slice, because an SVG never breaks across pages

SCORECARD_TITLE = "Security posture scorecard"
PORTFOLIO_TITLE = "Portfolio security report"

# Findings are listed failing first within each area.
STATUS_ORDER = [Status.FAIL, Status.ERROR, Status.ACCEPTED, Status.MANUAL, Status.UNKNOWN, Status.PASS,
                Status.NOT_APPLICABLE]
# What lets a check whose data was unavailable run next time, when the recorded reason does not say.
SECTION_NEEDS: dict[str, str] = {
    "organization": "Microsoft Graph permission Organization.Read.All",
    "security_defaults": "Microsoft Graph permission Policy.Read.All",
    "conditional_access_policies": "Microsoft Graph permission Policy.Read.All",
    "authentication_strength_policies": "Microsoft Graph permission Policy.Read.AuthenticationMethod",
    "role_assignments": "Microsoft Graph permission RoleManagement.Read.Directory",
    "role_eligibility_schedules": "Microsoft Graph permission RoleEligibilitySchedule.Read.Directory "
                                  "(Microsoft Entra ID P2)",
    "group_members": "Microsoft Graph permission GroupMember.Read.All",
    "users": "Microsoft Graph permission User.Read.All",
    "user_registration_details": "Microsoft Graph permission AuditLog.Read.All (Microsoft Entra ID P1)",
    "authentication_methods": "Microsoft Graph permission UserAuthenticationMethod.Read.All",
    "secure_scores": "Microsoft Graph permission SecurityEvents.Read.All",
    "contracts": "Microsoft Graph permission Directory.Read.All",
    "delegated_admin_relationships": "Microsoft Graph permission DelegatedAdminRelationship.Read.All",
    "delegated_admin_access_assignments": "Microsoft Graph permission DelegatedAdminRelationship.Read.All",
    "partner_security_alerts": "Microsoft Graph (beta) permission PartnerSecurity.Read.All",
    "subscriptions": "Azure Reader role on the tenant's subscriptions",
    "security_contacts": "Azure Security Reader role on each subscription",
    "pricings": "Azure Security Reader role on each subscription",
    "budgets": "Azure Cost Management Reader role on each subscription",
    "scheduled_actions": "Azure Cost Management Reader role on each subscription",
}
SECTION_STATUS_LABELS = {
    "forbidden": "Permission missing",
    "not_licensed": "Licence missing",
    "not_found": "Not found",
    "error": "Collection error",
    "not_collected": "Not collected",
}
_UNKNOWN_SUMMARY = re.compile(r"^Not evaluated: section (?P<section>\S+) is (?P<status>[a-z_]+) \((?P<reason>.*)\)\.?$", re.S)
_SECTION_STATUS = re.compile(r"(?:section )?(?P<section>[a-z_]+) is (?P<status>forbidden|not_licensed|not_found|error|not_collected)\b")
_TECHNICAL = re.compile(r"\s*\((?P<error>(?:Graph|ARM)\s+\d{3}\b.*)\)", re.S)
_AZURE_ROLE = re.compile(r"lacks the (?P<name>[\w ]+?) role\b")
_PERMISSION = re.compile(r"lacks the (?P<name>[\w.]+) permission")
_LICENCE = re.compile(r"has no (?P<name>.+?) licen[cs]e")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class BrandingError(Exception):
    """Branding that cannot be used (a missing or non-image logo, a bad colour); one line."""


class RenderError(Exception):
    """A report that cannot be rendered from the given input; one line."""


# --- Branding -------------------------------------------------------------------------------------------


def _image_type(data: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_branding(branding: Branding) -> None:
    """Refuse unusable branding before anything is rendered.

    Decision: SVG logos are refused. An SVG is a document that can reference other files and URLs; a
    raster image cannot, and every partner has its logo as PNG."""
    colour = branding.primary_color or ""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise BrandingError(f"branding.primary_color {colour!r} is not a colour like #1f4e79")
    if branding.logo is None:
        return
    path = Path(branding.logo)
    if not path.is_file():
        raise BrandingError(f"branding.logo {path}: {'not a regular file' if path.exists() else 'no such file'}")
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(512)
    except OSError as exc:
        raise BrandingError(f"branding.logo {path}: cannot read: {exc.strerror or exc}") from None
    if size > LOGO_MAX_BYTES:
        raise BrandingError(f"branding.logo {path}: {size // 1024} KiB is too large (at most {LOGO_MAX_BYTES // 1024 // 1024} MiB)")
    if _image_type(head) is None:
        if b"<svg" in head.lower():
            raise BrandingError(f"branding.logo {path}: SVG is not accepted; give a PNG, JPEG, GIF or WebP image")
        raise BrandingError(f"branding.logo {path}: not a PNG, JPEG, GIF or WebP image")
    # The magic bytes are not enough: WeasyPrint fails mid-render on a truncated file. Pillow (a WeasyPrint
    # dependency) decodes it fully here, before anything is written.
    from PIL import Image, ImageFile

    # WeasyPrint turns LOAD_TRUNCATED_IMAGES on for the whole process when it is imported; a logo is judged
    # whole or damaged whatever was imported before.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS:  # judged from the header, before anything is decoded
                raise BrandingError(f"branding.logo {path}: {width}×{height} pixels is too large (a logo needs "
                                    f"at most {LOGO_MAX_PIXELS // 1_000_000} megapixels)")
            image.load()
    except BrandingError:
        raise
    # Pillow's decoders raise more than OSError and ValueError on damaged files (SyntaxError, struct.error,
    # EOFError, IndexError, DecompressionBombError, ...): any of them means the logo cannot be used.
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise BrandingError(f"branding.logo {path}: damaged or incomplete image ({detail})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok


@dataclass(frozen=True)
class Brand:
    """Branding resolved for the templates: the logo as bytes, colours derived from the primary colour."""

    partner_name: str
    footer_text: str
    primary: str
    on_primary: str
    primary_soft: str
    logo_path: Path
    logo_mime: str
    logo_is_placeholder: bool

    @cached_property  # read once per process, not once per report
    def logo_data_uri(self) -> str:
        data = base64.b64encode(self.logo_path.read_bytes()).decode("ascii")
        return f"data:{self.logo_mime};base64,{data}"

    @property
    def logo_file_url(self) -> str:
        return self.logo_path.resolve().as_uri()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _tint(colour: str, amount: float) -> str:
    r, g, b = _rgb(colour)
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in (r, g, b))


def resolve_brand(branding: Branding | None) -> Brand:
    branding = branding or Branding()
    validate_branding(branding)
    primary = branding.primary_color.lower()
    if branding.logo is not None:
        path = Path(branding.logo).resolve()
        mime = _image_type(path.read_bytes()[:64]) or "application/octet-stream"
        placeholder = False
    else:
        path, mime, placeholder = PLACEHOLDER_LOGO, "image/svg+xml", True
    # White text on dark brand colours, near-black on light ones, so the cover stays readable.
    on_primary = "#ffffff" if _luminance(primary) < 0.4 else "#111820"
    return Brand(
        partner_name=branding.partner_name.strip(),
        footer_text=branding.footer_text.strip(),
        primary=primary,
        on_primary=on_primary,
        primary_soft=_tint(primary, 0.88),
        logo_path=path,
        logo_mime=mime,
        logo_is_placeholder=placeholder,
    )


# --- Small formatting helpers ---------------------------------------------------------------------------


def slugify(name: str, limit: int = 48) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:limit].strip("-")
    return slug or "tenant"


def tenant_slugs(tenants: Iterable[TenantResult]) -> dict[str, str]:
    """tenant_id → a safe, unique folder name; a short id suffix separates names that collide."""
    tenants = list(tenants)
    base = {t.tenant_id: slugify(t.display_name) for t in tenants}
    counts = Counter(base.values())
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for tenant in tenants:
        slug = base[tenant.tenant_id]
        if counts[slug] > 1:
            suffix = re.sub(r"[^a-z0-9]", "", tenant.tenant_id.lower())[:8] or "x"
            slug = f"{slug}-{suffix}"
        candidate, n = slug, 2
        while candidate in used:
            candidate, n = f"{slug}-{n}", n + 1
        used.add(candidate)
        slugs[tenant.tenant_id] = candidate
    return slugs


def humanize_key(key: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(key)).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else ""


def cell_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{humanize_key(k)}: {cell_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def possessive(name: str) -> str:
    return f"{name}\u2019" if name.endswith(("s", "S")) else f"{name}\u2019s"


fmt_score = charts.score_label
fmt_pct = fmt_coverage  # one decimal, as in every data output


def fmt_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%d %B %Y").lstrip("0")


def fmt_datetime(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%d %b %Y %H:%M UTC").lstrip("0")


def remediation_blocks(text: str) -> list[dict[str, Any]]:
    """Remediation text → paragraphs and step lists. Blank lines separate blocks; a line starting with a
    list marker ("1.", "-", "*") starts a step; other lines continue the step or paragraph before them
    (check authors wrap long lines)."""
    blocks: list[dict[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        items: list[str] = []
        is_list = False
        for line in chunk.splitlines():
            if not line.strip():
                continue
            if _LIST_MARKER.match(line):
                if items and not is_list:
                    blocks.append({"kind": "p", "items": items})
                    items = []
                is_list = True
                items.append(_LIST_MARKER.sub("", line).strip())
            elif items:
                items[-1] = f"{items[-1]} {line.strip()}"
            else:
                items.append(line.strip())
        if items:
            blocks.append({"kind": "ol" if is_list else "p", "items": items})
    return blocks


def _safe_link(url: str) -> str | None:
    """Only http(s) references become links; anything else (javascript:, file:) is shown as text."""
    return url if re.match(r"^https?://[^\s\"'<>]+$", url) else None


# --- View models ----------------------------------------------------------------------------------------


@dataclass
class EvidenceTable:
    columns: list[str]
    headers: list[str]
    rows: list[list[str]]  # the rows the report holds (at most EVIDENCE_ROWS_IN_REPORT)
    shown: int
    anchor: str
    widths: list[float] = field(default_factory=list)  # percent per column, from the length of its content
    total: int = 0  # every evidence row of the finding (results.xlsx and results.json hold them all)

    @property
    def visible(self) -> list[list[str]]:
        return self.rows[: self.shown]

    @property
    def more(self) -> int:
        return max(0, self.total - self.shown)

    @property
    def omitted(self) -> int:
        """Rows left out of the report altogether (they are in results.xlsx and results.json)."""
        return max(0, self.total - len(self.rows))


def evidence_table(rows: list[dict[str, Any]], anchor: str, limit: int = EVIDENCE_ROWS_SHOWN,
                   report_limit: int = EVIDENCE_ROWS_IN_REPORT) -> EvidenceTable | None:
    """The evidence of one finding as text cells: ``limit`` rows shown in the finding, at most
    ``report_limit`` in the report (the appendix), however long the list; cost linear in the rows."""
    if not rows:
        return None
    columns: dict[str, None] = {}  # ordered set: one dict lookup per key, not a list scan
    for row in rows:
        columns.update(dict.fromkeys(row))
    kept = rows[: max(report_limit, limit + 1)]
    cells = [[cell_text(row.get(key)) for key in columns] for row in kept]
    # Cutting to leave "and 1 more" would save nothing: show a row that would be the only one cut.
    shown = len(rows) if len(rows) <= limit + 1 else limit
    headers = [humanize_key(c) for c in columns]
    return EvidenceTable(list(columns), headers, cells, shown, anchor, column_widths(headers, cells), total=len(rows))


def column_widths(headers: list[str], rows: list[list[str]]) -> list[float]:
    """Column widths in percent, in proportion to each column's typical (90th percentile) text length,
    bounded so a long list cannot starve the other columns. The print layout is a fixed table layout
    (fast, and long values wrap instead of widening the table), so the widths are given explicitly."""
    weights: list[float] = []
    floors: list[float] = []
    for index, header in enumerate(headers):
        lengths = sorted(len(row[index]) for row in rows) or [0]
        typical = lengths[int(0.9 * (len(lengths) - 1))]
        longest_word = max((len(word) for row in rows for word in row[index].split()), default=0)
        header_word = max((len(word) for word in header.split()), default=4)
        floor = max(8.0, header_word + 2.0, min(longest_word, 22) + 3.0)
        floors.append(floor)
        weights.append(max(floor, min(float(typical), 40.0)))
    total, floor_total = sum(weights), sum(floors)
    if total > EVIDENCE_LINE_CHARS > floor_total:
        # Too wide for one line: shrink only what lies above each column's floor, so that a column of short
        # words ("Global Administrator") is not squeezed until a word breaks mid-way beside a column of ids.
        shrink = (EVIDENCE_LINE_CHARS - floor_total) / (total - floor_total)
        weights = [floor + (weight - floor) * shrink for weight, floor in zip(weights, floors)]
        total = EVIDENCE_LINE_CHARS
    return [round(100.0 * weight / total, 2) for weight in weights]


@dataclass
class Finding:
    result: CheckResult
    anchor: str
    why: str
    evidence: EvidenceTable | None
    remediation: list[dict[str, Any]]
    references: list[tuple[str, str | None]]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.result.status]


@dataclass
class UnknownItem:
    result: CheckResult
    section: str
    problem: str
    detail: str
    remedy: str
    technical: str = ""  # the API's own error, for the admin who fixes it


def unknown_item(result: CheckResult) -> UnknownItem:
    """What was missing for an UNKNOWN result and what would let the check run. The engine's own wording
    ("Not evaluated: section X is forbidden (reason)") is parsed exactly; a check's own UNKNOWN summary is
    searched for the same clues (a section status, a permission, an Azure role, a licence)."""
    summary = " ".join(result.summary.split())
    match = _UNKNOWN_SUMMARY.match(summary)
    if match:
        section, status, reason = match["section"], match["status"], match["reason"].strip()
    else:
        found = _SECTION_STATUS.search(summary)
        section, status = (found["section"], found["status"]) if found else ("", "")
        if not status and re.search(r"licen[cs]e", summary):
            status = "not_licensed"
        reason = summary
    technical = ""
    if (api_error := _TECHNICAL.search(reason)) is not None:
        technical = api_error["error"].strip()
        reason = (reason[: api_error.start()] + reason[api_error.end():]).strip()
    remedy = SECTION_NEEDS.get(section, "")
    if (permission := _PERMISSION.search(summary)) is not None:
        remedy = f"Grant the audit app the permission {permission['name']} (admin consent)"
    elif (role := _AZURE_ROLE.search(summary)) is not None:
        remedy = f"Assign the audit app the Azure {role['name']} role on each subscription"
    elif (licence := _LICENCE.search(summary)) is not None:
        remedy = f"A {licence['name']} licence in the tenant"
    elif status == "not_collected":
        remedy = "Collect this data in the next run"
    elif status == "error":
        remedy = "Re-run the audit; if the error repeats, check the service's health and the app's access"
    return UnknownItem(
        result=result,
        section=section.replace("_", " "),
        problem=SECTION_STATUS_LABELS.get(status, status.replace("_", " ") or "Data unavailable"),
        detail=reason[:1].upper() + reason[1:] if reason else "",
        remedy=remedy or "See the check's summary in the findings",
        technical=technical[:240] + ("…" if len(technical) > 240 else ""),
    )


@dataclass
class AreaView:
    area: Area
    title: str
    anchor: str
    score: float | None
    coverage: float
    findings: list[Finding]
    counts: dict[Status, int]
    incomplete: bool = False


@dataclass
class HistoryView:
    first_audit: bool
    previous_at: str
    score_change: float | None
    fixed: list[tuple[str, str]]
    new_failures: list[tuple[str, str]]
    still_failing: list[tuple[str, str]]
    chart: Markup | None

    @property
    def points(self) -> float | None:
        """The score change as the report prints it: one decimal, the difference of the rounded scores
        shown (0 reads as unchanged)."""
        return self.score_change


@dataclass
class ScorecardView:
    tenant: TenantResult
    title: str
    counts: list[tuple[Status, str, int]]
    gauge: Markup
    area_bars: Markup
    areas: list[AreaView]
    top_actions: list[Finding]
    summary_paragraphs: list[str]
    unknown: list[UnknownItem]
    errors: list[CheckResult]
    accepted: list[CheckResult]
    expired: list[CheckResult]
    appendix: list[Finding]
    history: HistoryView
    critical_failures: int
    failing: int
    attested: list[CheckResult] = field(default_factory=list)
    attestations_expired: list[CheckResult] = field(default_factory=list)
    assessed: int = 0  # checks in the score (under the run's scoring rule)
    applicable: int = 0  # checks that apply to the tenant

    @property
    def toc(self) -> list[tuple[str, str, int]]:
        """(anchor, title, level) for the table of contents."""
        toc = [("summary", "Executive summary", 1)]
        if self.top_actions:
            toc.append(("top-actions", "Top actions", 2))
        toc += [("since-last", "Since the last audit", 2), ("findings", "Findings by area", 1)]
        toc += [(area.anchor, area.title, 2) for area in self.areas]
        toc += [("unknown", "Checks that could not run", 1), ("frameworks", "Against recognised frameworks", 1),
                ("accepted", "Accepted risks and attested reviews", 1)]
        if self.appendix:
            toc.append(("appendix-evidence", "Appendix A: full evidence lists", 1))
        toc.append(("methodology", ("Appendix B: " if self.appendix else "Appendix: ") + "methodology", 1))
        return toc


def _status_counts(results: Iterable[CheckResult]) -> dict[Status, int]:
    counts = Counter(result.status for result in results)
    return {status: counts[status] for status in Status}


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p)


def _sort_key(result: CheckResult) -> tuple[int, int, str]:
    return (STATUS_ORDER.index(result.status), result.severity.rank, result.check_id)


def _finding(result: CheckResult, why: dict[str, str]) -> Finding:
    anchor = _anchor("check", result.check_id)
    return Finding(
        result=result,
        anchor=anchor,
        why=why.get(result.check_id, ""),
        evidence=evidence_table(result.evidence, anchor + "-evidence"),
        remediation=remediation_blocks(result.remediation) if result.status is not Status.PASS else [],
        references=[(url, _safe_link(url)) for url in result.references],
    )


def _history_view(change: TenantChange | None, titles: dict[str, str]) -> HistoryView:
    """The "since the last audit" block; no history, or no earlier run, reads as the first audit."""
    points = change.points if change else []
    chart = Markup(charts.trend_line([charts.TrendPoint(p.at, p.score) for p in points])) if len(points) > 1 else None
    if change is None or change.first_audit:
        return HistoryView(True, "", None, [], [], [], chart)

    def named(ids: list[str]) -> list[tuple[str, str]]:
        return [(check_id, titles.get(check_id, "")) for check_id in ids]

    return HistoryView(
        first_audit=False,
        previous_at=fmt_date(change.previous_at),
        score_change=change.score_change,
        fixed=named(change.fixed),
        new_failures=named(change.newly_failing),
        still_failing=named(change.still_failing),
        chart=chart,
    )


def scorecard_view(tenant: TenantResult, why: dict[str, str], change: TenantChange | None,
                   rule: ScoringRule | None = None) -> ScorecardView:
    """The scorecard's content for one tenant, under the scoring rule its results were computed with."""
    rule = rule or ScoringRule()
    counts = _status_counts(tenant.results)
    findings = {r.check_id: _finding(r, why) for r in tenant.results}
    areas: list[AreaView] = []
    for area in Area:
        in_area = sorted((r for r in tenant.results if r.area is area), key=_sort_key)
        if not in_area:
            continue
        sub = tenant.areas.get(area.value)
        areas.append(
            AreaView(
                area=area,
                title=area.title,
                anchor=_anchor("area", area.value),
                score=sub.score if sub else None,
                coverage=sub.coverage if sub else 0.0,
                findings=[findings[r.check_id] for r in in_area],
                counts=_status_counts(in_area),
                incomplete=sub is None or sub.incomplete,
            )
        )
    failing = sorted((r for r in tenant.results if r.status is Status.FAIL), key=_sort_key)
    top = [findings[r.check_id] for r in failing[:5]]
    critical = sum(1 for r in failing if r.severity is Severity.CRITICAL)
    bars = [
        charts.Bar(a.title, a.score, f"Incomplete · {fmt_pct(a.coverage)}" if a.incomplete
                   else f"coverage {fmt_pct(a.coverage)}", incomplete=a.incomplete)
        for a in areas
    ]
    unknown = [unknown_item(r) for r in sorted(tenant.results, key=_sort_key) if r.status is Status.UNKNOWN]
    return ScorecardView(
        tenant=tenant,
        title=SCORECARD_TITLE,
        counts=[(s, STATUS_LABELS[s], counts[s]) for s in STATUS_ORDER if counts[s] or s in (Status.PASS, Status.FAIL)],
        gauge=Markup(charts.gauge(tenant.score, tenant.grade, coverage=tenant.coverage)),
        area_bars=Markup(charts.bars(bars, width=470, label_width=178)),
        areas=areas,
        top_actions=top,
        summary_paragraphs=plain_summary(tenant, counts, top[0].result.title if top else None, critical, unknown, rule),
        unknown=unknown,
        errors=[r for r in tenant.results if r.status is Status.ERROR],
        accepted=[r for r in tenant.results if r.status is Status.ACCEPTED],
        expired=[r for r in tenant.results if r.status is Status.FAIL and r.acceptance and r.acceptance.expired],
        appendix=[findings[r.check_id] for r in sorted(tenant.results, key=_sort_key)
                  if findings[r.check_id].evidence and findings[r.check_id].evidence.more],
        history=_history_view(change, {r.check_id: r.title for r in tenant.results}),
        critical_failures=critical,
        failing=len(failing),
        attested=[r for r in tenant.results if r.attestation and not r.attestation.expired],
        attestations_expired=[r for r in tenant.results if r.attestation and r.attestation.expired],
        assessed=sum(counts[s] for s in scored_statuses(rule)),
        applicable=sum(counts.values()) - counts[Status.NOT_APPLICABLE],
    )


@dataclass
class PortfolioRow:
    rank: int
    tenant: TenantResult
    slug: str
    fails: int
    critical: int
    unknown: int
    change: str
    meter: Markup


@dataclass
class PortfolioView:
    title: str
    rows: list[PortfolioRow]
    heatmaps: list[Markup]
    common: list[dict[str, Any]]
    critical_rows: list[tuple[PortfolioRow, list[CheckResult]]]
    partner: TenantResult | None
    partner_findings: list[Finding]
    average: float | None  # over the graded tenants: an incomplete tenant's score rests on too little
    grades: list[tuple[str, int]]
    customers: int
    incomplete: int = 0

    @property
    def toc(self) -> list[tuple[str, str, int]]:
        return [
            ("overview", "Overview", 1),
            ("critical", "Tenants with critical failures", 1),
            ("ranking", "Tenants ranked by score", 1),
            ("heatmap", "Scores by tenant and area", 1),
            ("common", "Most common failing checks", 1),
            ("partner", "The partner's own tenant", 1),
            ("methodology", "Appendix: methodology", 1),
        ]


def _change_text(change: TenantChange | None) -> str:
    if change is None or change.first_audit:
        return "first audit"
    if change.score_change is None:
        return "not comparable"
    # One decimal, the difference of the rounded scores shown, like every other output.
    return f"{change.score_change:+.1f}" if change.score_change else "no change"


def portfolio_view(results: AuditResults, slugs: dict[str, str], why: dict[str, str],
                   history: dict[str, TenantChange] | None) -> PortfolioView:
    from auditor.scoring import area_table, common_failures

    history = history or {}
    by_id = {t.tenant_id: t for t in results.tenants}
    table = area_table(results)
    rows: list[PortfolioRow] = []
    for index, record in enumerate(table.itertuples(index=False), start=1):
        tenant = by_id[record.tenant_id]
        counts = _status_counts(tenant.results)
        rows.append(
            PortfolioRow(
                rank=index,
                tenant=tenant,
                slug=slugs[tenant.tenant_id],
                fails=counts[Status.FAIL],
                critical=sum(1 for r in tenant.results if r.status is Status.FAIL and r.severity is Severity.CRITICAL),
                unknown=counts[Status.UNKNOWN] + counts[Status.ERROR],
                change=_change_text(history.get(tenant.tenant_id)),
                meter=Markup(charts.meter(tenant.coverage, width=60, height=7, colour="#6b7785")),
            )
        )
    areas = [a for a in Area if any(a.value in t.areas for t in results.tenants)]
    heatmaps: list[Markup] = []
    for start in range(0, len(rows), HEATMAP_ROWS_PER_CHART):
        chunk = rows[start : start + HEATMAP_ROWS_PER_CHART]
        values = [
            [row.tenant.areas[a.value].score if a.value in row.tenant.areas else None for a in areas] for row in chunk
        ]
        incomplete = [
            [a.value in row.tenant.areas and row.tenant.areas[a.value].incomplete for a in areas] for row in chunk
        ]
        heatmaps.append(Markup(charts.heatmap([r.tenant.display_name for r in chunk], [AREA_TITLES[a] for a in areas],
                                              values, incomplete=incomplete)))
    common_frame = common_failures(results, top=15)
    total = len(results.tenants)
    common = [
        {
            "check_id": rec.check_id,
            "title": rec.title,
            "severity": rec.severity,
            "tenants": int(rec.tenants),
            "names": list(rec.tenant_names),
            "meter": Markup(charts.meter(int(rec.tenants) / total if total else 0, width=56, height=7,
                                        colour=charts.score_colour(0))),
        }
        for rec in common_frame.itertuples(index=False)
    ]
    critical_rows = [
        (row, sorted((r for r in row.tenant.results if r.status is Status.FAIL and r.severity is Severity.CRITICAL),
                     key=_sort_key))
        for row in sorted(rows, key=lambda r: (-r.critical, r.tenant.score if r.tenant.score is not None else 101))
        if row.critical
    ]
    partner = next((t for t in results.tenants if t.kind == "partner"), None)
    partner_findings = (
        [_finding(r, why) for r in sorted(partner.results, key=_sort_key) if r.status is not Status.NOT_APPLICABLE]
        if partner else []
    )
    scored = [t.score for t in results.tenants if t.score is not None and not t.incomplete]
    grades = Counter(t.grade if is_letter_grade(t.grade) else INCOMPLETE for t in results.tenants)
    order = ["A", "B", "C", "D", "F", INCOMPLETE]
    return PortfolioView(
        title=PORTFOLIO_TITLE,
        rows=rows,
        heatmaps=heatmaps,
        common=common,
        critical_rows=critical_rows,
        partner=partner,
        partner_findings=partner_findings,
        average=sum(scored) / len(scored) if scored else None,
        grades=[(g, grades.get(g, 0)) for g in order] + [(g, n) for g, n in grades.items() if g not in order],
        customers=sum(1 for t in results.tenants if t.kind != "partner"),
        incomplete=sum(1 for t in results.tenants if t.incomplete),
    )


# --- Templates ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> Environment:
    # autoescape=True (not select_autoescape): every template escapes, whatever its file name.
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(score=fmt_score, pct=fmt_pct, date=fmt_date, datetime=fmt_datetime)
    env.globals.update(
        Status=Status,
        STATUS_LABELS=STATUS_LABELS,
        INCOMPLETE=INCOMPLETE,
        SEVERITY_WEIGHTS=SEVERITY_WEIGHTS,
        GRADE_FLOORS=GRADE_FLOORS,
        AREA_TITLES=AREA_TITLES,
        score_colour=charts.score_colour,
    )
    return env


@lru_cache(maxsize=1)
def stylesheet_text() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def _paper(paper: str) -> str:
    size = PAPER_SIZES.get(paper.upper())
    if size is None:
        raise RenderError(f"paper {paper!r}: choose A4 or Letter")
    return size


@dataclass(frozen=True)
class RenderContext:
    """What every report of one run shares."""

    results_tool: str
    tool_version: str
    ruleset_version: str
    run_id: str
    operator: str
    generated_at: datetime
    brand: Brand
    paper: str
    why: dict[str, str] = field(default_factory=dict)
    scoring: ScoringRule = field(default_factory=ScoringRule)

    @property
    def checklist(self) -> str:
        """The rule set as customers read it: "Checklist version 3, November 2026"."""
        return ruleset_label(self.ruleset_version)

    @property
    def status_meanings(self) -> dict[Status, str]:
        return status_meanings(self.scoring)


def _common(ctx: RenderContext, media: str) -> dict[str, Any]:
    if media == "html":
        logo_src = ctx.brand.logo_data_uri
        inline_css = Markup(stylesheet_text())
    else:
        logo_src, inline_css = ctx.brand.logo_file_url, None
    return {
        "ctx": ctx,
        "brand": ctx.brand,
        "logo_src": logo_src,
        "inline_css": inline_css,
        "page_size": ctx.paper,
        "media": media,
    }


def _render(template: str, ctx: RenderContext, media: str, values: dict[str, Any]) -> str:
    return environment().get_template(template).render(**values, **_common(ctx, media))


def render_scorecard_html(tenant: TenantResult, ctx: RenderContext, change: TenantChange | None = None,
                          media: str = "html") -> str:
    values = {"view": scorecard_view(tenant, ctx.why, change, ctx.scoring), "tenant": tenant,
              "frameworks": tenant_frameworks(tenant.results)}
    return _render("scorecard.html", ctx, media, values)


def render_portfolio_html(results: AuditResults, ctx: RenderContext, slugs: dict[str, str],
                          history: dict[str, TenantChange] | None = None, media: str = "html") -> str:
    values = {"view": portfolio_view(results, slugs, ctx.why, history), "results": results,
              "frameworks": portfolio_frameworks(results)}
    return _render("portfolio.html", ctx, media, values)


# --- PDF ------------------------------------------------------------------------------------------------


def restricted_fetcher(allowed_files: Iterable[Path]):
    """A WeasyPrint URL fetcher that serves only the bundled assets and the given files (the logo), and
    refuses everything else: http, https, data and any other file. Refused URLs are kept in ``refused``
    so tests (and debugging) can see what a document tried to load."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets_root = os.path.realpath(ASSETS_DIR)
    allowed = {os.path.realpath(path) for path in allowed_files}

    class RestrictedURLFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            path = os.path.realpath(unquote(parts.path)) if parts.scheme == "file" and not parts.netloc else ""
            inside_assets = path.startswith(assets_root + os.sep)
            if not path or not (path in allowed or inside_assets) or not os.path.isfile(path):
                self.refused.append(url)
                raise ValueError(f"refused to load {url[:80]!r}: reports load only their bundled assets and logo")
            with open(path, "rb") as stream:
                body = stream.read()
            mime = _image_type(body[:64]) or (
                "image/svg+xml" if path.endswith(".svg") else "text/css" if path.endswith(".css") else "application/octet-stream"
            )
            return URLFetcherResponse(Path(path).as_uri(), body, {"Content-Type": mime})

    return RestrictedURLFetcher()


@lru_cache(maxsize=4)
def _stylesheets(paper: str) -> "tuple[CSS, ...]":
    # Parsing the stylesheet once per process and reusing it saves a good share of each PDF's time.
    from weasyprint import CSS

    fonts = _font_config()
    return (
        # The bundled fonts come through the same restricted fetcher as everything else a report loads.
        CSS(filename=str(FONTS_STYLESHEET), font_config=fonts, url_fetcher=restricted_fetcher([])),
        CSS(string=stylesheet_text(), font_config=fonts),
        CSS(string=f"@page {{ size: {_paper(paper)}; }}", font_config=fonts),
    )


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# Decoded images (the logo), shared by the documents this process renders with the same logo file; the
# key includes the file's size and time, so a logo replaced under the same name is decoded afresh.
_IMAGE_CACHES: dict[tuple[str, int, int], dict[str, Any]] = {}


def _image_cache(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return _IMAGE_CACHES.setdefault((str(path), stat.st_size, stat.st_mtime_ns), {})


@dataclass(frozen=True)
class Pdf:
    data: bytes
    pages: int
    refused: tuple[str, ...]


def html_to_pdf(html: str, brand: Brand, paper: str = "A4") -> Pdf:
    from weasyprint import HTML

    fetcher = restricted_fetcher([brand.logo_path])
    document = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=list(_stylesheets(paper)), font_config=_font_config(), cache=_image_cache(brand.logo_path)
    )
    return Pdf(document.write_pdf(), len(document.pages), tuple(fetcher.refused))


# --- Writing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    paths: tuple[Path, ...]
    pages: int
    html_seconds: float
    pdf_seconds: float
    label: str


def _write_html_and_pdf(template: str, ctx: RenderContext, folder: Path, label: str, started: float,
                        values: dict[str, Any]) -> Written:
    """FOLDER/<template> as HTML and as PDF from one view model; html_seconds includes building the view."""
    stem = Path(template).stem
    html_path = atomic_write_text(folder / f"{stem}.html", _render(template, ctx, "html", values))
    html_done = time.perf_counter()
    pdf = html_to_pdf(_render(template, ctx, "pdf", values), ctx.brand, ctx.paper)
    pdf_path = atomic_write_bytes(folder / f"{stem}.pdf", pdf.data)
    return Written((html_path, pdf_path), pdf.pages, html_done - started, time.perf_counter() - html_done, label)


def write_scorecard(tenant: TenantResult, ctx: RenderContext, folder: Path, change: TenantChange | None) -> Written:
    started = time.perf_counter()
    values = {"view": scorecard_view(tenant, ctx.why, change, ctx.scoring), "tenant": tenant,
              "frameworks": tenant_frameworks(tenant.results)}
    return _write_html_and_pdf("scorecard.html", ctx, folder, tenant.display_name, started, values)


def write_portfolio(results: AuditResults, ctx: RenderContext, out_dir: Path, slugs: dict[str, str],
                    history: dict[str, TenantChange] | None) -> Written:
    started = time.perf_counter()
    values = {"view": portfolio_view(results, slugs, ctx.why, history), "results": results,
              "frameworks": portfolio_frameworks(results)}
    return _write_html_and_pdf("portfolio.html", ctx, out_dir, "portfolio", started, values)


def check_rationales() -> dict[str, str]:
    """check id → "why it matters" from the installed checks; empty when they cannot be loaded (the report
    then omits the paragraph rather than failing)."""
    from auditor.registry import Registry, RegistryError

    try:
        return {spec.id: spec.rationale for spec in Registry.from_entry_points()}
    except RegistryError:
        return {}


def _warm_up(paper: str) -> None:
    from auditor.workers import die_with_parent

    die_with_parent()  # SIGTERM or SIGKILL to the main process must not leave workers writing files
    _stylesheets(paper)
    environment()


def render_all(
    results: AuditResults,
    out_dir: Path,
    branding: Branding | None = None,
    *,
    paper: str = "A4",
    history: dict[str, TenantChange] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    why: dict[str, str] | None = None,
) -> list[Written]:
    """Render every report; returns one ``Written`` per document (paths, pages, timings) for the caller
    and the benchmark. Branding and paper are checked before anything is rendered."""
    brand = resolve_brand(branding)
    paper_size = _paper(paper)
    ctx = RenderContext(
        results_tool=results.tool.name,
        tool_version=results.tool.version,
        ruleset_version=results.tool.ruleset_version,
        run_id=results.run_id,
        operator=results.operator,
        generated_at=results.generated_at,
        brand=brand,
        paper=paper_size,
        why=check_rationales() if why is None else why,
        scoring=results.scoring,
    )
    history = history or {}
    slugs = tenant_slugs(results.tenants)
    with_portfolio = len(results.tenants) > 1 or any(t.kind == "partner" for t in results.tenants)
    progress = progress or NoProgress()
    progress.start(len(results.tenants) + (1 if with_portfolio else 0), "Rendering reports")
    written: list[Written] = []
    if jobs <= 1:
        for tenant in results.tenants:
            written.append(write_scorecard(tenant, ctx, out_dir / slugs[tenant.tenant_id], history.get(tenant.tenant_id)))
            progress.advance(tenant.display_name)
        if with_portfolio:
            written.append(write_portfolio(results, ctx, out_dir, slugs, history))
            progress.advance("portfolio")
    else:
        from auditor.workers import stopping_workers

        with ProcessPoolExecutor(max_workers=jobs, initializer=_warm_up, initargs=(paper_size,)) as pool:
            futures = []
            if with_portfolio:  # the longest document first, so it does not finish last alone
                futures.append(pool.submit(write_portfolio, results, ctx, out_dir, slugs, history))
            futures += [
                pool.submit(write_scorecard, tenant, ctx, out_dir / slugs[tenant.tenant_id], history.get(tenant.tenant_id))
                for tenant in results.tenants
            ]
            # One failed document, Ctrl-C or SIGTERM stops the run: the workers are killed, nothing more is written.
            with stopping_workers(pool):
                for future in as_completed(futures):
                    done = future.result()
                    written.append(done)
                    progress.advance(done.label)
    progress.finish()
    return written


def render_reports(
    results: AuditResults,
    out_dir: Path,
    branding: Branding | None = None,
    *,
    paper: str = "A4",
    history: dict[str, TenantChange] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Path]:
    """Write DIR/<tenant-slug>/scorecard.html and .pdf for every tenant (the partner's own included) and
    DIR/portfolio.html and .pdf when there is more than one tenant or a partner tenant."""
    written = render_all(results, out_dir, branding, paper=paper, history=history, jobs=jobs, progress=progress)
    return [path for item in written for path in item.paths]
