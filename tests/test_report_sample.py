"""Every sample scorecard and the portfolio, rendered once as a partner would send them (issue 10): page
counts (reported, and bounded), the forbidden-token scan of every customer page, page fill, and the
portfolio's partner-only content. The headless-Chromium test of the portfolio's sorting and filtering is in
tests/test_report_browser.py, on the same rendering (a session fixture: the sample is rendered once)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

from auditor.report.charts import grade_colour
from auditor.report.formatting import tenant_slugs
from auditor.results import AuditResults, Status

from tests.report_sample import OPERATOR

# Issue 10 aimed at 6 and 12 pages for the 23-check wave-1 list (met: 6 and 12, from 16 and 19). The
# checklist now holds 38 checks (wave 2, Azure governance, delegated) and a frameworks page, so the
# bounds follow: best tenant 8 pages (from 16), every tenant at most 14 (from 19).
BEST_MAX_PAGES = 8  # the sample's best tenant
WORST_MAX_PAGES = 14  # the sample's worst tenant, and every other one


class _Text(HTMLParser):
    """The text a reader sees: no style, script or title; <wbr> adds nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("style", "script", "title"):
            self.hidden += 1
        elif tag in ("td", "th", "p", "li", "div", "br", "h1", "h2", "h3", "h4", "span"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def scorecards(out: Path, results: AuditResults) -> dict[str, Path]:
    slugs = tenant_slugs(results.tenants)
    return {t.display_name: out / slugs[t.tenant_id] for t in results.tenants}


# --- Page counts ------------------------------------------------------------------------------------------


def test_page_counts_are_reported_and_bounded(rendered, record_property) -> None:
    results, _, pages = rendered
    for name, count in sorted(pages.items()):
        record_property(f"pages {name}", count)
        print(f"pages {name}: {count}")
    graded = [t for t in results.tenants if not t.incomplete and t.kind != "partner"]
    best = max(t.score for t in graded)
    worst = min(graded, key=lambda t: t.score)
    for tenant in (t for t in graded if t.score == best):
        assert pages[tenant.display_name] <= BEST_MAX_PAGES, tenant.display_name
    assert pages[worst.display_name] <= WORST_MAX_PAGES
    assert all(pages[t.display_name] <= WORST_MAX_PAGES for t in results.tenants)


# --- Customer words ---------------------------------------------------------------------------------------

CAMEL = re.compile(r"\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b")  # userPrincipalName, isEnabled
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # break_glass, security_contacts
FORBIDDEN = re.compile(r"`|tenants\.toml|\.toml\b|\bwave ?\d\b|\b2026\.11-|\bOperator\b|\b" + OPERATOR + r"\b")


def forbidden_tokens(text: str) -> set[str]:
    """What a customer page must not say. Addresses, domains, paths and dotted Microsoft names (a UPN,
    Policy.Read.All) are tenant data or Microsoft's own names, so identifier rules skip such tokens."""
    found = {m.group(0) for m in FORBIDDEN.finditer(text)}
    for token in text.split():
        if "@" in token or "#" in token or "/" in token or re.search(r"\w\.\w", token):
            continue
        found.update(CAMEL.findall(token))
        found.update(SNAKE.findall(token))
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    assert forbidden_tokens("Set `isEnabled` and declare it in tenants.toml as break_glass (wave1), Operator root") == {
        "`", "isEnabled", "tenants.toml", "break_glass", "wave1", "Operator", "root"}
    assert forbidden_tokens("maya_k@contoso.com Policy.Read.All Checklist version 3, November 2026") == set()


def test_no_customer_page_carries_api_names_configuration_or_the_operator(rendered) -> None:
    results, out, _ = rendered
    assert results.operator == OPERATOR
    for name, folder in scorecards(out, results).items():
        html_text = page_text((folder / "scorecard.html").read_text(encoding="utf-8"))
        assert not forbidden_tokens(html_text), (name, sorted(forbidden_tokens(html_text)))
        pdf_text = " ".join(page.extract_text() for page in PdfReader(folder / "scorecard.pdf").pages)
        assert not FORBIDDEN.search(pdf_text), (name, FORBIDDEN.search(pdf_text))
        assert "Checklist version 3, November 2026" in html_text


def test_partner_hints_reach_the_portfolio_not_the_scorecards(rendered) -> None:
    results, out, _ = rendered
    portfolio = page_text((out / "portfolio.html").read_text(encoding="utf-8"))
    notes = portfolio.split("Configuration notes for the partner")[-1].split("The partner's own tenant")[0]
    assert "break_glass" in notes and "tenants.toml" in notes
    for folder in scorecards(out, results).values():
        assert "break_glass" not in (folder / "scorecard.html").read_text(encoding="utf-8")


# --- Layout -----------------------------------------------------------------------------------------------

CHAPTERS = ("Executive summary", "Findings", "Checks that could not run", "Accepted risks and attested reviews",
            "Appendix A: evidence", "Appendix B: methodology", "Appendix: methodology")


def _body_lines(page) -> list[tuple[float, str]]:
    """(y from the bottom, text) of the page's body: the running header and footer left out."""
    height = float(page.mediabox.height)
    lines: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size) -> None:
        y = tm[5] * cm[3] + cm[5] if cm[3] else tm[5]
        if text.strip() and 60 < y < height - 60:
            lines.append((y, text.strip()))

    page.extract_text(visitor_text=visit)
    return lines


