"""results.xlsx: three sheets, untrusted text stays text, written atomically."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from auditor.results import Acceptance
from auditor.xlsx_export import EVIDENCE_COLUMNS, FINDINGS_COLUMNS, SUMMARY_COLUMNS, write_xlsx
from tests.test_store_backends import audit, check, tenant


@pytest.fixture
def results():
    contoso = tenant("c-1", "Contoso", {"MFA-1": "PASS", "MFA-2": "FAIL", "CON-1": "UNKNOWN"}, tags=["retail", "eu"])
    contoso.results[1].evidence = [
        {"userPrincipalName": "ann@contoso.com", "roles": ["Global Administrator"]},
        {"userPrincipalName": "=HYPERLINK(\"https://evil.example\",\"click\")", "roles": []},
    ]
    contoso.results.append(check("ADM-1", "ACCEPTED", acceptance=Acceptance(reason="Vendor", owner="CISO", expires=date(2027, 3, 31))))
    hostile = tenant("h-2", "=1+2\x07Hostile", {"MFA-1": "FAIL"})
    hostile.results[0].evidence = []
    return audit("run-1", [contoso, hostile])


def rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_four_sheets_with_a_row_per_tenant_finding_and_evidence_field(results, tmp_path):
    (path,) = write_xlsx(results, tmp_path)
    assert path == tmp_path / "results.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "findings", "evidence", "about"]

    summary = rows(book["summary"])
    assert summary[0] == SUMMARY_COLUMNS
    contoso = dict(zip(SUMMARY_COLUMNS, summary[1]))
    assert (contoso["Tenant"], contoso["Tags"], contoso["Score"], contoso["FAIL"], contoso["ACCEPTED"]) == (
        "Contoso", "retail, eu", results.tenants[0].score, 1, 1)
    assert len(summary) == 1 + len(results.tenants)

    findings = rows(book["findings"])
    assert findings[0] == FINDINGS_COLUMNS
    assert len(findings) == 1 + sum(len(t.results) for t in results.tenants)
    accepted = dict(zip(FINDINGS_COLUMNS, findings[4]))
    assert (accepted["Check ID"], accepted["Status"], accepted["Accepted by"]) == ("ADM-1", "ACCEPTED", "CISO")
    # The reports' words beside the codes, so a filter on either finds the same rows.
    assert (accepted["Status label"], accepted["Area"], accepted["Area title"]) == ("Accepted risk", "mfa", "MFA enforcement")
    assert accepted["Accepted until"].date() == date(2027, 3, 31)

    evidence = rows(book["evidence"])
    assert evidence[0] == EVIDENCE_COLUMNS
    expected_fields = sum(len(row) for t in results.tenants for r in t.results for row in r.evidence)
    assert len(evidence) == 1 + expected_fields
    mfa2 = [dict(zip(EVIDENCE_COLUMNS, row)) for row in evidence[1:] if row[2] == "MFA-2"]
    assert [(e["Row"], e["Field"], e["Value"]) for e in mfa2[:2]] == [
        (1, "userPrincipalName", "ann@contoso.com"), (1, "roles", '["Global Administrator"]')]


def test_tenant_text_never_becomes_a_formula(results, tmp_path):
    (path,) = write_xlsx(results, tmp_path)
    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == []
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert '=HYPERLINK("https://evil.example","click")' in texts
    assert "=1+2Hostile" in texts  # the control character Excel cannot store is dropped


def test_the_file_is_replaced_whole(results, tmp_path):
    (tmp_path / "results.xlsx").write_bytes(b"old")
    write_xlsx(results, tmp_path)
    assert openpyxl.load_workbook(tmp_path / "results.xlsx").sheetnames == ["summary", "findings", "evidence", "about"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.xlsx"]  # no temporary file left behind


def test_an_empty_portfolio_still_gives_the_four_sheets(tmp_path):
    (path,) = write_xlsx(audit("empty", []), tmp_path / "new-folder")
    book = openpyxl.load_workbook(path)
    assert [len(rows(book[name])) for name in book.sheetnames] == [1, 1, 1, 9]


def test_the_workbook_times_are_utc(results, tmp_path):
    # --as-of 2026-01-15T11:00+02:00 evaluates at 09:00 UTC; the file's creation time said 11:00 (as UTC).
    from datetime import datetime, timedelta, timezone

    results.generated_at = datetime(2026, 1, 15, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    book = openpyxl.load_workbook(write_xlsx(results, tmp_path)[0])
    assert book.properties.created == datetime(2026, 1, 15, 9, 0)
    assert book["summary"]["H2"].number_format == "0.0%"  # Coverage: one decimal, as in every output
    assert book["summary"]["F2"].number_format == "0.0"  # Score
    assert book["findings"]["M2"].number_format == "yyyy-mm-dd"  # Accepted until
