"""Small text helpers of the reports: folder names for tenants, evidence cells as text, dates, scores,
remediation text as paragraphs and steps, and which references may become links."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime
from typing import Any, Iterable

from auditor.report import charts
from auditor.results import TenantResult, fmt_coverage

_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"\u201c])")
FIX_CHARS = 320  # a fix longer than this is cut at a sentence end: the finding has the full steps


# Folder names Windows refuses (CON, NUL, COM1, …, whatever the extension) and the names of the tool's own
# files and folders under --out: a tenant called "snapshots" or "CON" gets "-tenant" appended.
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_TOOL_NAMES = {"snapshots", "partner-context", "portfolio", "results", "sample-history", "reports"}


def slugify(name: str, limit: int = 48) -> str:
    """A folder name for a tenant: lower-case ASCII letters, digits and hyphens, at most ``limit``
    characters, never a name Windows reserves nor one of the tool's own."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:limit].strip("-")
    slug = slug or "tenant"
    if slug.split("-")[0] in _WINDOWS_RESERVED or slug in _TOOL_NAMES:
        slug = f"{slug}-tenant"
    return slug


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


def remediation_line(text: str) -> str:
    """Remediation text as one line for a CSV or spreadsheet cell: the author's wrapped lines joined with
    spaces (a spreadsheet shows a line break without wrapping as nothing, gluing two words), paragraphs one
    after the other, steps numbered inline ("1. … 2. …"). results.json keeps the text as written."""
    parts: list[str] = []
    for block in remediation_blocks(text):
        if block["kind"] == "ol":
            parts.extend(f"{number}. {item}" for number, item in enumerate(block["items"], start=1))
        else:
            parts.extend(block["items"])
    return " ".join(parts)


def safe_link(url: str) -> str | None:
    """Only http(s) references become links; anything else (javascript:, file:) is shown as text."""
    return url if re.match(r"^https?://[^\s\"'<>]+$", url) else None



def first_sentences(text: str, limit: int = FIX_CHARS) -> str:
    """The leading sentences of ``text`` that fit in ``limit`` characters (at least the first one)."""
    flat = " ".join(text.split())
    sentences = _SENTENCE_END.split(flat)
    out = sentences[0] if sentences else ""
    for sentence in sentences[1:]:
        if len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}"
    return out


_LONG_RUN = re.compile(r"\S{25,}")
SOFT_BREAK_EVERY = 10


def soft_wrapped(text: str, every: int = SOFT_BREAK_EVERY) -> str:
    """``text`` with U+200B ZERO WIDTH SPACE after every ``every`` characters of a run of more than 24
    non-space characters, so a name with no space (Entra display names allow 256 characters of one) wraps
    wherever a report prints it instead of running off the page. Ordinary words are untouched; the
    character is invisible, as WeasyPrint's own ``<wbr>`` is."""
    def broken(match: re.Match[str]) -> str:
        run = match.group(0)
        return "\u200b".join(run[i : i + every] for i in range(0, len(run), every))

    return _LONG_RUN.sub(broken, text)
