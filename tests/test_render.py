"""The report HTML (no PDF here, so these stay fast): content of the scorecard and the portfolio, branding
validation, slugs, remediation and UNKNOWN parsing."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from html import unescape
from pathlib import Path

import pytest

from auditor.config import Branding
from auditor.report.branding import resolve_brand, validate_branding
from auditor.report.environment import RenderContext, render_portfolio_html, render_scorecard_html
from auditor.report.evidence import EVIDENCE_LINE_CHARS, WIDE_LINE_CHARS, evidence_table
from auditor.report.formatting import remediation_blocks, slugify, tenant_slugs
from auditor.report.paths import BrandingError, RenderError
from auditor.report.paths import paper_size as _paper
from auditor.report.priority import CheckTexts
from auditor.report.unknowns import unknown_item
from auditor.results import Acceptance, Area, CheckResult, Severity, Status
from auditor.trend import ScorePoint, TenantChange
from tests.test_render_helpers import NOW, make_results, make_tenant, portfolio

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c6390f7ab0400017600"
    "e7b68f53560000000049454e44ae426082"
)


def context(branding: Branding | None = None, why: dict[str, str] | None = None) -> RenderContext:
    return RenderContext("csp-posture-auditor", "0.1.0", "3", "run42abc", "ops@partner.example", NOW,
                         resolve_brand(branding), "A4", {k: CheckTexts(why=v) for k, v in (why or {}).items()})


def visible_text(html: str) -> str:
    body = re.sub(r"<style.*?</style>|<svg.*?</svg>|<script.*?</script>", " ", html, flags=re.S).replace("<wbr>", "")
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


# --- Branding -------------------------------------------------------------------------------------------


def test_default_branding_is_neutral_and_valid() -> None:
    brand = resolve_brand(None)
    assert brand.logo_is_placeholder and brand.partner_name == ""
    assert brand.on_primary == "#ffffff"  # the default navy needs white text


def test_png_logo_accepted(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1X1)
    brand = resolve_brand(Branding(partner_name="Fabrikam", logo=logo, primary_color="#f2c811"))
    assert brand.logo_mime == "image/png" and brand.logo_data_uri.startswith("data:image/png;base64,")
    assert brand.on_primary == "#111820"  # a light brand colour gets dark text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"just text, not an image", "not a PNG, JPEG, GIF or WebP image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>', "SVG is not accepted"),
        (b"<?xml version='1.0'?><svg/>", "SVG is not accepted"),
        (PNG_1X1[:40], "damaged or incomplete image"),
    ],
)
def test_unusable_logo_is_a_one_line_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    logo = tmp_path / "logo.png"
    if content is not None:
        logo.write_bytes(content)
    with pytest.raises(BrandingError, match=message) as caught:
        validate_branding(Branding(logo=logo))
    assert "\n" not in str(caught.value) and str(logo) in str(caught.value)


def test_bad_colour_refused_even_when_the_model_was_not_validated() -> None:
    with pytest.raises(BrandingError, match="primary_color"):
        validate_branding(Branding.model_construct(primary_color="red; background:url(http://x)", logo=None))


def test_paper_option() -> None:
    assert _paper("a4") == "A4" and _paper("Letter") == "letter"
    with pytest.raises(RenderError, match="A4 or Letter"):
        _paper("A3")


# --- Small helpers --------------------------------------------------------------------------------------


def test_slugs_are_ascii_safe_and_unique() -> None:
    assert slugify("Zürich Café & Co. ") == "zurich-cafe-co"
    assert slugify("../../etc") == "etc"
    assert slugify("東京") == "tenant"
    a = make_tenant("Contoso", tenant_id="aaaa1111-0000-0000-0000-000000000000")
    b = make_tenant("Contoso", tenant_id="bbbb2222-0000-0000-0000-000000000000")
    c = make_tenant("Northwind", tenant_id="cccc3333-0000-0000-0000-000000000000")
    slugs = tenant_slugs([a, b, c])
    assert slugs == {a.tenant_id: "contoso-aaaa1111", b.tenant_id: "contoso-bbbb2222", c.tenant_id: "northwind"}


def test_remediation_text_becomes_paragraphs_and_steps() -> None:
    text = "Open the admin center.\nThen:\n1. Create the policy\n   for all users.\n2. Turn it on.\n\nReview weekly."
    assert remediation_blocks(text) == [
        {"kind": "p", "items": ["Open the admin center. Then:"]},
        {"kind": "ol", "items": ["Create the policy for all users.", "Turn it on."]},
        {"kind": "p", "items": ["Review weekly."]},
    ]


def test_unknown_summary_names_what_would_let_the_check_run() -> None:
    def result(summary: str) -> CheckResult:
        return CheckResult(check_id="MFA-1", title="t", area=Area.MFA, severity=Severity.CRITICAL,
                           status=Status.UNKNOWN, summary=summary)

    forbidden = unknown_item(result("Not evaluated: section conditional_access_policies is forbidden "
                                    "(the app lacks the Policy.Read.All permission)."))
    assert forbidden.problem == "Permission missing" and "Policy.Read.All" in forbidden.remedy
    assert forbidden.section == "conditional access policies"
    licence = unknown_item(result("Not evaluated: section user_registration_details is not_licensed "
                                  "(the tenant has no Microsoft Entra ID P1 licence)."))
    assert licence.problem == "Licence missing" and "Microsoft Entra ID P1" in licence.remedy
    other = unknown_item(result("The organization endpoint returned no organization object."))
    assert other.detail == "The organization endpoint returned no organization object."


def test_evidence_table_from_generic_rows_cut_with_remainder() -> None:
    rows = [{"userPrincipalName": f"u{i}@x.example", "isAdmin": i == 0, "methods": ["fido2", "email"]} for i in range(20)]
    table = evidence_table(rows, "a")
    assert table.headers == ["User principal name", "Is admin", "Methods"]
    assert table.visible[0] == ["u0@x.example", "Yes", "fido2, email"]
    assert len(table.visible) == 8 and table.more == 12
    assert evidence_table(rows[:9], "a").more == 0  # "and 1 more" would save nothing


def test_evidence_columns_of_words_are_not_squeezed_by_columns_of_ids() -> None:
    guid = "2067070c-c4d1-4ed3-a9f0-5a7c5de0c3c3"
    rows = [{"partner": "Northwind Cloud Partners - AdminAgents", "partnerTenantId": guid, "principalId": guid,
             "role": "Global Administrator", "assignmentId": "Cifx0z6J5V2kOYtEsJ2KkSdu0Xyd8WS4JUAyvowsSL8-1"}]
    widths = evidence_table(rows, "a").widths
    assert abs(sum(widths) - 100) < 0.1
    # "Administrator" and the cell padding fit on one line of the role column.
    assert widths[3] / 100 * EVIDENCE_LINE_CHARS >= len("Administrator") + 3


def test_many_columns_never_squeeze_a_header_below_its_longest_word() -> None:
    rows = [{"alert": "Action Required: Virtual machine connecting to crypto currency mining pool Detected",
             "alert_id": "6ba163ec-e952-427f-a316-62747d00bf36", "type": "networkConnectionsToCryptoMiningPools",
             "severity": "high", "customer_tenant_id": "f13edfe8-eaeb-47c6-8875-2a00c5e0745e",
             "subscription_id": "aca6fe20-22f8-43bd-80f0-c5d9fa996816", "raised": "2026-11-17T22:03:05+00:00",
             "hours_open": "56.7", "state": "overdue"}]
    table = evidence_table(rows, "a")
    assert abs(sum(table.widths) - 100) < 0.1
    assert table.wide  # printed in smaller type, which holds WIDE_LINE_CHARS a line
    for header, width in zip(table.headers, table.widths):
        longest = max(len(word) for word in header.split())
        assert width / 100 * WIDE_LINE_CHARS >= longest * 1.25, header


# --- Scorecard ------------------------------------------------------------------------------------------


def test_scorecard_holds_provenance_summary_and_every_failing_check() -> None:
    tenant = make_tenant("Contoso Ltd", posture=0.45, seed=11)
    html = render_scorecard_html(tenant, context(Branding(partner_name="Fabrikam Partner Services")))
    text = visible_text(html)
    for expected in ("Contoso Ltd", tenant.default_domain, tenant.tenant_id, "run42abc", "Checklist version 3, November 2026",
                     "Fabrikam Partner Services", "Executive summary", "Appendix", "methodology"):
        assert expected in text
    failing = [r for r in tenant.results if r.status is Status.FAIL]
    assert failing
    for result in failing:
        assert f'id="check-{result.check_id.lower()}"' in html
    assert f"{tenant.score:.1f} out of 100 (grade {tenant.grade})" in text  # one decimal, as in the data outputs


def test_summary_counts_every_critical_failure_and_never_rounds_up_to_the_next_grade() -> None:
    tenant = make_tenant("Critical Co", posture=0.0, unknown_rate=0.0, seed=1)
    for n in range(4):  # more critical failures than the five top actions
        tenant.results.append(CheckResult(check_id=f"MFA-{7 + n}", title=f"Extra critical {n}", area=Area.MFA,
                                          severity=Severity.CRITICAL, status=Status.FAIL, summary="x"))
    critical = sum(1 for r in tenant.results if r.status is Status.FAIL and r.severity is Severity.CRITICAL)
    assert critical > 5
    tenant.score, tenant.grade = 89.9, "B"
    summary = visible_text(render_scorecard_html(tenant, context()).split('class="plain-language"')[1].split("</div>")[0])
    assert f"it is one of {critical} items rated critical" in summary
    assert "89.9 out of 100 (grade B)" in summary


def test_top_actions_are_the_first_five_of_the_action_plan() -> None:
    tenant = make_tenant("Poor Co", posture=0.1, unknown_rate=0.0, seed=5)
    html = render_scorecard_html(tenant, context())
    section = html.split('id="top-actions"')[1].split("</ol>")[0]
    listed = re.findall(r'class="check-id">([A-Z]+-\d+)<', section)
    failing = [r for r in tenant.results if r.status is Status.FAIL]
    assert len(failing) > 5 and len(listed) == 5
    # Severity first: no listed action is less severe than a failing check left out.
    worst_left_out = min(r.severity.rank for r in failing if r.check_id not in listed)
    assert all(r.severity.rank <= worst_left_out for r in failing if r.check_id in listed)
    # The findings follow the same order, numbered from 1, and begin with the five actions.
    to_fix = html.split('id="to-fix"')[1].split("</section>")[0]
    numbers = re.findall(r'class="finding-number">(\d+)<', to_fix)
    assert numbers == [str(n) for n in range(1, len(failing) + 1)]
    ids = re.findall(r'<article class="finding finding-fail" id="check-([a-z]+-\d+)"', to_fix)
    assert [i.upper() for i in ids[:5]] == listed


def test_checks_in_place_are_one_line_each_with_their_evidence_in_the_appendix() -> None:
    tenant = make_tenant("Mixed", posture=0.5, unknown_rate=0.0, seed=9)
    html = render_scorecard_html(tenant, context())
    in_place = html.split('id="in-place"')[1].split("</section>")[0]
    appendix = html.split('id="appendix-evidence"')[1]
    for result in (r for r in tenant.results if r.status is Status.PASS):
        # The check's ID is a column of its own in this long table (a chip per row cost a millisecond each).
        assert f'<tr id="check-{result.check_id.lower()}"><td class="id-cell">{result.check_id}</td>' in in_place
        assert f'<article class="finding finding-pass" id="check-{result.check_id.lower()}"' not in html
        if result.evidence:
            assert f'id="check-{result.check_id.lower()}-evidence"' in appendix


def test_long_evidence_is_cut_and_listed_in_full_in_the_appendix() -> None:
    tenant = make_tenant("Many Users", posture=0.0, unknown_rate=0.0, seed=2)
    mfa4 = next(r for r in tenant.results if r.check_id == "MFA-4")
    mfa4.evidence = [{"userPrincipalName": f"user{i}@many.example", "displayName": f"User {i}"} for i in range(30)]
    html = render_scorecard_html(tenant, context())
    assert "… and 22 more." in unescape(html)
    finding = html.split('id="check-mfa-4"')[1].split("</article>")[0].replace("<wbr>", "")
    appendix = html.split('id="appendix-evidence"')[1].replace("<wbr>", "")
    # The finding shows the first 8; the appendix continues with the other 22, without repeating them.
    assert all(f"user{i}@many.example" in finding for i in range(8))
    assert all(f"user{i}@many.example" in appendix for i in range(8, 30))
    assert not any(f"user{i}@many.example<" in appendix for i in range(8))


def test_unknown_accepted_and_why_sections() -> None:
    tenant = make_tenant("Gaps Ltd", posture=0.5, seed=4)
    tenant.results.append(CheckResult(
        check_id="MFA-9", title="Imaginary", area=Area.MFA, severity=Severity.HIGH, status=Status.UNKNOWN,
        summary="Not evaluated: section conditional_access_policies is forbidden (the app lacks the Policy.Read.All permission).",
    ))
    tenant.results.append(CheckResult(
        check_id="ADM-9", title="Expired one", area=Area.ADMINS, severity=Severity.LOW, status=Status.FAIL, summary="x",
        acceptance=Acceptance(reason="Legacy app", owner="Sam Owner", expires=date(2026, 1, 31), expired=True),
    ))
    tenant.results.append(CheckResult(
        check_id="ADM-8", title="Accepted one", area=Area.ADMINS, severity=Severity.LOW, status=Status.ACCEPTED, summary="y",
        acceptance=Acceptance(reason="Vendor mailbox until Q1", owner="Jane Doe", expires=date(2027, 3, 31)),
    ))
    html = render_scorecard_html(tenant, context(why={"MFA-9": "Because attackers phish passwords."}))
    unknown = visible_text(html.split('id="unknown"')[1].split("</section>")[0])
    assert "MFA-9" in unknown and "Permission missing" in unknown and "Policy.Read.All" in unknown
    accepted = visible_text(html.split('id="accepted"')[1].split("</section>")[0])
    assert "Jane Doe" in accepted and "Vendor mailbox until Q1" in accepted and "31 Mar 2027" in accepted
    assert "Sam Owner" in accepted and "Expired: counted as a failure" in accepted
    assert "Because attackers phish passwords." not in visible_text(html)  # UNKNOWN findings stay compact
    html = render_scorecard_html(tenant, context(why={"ADM-9": "Because stale exceptions hide risk."}))
    assert "Because stale exceptions hide risk." in visible_text(html)


def test_first_audit_and_changes_since_the_last_one() -> None:
    tenant = make_tenant("Trend Co", posture=0.6, seed=3)
    first = visible_text(render_scorecard_html(tenant, context(), None))
    assert "This is the first audit recorded for this tenant." in first
    points = [ScorePoint("r1", datetime(2026, 5, 1, tzinfo=timezone.utc), 40.0, "F"),
              ScorePoint("r2", datetime(2026, 8, 1, tzinfo=timezone.utc), 55.0, "F"),
              # Recorded when the run started (30 Nov); evaluated as of NOW (26 Nov, an --as-of date).
              ScorePoint("run42abc", datetime(2026, 11, 30, tzinfo=timezone.utc), tenant.score, tenant.grade)]
    change = TenantChange(tenant_id=tenant.tenant_id, points=points, previous_run_id="r2",
                          previous_at=points[1].at, newly_failing=["CON-1"], fixed=["MFA-1"], still_failing=["ADM-1"],
                          score_change=12.0)
    html = render_scorecard_html(tenant, context(), change)
    since = html.split('id="since-last"')[1].split("</table>")[0]
    text = visible_text(since)
    assert "first audit" not in text
    assert "up 12.0 points" in text and "1 August 2026" in text
    # Still-failing checks are counted, not listed: they are the action plan above.
    assert "Fixed 1 MFA-1" in text and "New failures 1 CON-1" in text and "Still failing 1" in text
    assert '<svg' in since and "polyline" in since
    # Each point is labelled with its audit date; this run's own with its evaluation (--as-of) time.
    for label in ("1 May", "1 Aug", NOW.strftime("%d %b").lstrip("0")):
        assert f">{label}<" in since
    assert ">30 Nov<" not in since


@pytest.mark.parametrize(("score_change", "wording", "cell"),
                         [(0.0, "unchanged", "no change"), (0.3, "up 0.3 points", "+0.3"), (1.0, "up 1.0 point.", "+1.0"),
                          (-2.0, "down 2.0 points", "-2.0")])
def test_score_changes_read_with_one_decimal_like_the_data_outputs(score_change: float, wording: str, cell: str) -> None:
    tenant = make_tenant("Steady Co", posture=0.6, seed=3)
    points = [ScorePoint("r2", datetime(2026, 8, 1, tzinfo=timezone.utc), 55.0, "F"),
              ScorePoint("run42abc", NOW, tenant.score, tenant.grade)]
    change = TenantChange(tenant_id=tenant.tenant_id, points=points, previous_run_id="r2", previous_at=points[0].at,
                          newly_failing=[], fixed=[], still_failing=[], score_change=score_change)
    since = visible_text(render_scorecard_html(tenant, context(), change).split('id="since-last"')[1].split("</table>")[0])
    assert wording in since and "up 0.0" not in since
    ranking = render_portfolio_html(make_results([tenant]), context(), tenant_slugs([tenant]), {tenant.tenant_id: change})
    assert f">{cell}<" in ranking.split('id="ranking"')[1].replace("\n", "") and "+0.0<" not in ranking


# --- Portfolio ------------------------------------------------------------------------------------------


def test_portfolio_ranks_tenants_and_counts_common_failures() -> None:
    results = portfolio(6)
    slugs = tenant_slugs(results.tenants)
    html = render_portfolio_html(results, context(), slugs)
    ranking = html.split('id="ranking"')[1].split("</table>")[0]
    names = [unescape(n) for n in re.findall(r'scorecard\.html">([^<]+)</a>', ranking)]
    expected = sorted(results.tenants, key=lambda t: (-(t.score if t.score is not None else -1), t.display_name))
    assert names == [t.display_name for t in expected]
    common = html.split('id="common"')[1].split("</table>")[0]
    listed = re.findall(r'class="check-id">([A-Z]+-\d+)<', common)

    def impact(check_id: str) -> int:  # severity weight × tenants where the check fails
        failing = [r for t in results.tenants for r in t.results if r.check_id == check_id and r.status is Status.FAIL]
        return failing[0].severity.weight * len(failing) if failing else 0

    impacts = [impact(check_id) for check_id in listed]
    assert impacts == sorted(impacts, reverse=True) and impacts[0] == max(
        impact(r.check_id) for t in results.tenants for r in t.results)
    assert "<svg" in html.split('id="heatmap"')[1]
    partner = visible_text(html.split('id="partner"')[1].split("</section>")[0])
    assert "Fabrikam Partner Services" in partner and "PAR-2" in partner
    assert "first audit" in visible_text(ranking)


def test_portfolio_lists_tenants_with_critical_failures_first() -> None:
    good = make_tenant("Safe Co", posture=1.0, unknown_rate=0.0, seed=1)
    bad = make_tenant("Risky Co", posture=0.0, unknown_rate=0.0, seed=1)
    html = render_portfolio_html(make_results([good, bad]), context(), tenant_slugs([good, bad]))
    critical = visible_text(html.split('id="critical"')[1].split("</section>")[0])
    assert "Risky Co" in critical and "Safe Co" not in critical and "MFA-1" in critical


def test_autoescape_on_for_every_template() -> None:
    evil = '<script>alert(1)</script>'
    tenant = make_tenant(evil, posture=0.3, seed=1, user_names=[evil], policy_name=evil)
    html = render_scorecard_html(tenant, context())
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    results = make_results([tenant, make_tenant("Other", seed=2)])
    portfolio_html = render_portfolio_html(results, context(), tenant_slugs(results.tenants))
    # The one script is the portfolio's own sorting and filtering; the tenant's text stays text.
    assert portfolio_html.count("<script") == 1 and "<script>alert(1)" not in portfolio_html
    assert "Sorting and filtering" in portfolio_html.split("<script>")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in portfolio_html


def test_a_tenant_is_readable_when_microsoft_answered_even_with_a_refusal() -> None:
    from auditor.report.portfolio import is_readable

    def unknown(summary: str) -> CheckResult:
        return CheckResult(check_id="MFA-1", title="t", area=Area.MFA, severity=Severity.HIGH, status=Status.UNKNOWN,
                           summary=summary)

    tenant = make_tenant("Dark Co", posture=0.5, seed=1)
    tenant.results = [unknown("Not evaluated: section users is error (Graph 503 Service Unavailable).")]
    assert not is_readable(tenant)
    tenant.results.append(unknown("Not evaluated: section security_defaults is forbidden (the app lacks the "
                                  "Policy.Read.All permission)."))
    assert is_readable(tenant)
    tenant.results = [CheckResult(check_id="MFA-1", title="t", area=Area.MFA, severity=Severity.HIGH,
                                  status=Status.PASS, summary="ok")]
    assert is_readable(tenant)
