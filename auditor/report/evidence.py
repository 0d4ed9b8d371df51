"""A finding's evidence as the report prints it: offending objects first, advisory rows (roles nobody
holds) folded into one sentence, every cell in customer words, column widths from the content.

Checks write evidence rows as plain dicts (one per object, the same keys in each); what a row says about
its object is in its verdict cells (``result``, ``status``, ``verdict``, ``finding``, ``registration``,
``complianceStatus``, ``detail``). ``row_kind`` reads them with the small vocabulary the built-in checks
use, listed below; a row it cannot place is ``OTHER`` and keeps its place after the offending ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from auditor.report.formatting import cell_text, humanize_key
from auditor.report.wording import customer_text

EVIDENCE_ROWS_SHOWN = 8  # rows of an evidence table shown in a finding; the rest go to the appendix
# Rows of one finding's evidence in the appendix: a 100,000-user tenant's list was a 1,641-page PDF. The
# complete list is always in results.xlsx (evidence sheet) and results.json; the report says so.
EVIDENCE_ROWS_IN_REPORT = 100
EVIDENCE_LINE_CHARS = 110  # about what one line of an evidence table holds (8pt text, A4 or Letter)

# An opaque id (a GUID, a schedule instance id): useful in a table, noise in a one-line summary of a row.
_OPAQUE_ID = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9_-]{24,}$")

VERDICT_KEYS = ("result", "status", "verdict", "finding", "registration", "complianceStatus", "detail")
# "not held, not covered (advisory)": a role nobody holds, listed so the reader knows it is not covered.
_ADVISORY = re.compile(r"\(advisory\)|^not held\b", re.I)
_OFFENDING = re.compile(
    r"^(fail\b|held, not covered|not mfa-registered|unfamiliar|overdue|noncompl|not compliant|standing access"
    r"|generic|no sign-in|no budget|no anomaly|no defender|no counting|plans not on)", re.I)
_PASSING = re.compile(r"^(pass\b|met\b|compliant\b|held, covered|configured partner|known partner"
                      r"|declared break-glass|exempt\b|break-glass account)", re.I)


class RowKind(IntEnum):
    """How a row matters to the reader, in the order rows are shown."""

    OFFENDING = 0  # the object the finding is about: act on it
    OTHER = 1  # context the check listed (candidate policies, every holder of a role)
    PASSING = 2  # an object that meets the rule, listed beside the offending ones
    ADVISORY = 3  # nothing to act on now (a role nobody holds): one sentence, not a row


def row_kind(row: dict[str, Any]) -> RowKind:
    """The kind of one evidence row, from its verdict cells (``VERDICT_KEYS``)."""
    verdicts = [str(row[key]).strip() for key in VERDICT_KEYS if row.get(key) not in (None, "")]
    if any(_ADVISORY.search(v) for v in verdicts):
        return RowKind.ADVISORY
    if any(_OFFENDING.search(v) for v in verdicts):
        return RowKind.OFFENDING
    if any(_PASSING.search(v) for v in verdicts):
        return RowKind.PASSING
    return RowKind.OTHER


def exposure(rows: list[dict[str, Any]]) -> int:
    """How many objects a failing finding affects: its offending rows, or, when the check marks none,
    every row that is neither passing nor advisory."""
    kinds = [row_kind(row) for row in rows]
    offending = kinds.count(RowKind.OFFENDING)
    return offending or kinds.count(RowKind.OTHER)


@dataclass
class EvidenceTable:
    columns: list[str]
    headers: list[str]
    rows: list[list[str]]  # the rows the report holds (at most EVIDENCE_ROWS_IN_REPORT), offending first
    shown: int
    anchor: str
    widths: list[float] = field(default_factory=list)  # percent per column, from the length of its content
    total: int = 0  # every row shown as a row (advisory ones excluded); results.xlsx and .json hold them all
    advisory: str = ""  # one sentence standing for the advisory rows, naming them
    advisory_count: int = 0
    offending: int = 0  # rows about objects to act on
    wide: bool = False  # many columns: printed in smaller type (evidence-wide)

    @property
    def advisory_short(self) -> str:
        """The advisory rows counted, not named (the appendix of a passing check)."""
        if not self.advisory_count:
            return ""
        return f"Advisory, nothing to act on now: {self.advisory_count} more rows about objects nobody holds or uses."

    @property
    def continued(self) -> list[list[str]]:
        """The rows after those the finding shows: what the appendix adds for a failing check."""
        return self.rows[self.shown:]

    def lines(self, rows: list[list[str]] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
        """Rows (default: all the report holds) as (first cell, [(header, value)] of the others), leaving
        out empty cells, opaque ids and a bare "PASS": the appendix prints rows this way, one line each."""
        out = []
        for row in self.rows if rows is None else rows:
            rest = [(header, cell) for header, cell in zip(self.headers[1:], row[1:])
                    if cell not in ("—", "PASS") and not _OPAQUE_ID.match(cell)]
            out.append((row[0], rest))
        return out

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


def _advisory_sentence(rows: list[dict[str, Any]], first_column: str) -> str:
    if not rows:
        return ""
    names = [customer_text(cell_text(row.get(first_column))) for row in rows]
    noun = humanize_key(first_column).lower() or "row"
    plural = noun if len(rows) == 1 else (noun[:-1] + "ies" if noun.endswith("y") else noun + "s")
    return (f"Advisory, nothing to act on now: {len(rows)} {plural} that nobody holds or uses "
            f"({', '.join(names)}).")


LIST_ITEMS_SHOWN = 4  # items of a long comma-separated cell (the roles a policy targets) shown in the report


def short_list(cell: str, shown: int = LIST_ITEMS_SHOWN) -> str:
    """A cell listing many items ("roles: A, B, C, D, E, F") cut to the first ``shown`` and a count, so
    one cell cannot fill a page; the partner's workbook has the whole list."""
    items = cell.split(", ")
    if len(items) <= shown + 1:
        return cell
    return ", ".join(items[:shown]) + f" and {len(items) - shown} more"


