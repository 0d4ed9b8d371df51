"""results.xlsx: the results for people who live in Excel. Four sheets:

- summary: one row per tenant (score, grade, coverage, status counts, area scores and grades; a grade is
  "Incomplete" below the coverage floor);
- findings: one row per check result (the CSV's columns: codes with the reports' labels beside them);
- evidence: one row per field of each evidence row (tenant, check, row number, field, value). Evidence
  rows differ in shape from check to check, so a long table is the one layout that filters and pivots
  the same way for every check (filter on a check id, then on a field such as userPrincipalName);
- about: the run, the checklist version and the scoring rule that produced the figures.

Each table has a bold header row, frozen, fixed column widths and a filter over the whole table (not on
"about"). Scores carry the format "0.0", coverage "0.0%", dates "yyyy-mm-dd"; times are naive UTC (Excel has
no time zones). Numbers stay numbers, booleans booleans, None a blank cell.

Tenant data is untrusted: a display name like ``=HYPERLINK(…)`` must stay text, never become a formula,
and control characters that Excel cannot store are removed (``auditor.safe_text.file_text``: bidirectional
overrides dropped too; a lone surrogate, which no XML file can hold, becomes U+FFFD).

Written with XlsxWriter in ``constant_memory`` mode: each row goes to a temporary file as soon as the next
one starts (the tables are written strictly in order), with every string an inline string, so memory does
not grow with the evidence. (openpyxl's write-only mode, used before, made this export ~85 % of a 100-tenant
audit, most of it per-cell objects; XlsxWriter takes half the time: bench/xlsx.py.) The finished workbook is
assembled in memory and replaces ``results.xlsx`` atomically: a killed run leaves the previous file intact.

Excel's limits, kept here rather than left to the library (which cuts or drops silently):

- a cell holds at most 32,767 characters (UTF-16 code units): a longer value is cut and ends with
  ``TRUNCATED_MARKER`` (results.json keeps it whole);
- a sheet holds at most 1,048,576 rows: a table that would need more continues on a sheet of the same name
  numbered "(2)", "(3)"… with the same header (in practice only the evidence of the largest portfolios),
  and the "about" sheet says so;
- a number Excel cannot store (NaN, infinity, an integer beyond a float's range) is written as its text.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from auditor.fsutil import atomic_write_bytes
from auditor.report.formatting import remediation_line
from auditor.results import Area, AuditResults, Status, ruleset_label
from auditor.safe_text import ELLIPSIS, file_text, storable

FILE_NAME = "results.xlsx"

SUMMARY_COLUMNS = [
    "Tenant", "Tenant ID", "Domain", "Kind", "Tags", "Score", "Grade", "Coverage",
    *[status.value for status in Status],
    *[column for area in Area for column in (f"{area.title} score", f"{area.title} grade")],
]
FINDINGS_COLUMNS = [
    "Tenant", "Tenant ID", "Check ID", "Title", "Area", "Area title", "Severity", "Status", "Status label",
    "Summary", "Evidence rows", "Accepted by", "Accepted until", "Acceptance reason", "Attested by",
    "Attested on", "Attested until", "Remediation", "References", "Frameworks",
]
EVIDENCE_COLUMNS = ["Tenant", "Tenant ID", "Check ID", "Status", "Row", "Field", "Value"]
ABOUT_COLUMNS = ["Item", "Value"]

_WIDTHS = {"Tenant": 28, "Title": 48, "Summary": 70, "Remediation": 70, "Value": 60, "Tenant ID": 38, "Item": 22}
# Scores carry one decimal and coverage one decimal of a percentage, as in every other output.
_FORMATS = {"Coverage": "0.0%", "Score": "0.0", "Accepted until": "yyyy-mm-dd", "Attested on": "yyyy-mm-dd",
            "Attested until": "yyyy-mm-dd", **{f"{area.title} score": "0.0" for area in Area}}
# Columns holding a list, one item per line: their cells wrap, or Excel would show the items glued together.
_WRAPPED = {"References", "Frameworks"}
# A date or time in a column without a date format (an evidence value, the run's time) gets the format
# openpyxl gave it before: Excel would otherwise show a bare serial number.
_DATE_FORMAT, _DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd h:mm:ss"

# Excel's specifications and limits. Module constants so the tests can lower them.
MAX_ROWS = 1_048_576  # rows per sheet, the header included
MAX_CELL_CHARS = 32_767  # UTF-16 code units per cell
TRUNCATED_MARKER = f"{ELLIPSIS} [cut at Excel's limit of 32,767 characters per cell]"


def _fit(text: str) -> str:
    """``text`` cut to Excel's cell limit, ending in ``TRUNCATED_MARKER`` when cut. Lengths are UTF-16
    code units, as Excel counts (a character beyond U+FFFF takes two); an isolate that ``file_text``
    opened stays closed."""
    if len(text) <= MAX_CELL_CHARS // 2 or _utf16_len(text) <= MAX_CELL_CHARS:
        return text
    closing = "\u2069" if text.startswith("\u2068") and text.endswith("\u2069") else ""
    room = MAX_CELL_CHARS - _utf16_len(TRUNCATED_MARKER) - len(closing)
    kept = text[:room]  # ``room`` units if every character is in the BMP; fewer characters if not
    while (excess := _utf16_len(kept) - room) > 0:
        kept = kept[: len(kept) - (excess + 1) // 2]
    return kept + TRUNCATED_MARKER + closing


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _text(value: str) -> str:
    """A string as a cell holds it: control characters dropped (Excel cannot store most of them),
    bidirectional overrides dropped, lone surrogates replaced, cut to the cell limit. Cells are typed as
    strings (never formulas), so no apostrophe is needed here, unlike the CSV."""
    text = file_text(value)
    if not text.isascii():
        text = storable(text)
    return _fit(text)


def _cell_value(value: Any) -> Any:
    """What a cell holds for ``value``: None, bool, int, float, naive UTC datetime, date, or text (other
    values as their JSON)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones; the tool's times are UTC.
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, default=str, ensure_ascii=False)
    return _text(value)