def test_no_page_is_more_than_half_empty_except_the_last_of_a_section(rendered) -> None:
    results, out, _ = rendered
    for name, folder in scorecards(out, results).items():
        pages = PdfReader(folder / "scorecard.pdf").pages
        for number in range(1, len(pages)):
            top = max(_body_lines(pages[number]), default=(0.0, ""))[1]
            assert not top.startswith("Microsoft guidance"), f"{name}: references alone at the top of page {number + 1}"
        for number in range(1, len(pages) - 1):  # the cover and the last page are exempt
            lines = _body_lines(pages[number])
            height = float(pages[number].mediabox.height)
            lowest = min((y for y, _ in lines), default=height)
            if lowest < height / 2:
                continue
            following = _body_lines(pages[number + 1])
            first = max(following, default=(0.0, ""))[1]
            assert first.startswith(CHAPTERS), f"{name}: page {number + 1} is more than half empty"


def test_upns_wrap_at_their_separators_not_mid_word(rendered) -> None:
    results, out, _ = rendered
    html = (scorecards(out, results)["Fabrikam Legal LLP"] / "scorecard.html").read_text(encoding="utf-8")
    assert "emergency01@<wbr>fabrikamlegal<wbr>.onmicrosoft<wbr>.com" in html


# --- The portfolio ----------------------------------------------------------------------------------------


def test_capped_grades_take_the_colour_of_the_grade_they_show(rendered) -> None:
    results, out, _ = rendered
    html = (out / "portfolio.html").read_text(encoding="utf-8")
    capped = [t for t in results.tenants if t.grade == "D" and t.score is not None and t.score >= 70]
    assert capped  # the partner's own tenant: 71.4 with a critical failure
    chips = re.findall(r'class="grade-chip grade-([A-F])" style="background: (#[0-9a-f]{6})"', html)
    assert chips and all(colour == grade_colour(letter) for letter, colour in chips)


def test_portfolio_counts_risks_common_failures_and_partner_remediation(rendered) -> None:
    results, out, _ = rendered
    text = page_text((out / "portfolio.html").read_text(encoding="utf-8"))
    customers = [t for t in results.tenants if t.kind != "partner"]
    critical = sum(1 for t in customers if any(r.status is Status.FAIL and r.severity.value == "critical" for r in t.results))
    assert f"{len(customers)} Customers audited" in text
    assert f"{critical} Customers with a critical failure" in text and "Customers readable" in text
    # Accepted and expired risks, per tenant.
    risks = text.split("Accepted and expired risks")[-1].split("Configuration notes for the partner")[0]
    for tenant in results.tenants:
        for result in tenant.results:
            if result.acceptance is not None:
                assert tenant.display_name in risks and result.acceptance.owner in risks
    assert "Expired" in risks
    # No "and N more" hides a tenant: each common failure names every tenant where it fails, or, when that is
    # the longer list, every tenant where it does not.
    html = (out / "portfolio.html").read_text(encoding="utf-8")
    common_rows = html.split('id="common"')[1].split("</table>")[0].split("<tr>")[2:]
    assert common_rows
    everyone = {t.display_name for t in results.tenants}
    for row in common_rows:
        row_text = page_text(row)
        check_id = re.search(r"[A-Z]+-\d+", row_text).group(0)
        failing_in = {t.display_name for t in results.tenants
                      if any(r.check_id == check_id and r.status is Status.FAIL for r in t.results)}
        assert not re.search(r"and \d+ more", row_text)
        if "Every tenant except" in row_text:
            assert all(name in row_text for name in everyone - failing_in) and len(everyone - failing_in) < len(failing_in)
        else:
            assert all(name in row_text for name in failing_in)
    # The partner's own failing checks carry their remediation.
    partner = text.split("The partner's own tenant")[-1]
    failing = [r for t in results.tenants if t.kind == "partner" for r in t.results if r.status is Status.FAIL]
    assert failing and partner.count("How to fix:") == len(failing)


def test_the_partner_outputs_keep_the_hints_the_scorecards_leave_out(rendered, tmp_path) -> None:
    """results.json and results.xlsx carry each check's whole remediation, its partner paragraph included."""
    from openpyxl import load_workbook

    from auditor.outputs import write_results

    results, _, _ = rendered
    write_results(results, tmp_path)
    assert "Partner: declare an emergency account" in (tmp_path / "results.json").read_text(encoding="utf-8")
    workbook = load_workbook(tmp_path / "results.xlsx", read_only=True)
    cells = (str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row)
    assert any("Partner: declare an emergency account" in cell for cell in cells)
