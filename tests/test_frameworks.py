"""Compliance frameworks (issue 15 item 2): the packaged data is well-formed and resolves, the registry
attaches it to checks, every output carries it, and the scorecard and portfolio summarise it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timezone

import openpyxl
import pytest
from typer.testing import CliRunner

from auditor import frameworks
from auditor.cli import app
from auditor.evaluate import evaluate_tenant
from auditor.framework_view import FAILING, NOT_ASSESSED, PASSING, portfolio_frameworks, tenant_frameworks
from auditor.outputs import results_csv, results_json
from auditor.registry import Registry
from auditor.report import render_portfolio_html, render_scorecard_html
from auditor.results import Acceptance, FrameworkRef
from auditor.xlsx_export import FINDINGS_COLUMNS, write_xlsx
from tests.builders import make_snapshot
from tests.test_render import context, visible_text
from tests.test_store_backends import audit, check, tenant

# Each framework's own numbering, written out here independently of auditor.frameworks.ID_FORMATS.
WELL_FORMED = {
    "CIS-M365": r"\d+\.\d+(\.\d+){0,2}",  # CIS: section.subsection[.n[.n]], e.g. 1.1.3, 5.2.2.1
    "CIS-Azure": r"\d+\.\d+(\.\d+){0,2}",  # e.g. 6.1.2.11, 8.1.12
    "SCuBA-AAD": r"MS\.AAD\.\d+\.\d+v\d+",  # e.g. MS.AAD.3.6v1
    "PartnerCenter": r"(mfaEnforcedForAdmins|mfaEnforcedForAdminsOfCustomers|securityAlertsPromptlyResolved"
                     r"|securityContactProvided|spendingBudgetSetForCustomerAzureSubscriptions)",  # Graph's enum
}
REGISTRY = Registry.from_entry_points()


def test_every_control_id_is_well_formed_for_its_framework():
    data = frameworks.load()
    assert set(data.frameworks) == set(WELL_FORMED)
    for key, framework in data.frameworks.items():
        assert framework.source and framework.version and framework.date
        for control_id, title in framework.controls.items():
            assert re.fullmatch(WELL_FORMED[key], control_id), (key, control_id)
            assert title.strip(), (key, control_id)


def test_every_mapping_resolves_to_a_control_with_its_title():
    data = frameworks.load()
    assert data.checks, "the mapping is empty"
    for check_id, mapping in data.checks.items():
        resolved = frameworks.controls_for(check_id)
        assert len(resolved) == sum(len(ids) for ids in mapping.values())
        for control in resolved:
            assert control.title == data.frameworks[control.key].controls[control.control]
    # Every control in a table is used by some check: the file lists no orphan controls.
    used = {(key, cid) for mapping in data.checks.values() for key, ids in mapping.items() for cid in ids}
    assert used == {(key, cid) for key, fw in data.frameworks.items() for cid in fw.controls}


def test_the_four_frameworks_are_mapped():
    keys = {key for mapping in frameworks.load().checks.values() for key in mapping}
    assert keys == {"CIS-M365", "SCuBA-AAD", "CIS-Azure", "PartnerCenter"}


BASE = """
[frameworks.CIS-M365]
name = "CIS Microsoft 365 Foundations Benchmark"
short = "CIS M365"
version = "6.0.0"
date = "2025-10-31"
source = "test"
[frameworks.CIS-M365.controls]
"{cid}" = "Ensure something"
[checks]
{check} = {{ CIS-M365 = ["{mapped}"] }}
"""


def test_a_mapping_to_a_missing_control_is_refused_by_name():
    with pytest.raises(frameworks.FrameworkDataError, match=r"MFA-1: CIS-M365 has no control '9\.9\.9'"):
        frameworks.parse(BASE.format(cid="1.1.3", check="MFA-1", mapped="9.9.9"))


def test_a_malformed_control_id_is_refused_by_name():
    with pytest.raises(frameworks.FrameworkDataError, match="malformed control id 'MS.AAD.1.1'"):
        frameworks.parse(BASE.format(cid="MS.AAD.1.1", check="MFA-1", mapped="MS.AAD.1.1"))


def test_an_unknown_framework_or_field_is_refused():
    with pytest.raises(frameworks.FrameworkDataError, match="no known id format"):
        frameworks.parse(BASE.replace("CIS-M365", "NIST").format(cid="1.1", check="MFA-1", mapped="1.1"))
    with pytest.raises(frameworks.FrameworkDataError):
        frameworks.parse(BASE.format(cid="1.1.3", check="MFA-1", mapped="1.1.3") + "\nextra = 1\n")


def test_a_check_not_installed_may_be_mapped():
    data = frameworks.parse(BASE.format(cid="1.1.3", check="XYZ-9", mapped="1.1.3"))
    assert [c.control for c in frameworks.controls_for("XYZ-9", data)] == ["1.1.3"]
    assert "XYZ-9" not in REGISTRY  # and loading the registry is not disturbed by it


def test_the_registry_attaches_the_controls_to_each_check():
    spec = REGISTRY.get("MFA-3")
    assert [(c.framework, c.control) for c in spec.frameworks] == [("CIS M365", "5.2.2.5"), ("SCuBA", "MS.AAD.3.6v1")]
    assert REGISTRY.get("ADM-2").frameworks == ()  # no counterpart: none


def test_checks_list_json_and_table_show_them():
    result = CliRunner().invoke(app, ["checks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)}
    assert rows["MFA-5"]["frameworks"] == [
        {"framework": "CIS M365", "version": "6.0.0", "control": "5.2.2.3",
         "title": "Enable Conditional Access policies to block legacy authentication"},
        {"framework": "SCuBA", "version": "1.8.0", "control": "MS.AAD.1.1v1", "title": "Legacy authentication SHALL be blocked."},
    ]
    assert rows["PAR-1"]["frameworks"] == []
    table = CliRunner().invoke(app, ["checks", "list"], env={"COLUMNS": "250"})
    assert "CIS M365 6.0.0 5.2.2.3" in table.output


def test_evaluation_puts_them_on_every_result():
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    result = evaluate_tenant(make_snapshot(), REGISTRY, now)
    by_id = {r.check_id: r for r in result.results}
    assert [f.control for f in by_id["MFA-1"].frameworks] == ["5.2.2.2", "MS.AAD.3.2v2"]
    assert by_id["PAR-1"].frameworks == []


def _with_frameworks(check_id, status):
    extra = {"acceptance": Acceptance(reason="Vendor", owner="CISO", expires=date(2027, 3, 31))} if status == "ACCEPTED" else {}
    result = check(check_id, status, **extra)
    result.frameworks = [FrameworkRef(**c.as_dict()) for c in frameworks.controls_for(check_id)]
    return result


@pytest.fixture
def results():
    contoso = tenant("c-1", "Contoso", {})
    contoso.results = [_with_frameworks("MFA-1", "PASS"), _with_frameworks("MFA-3", "FAIL"),
                       _with_frameworks("CON-5", "UNKNOWN"), _with_frameworks("ADM-7", "ACCEPTED"),
                       _with_frameworks("MFA-5", "NOT_APPLICABLE"), _with_frameworks("ADM-2", "FAIL")]
    fabrikam = tenant("f-2", "Fabrikam", {})
    fabrikam.results = [_with_frameworks("MFA-1", "FAIL")]
    return audit("run-1", [contoso, fabrikam])


def test_results_json_csv_and_xlsx_carry_them(results, tmp_path):
    data = json.loads(results_json(results))
    assert data["tenants"][0]["results"][1]["frameworks"][1] == {
        "framework": "SCuBA", "version": "1.8.0", "control": "MS.AAD.3.6v1",
        "title": "Phishing-resistant MFA SHALL be required for highly privileged roles."}
    rows = list(csv.DictReader(io.StringIO(results_csv(results))))
    assert rows[0]["frameworks"] == "CIS M365 6.0.0 5.2.2.2; SCuBA 1.8.0 MS.AAD.3.2v2"
    assert rows[5]["frameworks"] == ""  # ADM-2: no counterpart
    (path,) = write_xlsx(results, tmp_path)
    findings = [[c.value for c in row] for row in openpyxl.load_workbook(path)["findings"].iter_rows()]
    cell = dict(zip(FINDINGS_COLUMNS, findings[2]))["Frameworks"]
    assert cell.splitlines() == ["CIS M365 6.0.0 5.2.2.5: Ensure 'Phishing-resistant MFA strength' is required for Administrators",
                                 "SCuBA 1.8.0 MS.AAD.3.6v1: Phishing-resistant MFA SHALL be required for highly privileged roles."]


def test_control_status_combines_the_checks_mapped_to_it(results):
    rows = {fw.framework: fw for fw in tenant_frameworks(results.tenants[0].results)}
    cis = {row.control: row.status for row in rows["CIS M365"].controls}
    # MFA-1 PASS, MFA-3 FAIL, CON-5 UNKNOWN (two controls), ADM-7 ACCEPTED; MFA-5 not applicable: absent.
    assert cis == {"5.2.2.2": PASSING, "5.2.2.5": FAILING, "5.2.2.6": NOT_ASSESSED, "5.2.2.7": NOT_ASSESSED,
                   "5.3.1": FAILING}
    assert (rows["CIS M365"].evidenced, rows["CIS M365"].passing, rows["CIS M365"].failing,
            rows["CIS M365"].not_assessed) == (5, 1, 2, 2)
    assert "CIS Azure" not in rows


def test_a_pass_beside_an_unknown_is_not_assessed():
    both = [_with_frameworks("CON-4", "PASS"), _with_frameworks("CON-3", "UNKNOWN")]
    (partner_center,) = tenant_frameworks(both)
    statuses = {row.control: row.status for row in partner_center.controls}
    assert statuses["securityAlertsPromptlyResolved"] == NOT_ASSESSED  # CON-4 passed, CON-3 could not decide
    assert statuses["securityContactProvided"] == PASSING


def test_the_scorecard_page_and_portfolio_line(results):
    html = visible_text(render_scorecard_html(results.tenants[0], context()))
    assert "Against recognised frameworks" in html
    # The summary row: framework, version, controls evidenced, passing, failing, not assessed.
    assert " ".join(html.split("Not assessed", 2)[1].split()[:7]) == "CIS M365 6.0.0 5 1 2 2"
    assert "CIS M365 5.2.2.5 Ensure 'Phishing-resistant MFA strength' is required for Administrators MFA-3 Fail" in html
    lines = portfolio_frameworks(results)
    cis = next(line for line in lines if line.framework == "CIS M365")
    assert (cis.tenants, cis.passing, cis.failing, cis.not_assessed) == (2, 1, 3, 2)
    portfolio = visible_text(render_portfolio_html(results, context(), {"c-1": "contoso", "f-2": "fabrikam"}))
    assert "CIS M365 6.0.0: 6 control assessments across 2 tenants: 1 passing, 3 failing, 2 not assessed." in portfolio