def evidence_table(rows: list[dict[str, Any]], anchor: str, limit: int = EVIDENCE_ROWS_SHOWN,
                   report_limit: int = EVIDENCE_ROWS_IN_REPORT) -> EvidenceTable | None:
    """The evidence of one finding as text cells: offending rows first (stable order otherwise), advisory
    rows as one sentence, ``limit`` rows shown in the finding, at most ``report_limit`` in the report
    (the appendix), however long the list; cost linear in the rows. None when there is no evidence."""
    if not rows:
        return None
    columns: dict[str, None] = {}  # ordered set: one dict lookup per key, not a list scan
    for row in rows:
        columns.update(dict.fromkeys(row))
    keys = list(columns)
    kinds = [row_kind(row) for row in rows]
    advisory = [row for row, kind in zip(rows, kinds) if kind is RowKind.ADVISORY]
    ordered = [row for _, _, row in sorted(
        ((kind, index, row) for index, (row, kind) in enumerate(zip(rows, kinds)) if kind is not RowKind.ADVISORY),
        key=lambda item: (item[0], item[1]))]
    kept = ordered[: max(report_limit, limit + 1)]
    cells = [[short_list(customer_text(cell_text(row.get(key)))) for key in keys] for row in kept]
    # Cutting to leave "and 1 more" would save nothing: show a row that would be the only one cut.
    shown = len(ordered) if len(ordered) <= limit + 1 else limit
    headers = [customer_text(humanize_key(key)) for key in keys]
    wide = is_wide(headers, cells)
    widths = column_widths(headers, cells, WIDE_LINE_CHARS if wide else EVIDENCE_LINE_CHARS)
    return EvidenceTable(keys, headers, cells, shown, anchor, widths, total=len(ordered), wide=wide,
                         advisory=_advisory_sentence(advisory, keys[0]), advisory_count=len(advisory),
                         offending=kinds.count(RowKind.OFFENDING))


WIDE_LINE_CHARS = 126  # the same line in the smaller type of a table with many columns (evidence-wide)
_WORD_BREAKS = re.compile(r"[\s@._/#-]")  # where a cell may wrap (spaces, and the <wbr> of the templates)


def _column_needs(headers: list[str], rows: list[list[str]]) -> tuple[list[float], list[float], list[float]]:
    """Per column, in characters: (wanted width, the width its words need, the width its header needs)."""
    weights: list[float] = []
    floors: list[float] = []
    header_floors: list[float] = []
    for index, header in enumerate(headers):
        lengths = sorted(len(row[index]) for row in rows) or [0]
        typical = lengths[int(0.9 * (len(lengths) - 1))]
        longest_word = max((len(word) for row in rows for word in _WORD_BREAKS.split(row[index])), default=0)
        # Headers are printed in capitals, about 1.25 times as wide as the text below them.
        header_floor = max((len(word) for word in header.split()), default=4) * 1.25 + 2.0
        floor = max(8.0, header_floor, min(longest_word, 22) + 3.0)
        header_floors.append(header_floor)
        floors.append(floor)
        weights.append(max(floor, min(float(typical), 40.0)))
    return weights, floors, header_floors


def is_wide(headers: list[str], rows: list[list[str]]) -> bool:
    """Whether the columns' words cannot fit one line of normal evidence type: printed smaller."""
    return sum(_column_needs(headers, rows)[1]) > EVIDENCE_LINE_CHARS


def column_widths(headers: list[str], rows: list[list[str]], line: float = EVIDENCE_LINE_CHARS) -> list[float]:
    """Column widths in percent, in proportion to each column's typical (90th percentile) text length,
    bounded so a long list cannot starve the other columns. The print layout is a fixed table layout
    (fast, and long values wrap instead of widening the table), so the widths are given explicitly. A
    column is never narrower than its header's longest word, so headers never run into each other;
    ``line`` is how many characters a line of the table holds."""
    weights, floors, header_floors = _column_needs(headers, rows)
    total, floor_total = sum(weights), sum(floors)
    if total > line >= floor_total:
        # Too wide for one line: shrink only what lies above each column's floor, so that a column of short
        # words ("Global Administrator") is not squeezed until a word breaks mid-way beside a column of ids.
        shrink = (line - floor_total) / (total - floor_total) if total > floor_total else 0.0
        weights = [floor + (weight - floor) * shrink for weight, floor in zip(weights, floors)]
    elif floor_total > line:
        # Even the words do not fit. Every header keeps its longest word; what is left is shared in
        # proportion to what each column's words need beyond it.
        spare = max(0.0, line - sum(header_floors))
        extra = [floor - header for floor, header in zip(floors, header_floors)]
        weights = [header + (spare * more / sum(extra) if sum(extra) else 0.0) for header, more in zip(header_floors, extra)]
    total = sum(weights)
    return [round(100.0 * weight / total, 2) for weight in weights]