class _Table:
    """One table, streamed row by row onto as many sheets as Excel's row limit needs (counted before the
    first row, so the sheets keep the workbook's order)."""

    def __init__(self, book: _Book, title: str, columns: list[str], rows: int) -> None:
        self.book, self.columns = book, columns
        self.per_sheet = MAX_ROWS - 1  # data rows under each header
        count = max(1, -(-rows // self.per_sheet))
        self.names = [title if n == 1 else f"{title} ({n})" for n in range(1, count + 1)]
        self.sheets = [self._sheet(name) for name in self.names]
        self.formats = [book.wrapped if name in _WRAPPED else book.number_format(_FORMATS.get(name))
                        for name in columns]
        self.sheet_index, self.row = 0, 1  # the next row to write, 0-based (row 0 holds the header)

    def _sheet(self, name: str) -> Any:
        sheet = self.book.workbook.add_worksheet(name)
        for index, column in enumerate(self.columns):
            sheet.set_column(index, index, _WIDTHS.get(column, max(12, len(column) + 2)))
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(self.columns):
            sheet.write_string(0, index, column, self.book.bold)
        return sheet

    def append(self, values: list[Any], formats: list[Any] | None = None) -> None:
        """One row; ``formats`` overrides the columns' number formats for this row (the "about" sheet holds
        values of different kinds in one column)."""
        self.append_cells([_cell_value(value) for value in values], formats)

    def append_cells(self, cells: list[Any], formats: list[Any] | None = None) -> None:
        """One row of values ``_cell_value`` has already made (the evidence table's tenant and check columns
        are made once per finding, not once per field)."""
        if self.row > self.per_sheet:
            self.sheet_index += 1
            self.row = 1
        sheet, row, write = self.sheets[self.sheet_index], self.row, self.book.write
        write_string = sheet.write_string
        for column, (value, number_format) in enumerate(zip(cells, formats or self.formats)):
            if type(value) is str and value and value[:3] != "<r>":  # most cells: the short way
                write_string(row, column, value, number_format)
            else:
                write(sheet, row, column, value, number_format)
        self.row += 1

    def finish(self) -> None:
        """A filter over each sheet's whole table."""
        last = len(self.columns) - 1
        for index, sheet in enumerate(self.sheets):
            rows = self.row if index == self.sheet_index else (self.per_sheet + 1 if index < self.sheet_index else 1)
            sheet.autofilter(0, 0, rows - 1, last)


class _Book:
    """An XlsxWriter workbook streaming to ``target`` and the formats its cells share."""

    def __init__(self, target: str | Path | IO[bytes], scratch: str) -> None:
        import xlsxwriter

        # Strings stay strings: never read as a formula, a link or a number, whatever they look like.
        self.workbook = xlsxwriter.Workbook(target if isinstance(target, io.IOBase) else str(target), {
            "constant_memory": True, "tmpdir": scratch, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        self.bold = self.workbook.add_format({"bold": True})
        self.wrapped = self.workbook.add_format({"text_wrap": True})
        self._number_formats: dict[str, Any] = {}
        self._date_formats: set[Any] = set()  # the formats that show a date (a datetime cell keeps its column's)

    def number_format(self, code: str | None) -> Any:
        """The shared cell format of a number format code (None: none)."""
        if code is None:
            return None
        if code not in self._number_formats:
            self._number_formats[code] = self.workbook.add_format({"num_format": code})
            if "yy" in code:
                self._date_formats.add(self._number_formats[code])
        return self._number_formats[code]

    def write(self, sheet: Any, row: int, column: int, value: Any, number_format: Any) -> None:
        """One cell of a value ``_cell_value`` made, typed by its Python type."""
        if value == "":
            value = None  # a blank cell, as openpyxl wrote it
        if isinstance(value, str):
            if value.startswith("<r>") and value.endswith("</r>"):
                # In constant_memory mode XlsxWriter copies a string shaped like this into the sheet's XML
                # unescaped, taking it for a rich string it built itself (a cell could then add a formula
                # cell beside it); written as a rich string of three runs, every character is escaped.
                fragments = [value[:1], value[1:3], value[3:]]
                sheet.write_rich_string(row, column, *fragments, *([number_format] if number_format else []))
            else:
                sheet.write_string(row, column, value, number_format)
        elif value is None:
            if number_format is not None:
                sheet.write_blank(row, column, None, number_format)  # the column's format, ready for input
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value, number_format)
        elif isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:
                number = math.nan
            if math.isfinite(number):
                sheet.write_number(row, column, value, number_format)
            else:  # Excel has no NaN or infinity; results.json writes these words
                text = str(value) if isinstance(value, int) else json.dumps(value)
                sheet.write_string(row, column, _fit(text), number_format)
        else:  # datetime or date
            if number_format not in self._date_formats:
                number_format = self.number_format(_DATETIME_FORMAT if isinstance(value, datetime) else _DATE_FORMAT)
            sheet.write_datetime(row, column, value, number_format)


def _about_rows(results: AuditResults, tables: list[_Table]) -> list[tuple[str, Any, str | None]]:
    rows = [
        ("Run ID", results.run_id, None),
        ("Evaluated at (UTC)", results.generated_at, None),
        ("Tool", f"{results.tool.name} {results.tool.version}", None),
        ("Checklist", ruleset_label(results.tool.ruleset_version), None),
        ("Rule-set version", results.tool.ruleset_version, None),
        ("Scoring rule", results.scoring.describe(), None),
        ("Accepted risk", results.scoring.accepted_risk.value, None),
        ("Minimum coverage for a grade", results.scoring.min_coverage, "0.0%"),
    ]
    for table in tables:
        if len(table.names) > 1:
            rows.append((f"{table.names[0]} continues on", ", ".join(table.names[1:])
                         + f" (Excel holds at most {MAX_ROWS:,} rows per sheet)", None))
    return rows


def build_workbook(results: AuditResults, target: str | Path | IO[bytes]) -> None:
    """Write the workbook to ``target`` (a path or a binary file object); ``write_xlsx`` is the atomic
    writer of ``results.xlsx``. XlsxWriter's temporary files (a row file per sheet, the parts of the
    package) live in a folder of their own, removed whatever happens."""
    with tempfile.TemporaryDirectory(prefix="auditor-xlsx-", ignore_cleanup_errors=True) as scratch:
        book = _Book(target, scratch)
        try:
            _write_tables(results, book)
            book.workbook.close()
        except BaseException:
            for sheet in book.workbook.worksheets():
                with contextlib.suppress(Exception):  # the first error is the one to report
                    sheet._opt_close()  # an unfinished workbook's row files, closed so the folder can go
            raise


def _write_tables(results: AuditResults, book: _Book) -> None:
    tenants = results.tenants
    summary = _Table(book, "summary", SUMMARY_COLUMNS, len(tenants))
    findings = _Table(book, "findings", FINDINGS_COLUMNS, sum(len(t.results) for t in tenants))
    evidence = _Table(book, "evidence", EVIDENCE_COLUMNS,
                      sum(len(row) for t in tenants for r in t.results for row in r.evidence))
    about_rows = _about_rows(results, [summary, findings, evidence])
    about = _Table(book, "about", ABOUT_COLUMNS, len(about_rows))

    for tenant in tenants:
        counts = {status: 0 for status in Status}
        for result in tenant.results:
            counts[result.status] += 1
        summary.append([
            tenant.display_name, tenant.tenant_id, tenant.default_domain, tenant.kind, ", ".join(tenant.tags),
            tenant.score, tenant.grade, tenant.coverage,
            *[counts[status] for status in Status],
            *[value for area in Area for value in (
                (tenant.areas[area.value].score, tenant.areas[area.value].grade or None)
                if area.value in tenant.areas else (None, None))],
        ])
        name, tenant_id = _cell_value(tenant.display_name), _cell_value(tenant.tenant_id)
        for result in tenant.results:
            acceptance, attestation = result.acceptance, result.attestation
            findings.append([
                tenant.display_name, tenant.tenant_id, result.check_id, result.title, result.area.value,
                result.area_title, result.severity.value, result.status.value, result.status_label,
                result.summary, len(result.evidence),
                acceptance.owner if acceptance else None,
                acceptance.expires if acceptance else None,
                acceptance.reason if acceptance else None,
                attestation.reviewer if attestation else None,
                attestation.reviewed if attestation else None,
                attestation.valid_until if attestation else None,
                # Prose as one line, as in the CSV (the author's line breaks would glue words in an unwrapped
                # cell); the two lists one item per line, in columns whose cells wrap.
                remediation_line(result.remediation), "\n".join(result.references),
                "\n".join(f"{ref.framework} {ref.version} {ref.control}: {ref.title}" for ref in result.frameworks),
            ])
            check = [name, tenant_id, _cell_value(result.check_id), _cell_value(result.status.value)]
            for row_number, row in enumerate(result.evidence, start=1):
                for field_name, value in row.items():
                    evidence.append_cells([*check, row_number, _cell_value(field_name), _cell_value(value)])

    for item, value, number_format in about_rows:
        about.append([item, value], [None, book.number_format(number_format)])
    for table in (summary, findings, evidence):
        table.finish()
    book.workbook.set_properties({
        "title": _text(f"Audit {results.run_id}"),
        "author": _text(f"{results.tool.name} {results.tool.version} (rule set {results.tool.ruleset_version}; "
                        f"{results.scoring.describe()})"),
        "created": _cell_value(results.generated_at),  # UTC, like every cell
    })


def write_xlsx(results: AuditResults, out_dir: Path) -> list[Path]:
    """Write ``out_dir/results.xlsx`` atomically (a killed run leaves the previous file intact)."""
    buffer = io.BytesIO()
    build_workbook(results, buffer)
    return [atomic_write_bytes(Path(out_dir) / FILE_NAME, buffer.getvalue())]
