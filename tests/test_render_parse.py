"""Reports reach WeasyPrint through the C XML parser (auditor.report.xhtml) instead of its HTML5 parser
(issue 16): the same elements, attributes and text for every sample report, the same drawing on the page,
and WeasyPrint's own parser for anything that is not well-formed, tenant text included."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

import pytest
import tinyhtml5
from pypdf import PdfReader

from auditor.report import resolve_brand
from auditor.report.environment import RenderContext, render_portfolio_html, render_scorecard_html
from auditor.report.formatting import tenant_slugs
from auditor.report.paths import ASSETS_DIR
from auditor.report.pdf import _report_html_class, html_to_pdf
from auditor.report.priority import check_texts
from auditor.report.xhtml import parse_report_html
from auditor.safe_text import file_text
from tests.report_sample import sample_results
from tests.test_render_helpers import NOW, make_tenant

XMLNS = "{http://www.w3.org/2000/xmlns/}"  # namespace declarations: HTML5 keeps them as attributes, XML does not


def _context() -> RenderContext:
    return RenderContext("csp-posture-auditor", "0.1.0", "3", "run42abc", "ops@partner.example", NOW,
                         resolve_brand(None), "A4", check_texts())


def _pdf_html(html: str) -> str:
    return html.replace("<wbr>", "\u200b")  # as html_to_pdf hands it to WeasyPrint


def _sample_documents() -> dict[str, str]:
    """Every bundled sample report as its PDF is made from: each scorecard and the portfolio."""
    results, ctx = sample_results(), _context()
    documents = {tenant.display_name: _pdf_html(render_scorecard_html(tenant, ctx, media="pdf"))
                 for tenant in results.tenants}
    documents["portfolio"] = _pdf_html(render_portfolio_html(results, ctx, tenant_slugs(results.tenants), media="pdf"))
    return documents


SAMPLE = _sample_documents()


def _blank_is_none(text: str | None) -> str:
    return "" if text is None or not text.strip() else text


def _elements(root: ElementTree.Element) -> list[tuple]:
    """Each element in document order: (tag, attributes, text, tail), whitespace-only text as ""."""
    return [(element.tag, {k: v for k, v in element.attrib.items() if not k.startswith(XMLNS)},
             _blank_is_none(element.text), _blank_is_none(element.tail))
            for element in root.iter() if isinstance(element.tag, str)]  # comments: neither parser's matter


@pytest.mark.parametrize("name", sorted(SAMPLE))
def test_sample_reports_read_the_same_by_both_parsers(name):
    html = SAMPLE[name]
    ours = parse_report_html(html)
    assert ours is not None, "the template wrote HTML that is not well-formed XML: the fast path was lost"
    assert _elements(ours) == _elements(tinyhtml5.parse(html, namespace_html_elements=False))
    assert _report_html_class()(string=html, base_url=ASSETS_DIR.as_uri() + "/").parser == "xml"


def test_rows_written_straight_into_a_table_get_the_implied_tbody():
    """print.css's ``table.layout > tbody > tr > td`` relies on HTML5's implied <tbody>."""
    html = ('<html><head></head><body><table class="layout"><tr><td>a</td></tr><tr><td>b</td></tr><caption>c</caption>'
            '<tr><td>d</td></tr></table></body></html>')
    ours = parse_report_html(html)
    assert [child.tag for child in ours.find("body/table")] == ["tbody", "caption", "tbody"]
    assert _elements(ours) == _elements(tinyhtml5.parse(html, namespace_html_elements=False))


HOSTILE_NAMES = ['Contoso <svg onload=alert(1)> & "Co" \'s ]]> <!DOCTYPE x [<!ENTITY a "b">]> &a;',
                 "Fabrikam\u200b\u202eevil\u202c 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_tenant_names_stay_text_on_the_fast_path(name):
    html = _pdf_html(render_scorecard_html(make_tenant(name), _context(), media="pdf"))
    ours = parse_report_html(html)
    assert ours is not None and _report_html_class()(string=html).parser == "xml"
    assert _elements(ours) == _elements(tinyhtml5.parse(html, namespace_html_elements=False))
    assert not list(ours.iter("{http://www.w3.org/2000/svg}svg"))[2:]  # only the two charts of our own
    assert file_text(name) in "".join(ours.find("body").itertext())  # as every report shows tenant text


@pytest.mark.parametrize("bad", ["\x01", "\x0b", "\ufffe", "\ud800", "<p>unclosed", "&nbsp;"])
def test_html_that_is_not_well_formed_falls_back_to_weasyprints_parser(bad):
    """Tenant text reaches the page without control characters (``auditor.safe_text``), so this is about a
    template mistake or a character XML 1.0 forbids: the report is still made, by the slower parser."""
    name = next(k for k in SAMPLE if k != "portfolio")
    html = SAMPLE[name].replace(f"<h2", f"<h2>{bad}</h2><h2", 1)
    assert parse_report_html(html) is None
    assert _report_html_class()(string=html).parser == "html5"
    if bad != "\ud800":  # a lone surrogate cannot be written into a PDF by either parser's path
        pdf = html_to_pdf(html, resolve_brand(None))
        assert pdf.pages >= 5 and name in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


def test_both_parsers_leave_weasyprint_the_same_document_attributes():
    """The fast path sets what ``weasyprint.HTML.__init__`` sets after parsing: if a WeasyPrint upgrade adds an
    attribute, this fails rather than a report."""
    html, base = SAMPLE["portfolio"], ASSETS_DIR.as_uri() + "/"
    fast = _report_html_class()(string=html, base_url=base)
    slow = _report_html_class()(string="<!doctype html><html><body><p>x</body></html>", base_url=base)
    assert (fast.parser, slow.parser) == ("xml", "html5")
    assert set(vars(fast)) == set(vars(slow))
    assert (fast.base_url, fast.media_type) == (slow.base_url, slow.media_type)


def _page_streams(pdf: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


def _links(pdf: bytes) -> list[int]:
    return [len(page.get("/Annots") or []) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_sample_scorecard_draws_the_same_pages_through_either_parser():
    from weasyprint import HTML

    from auditor.report.pdf import _font_config, _stylesheets, brand_colours

    html, brand = SAMPLE[sorted(k for k in SAMPLE if k != "portfolio")[0]], resolve_brand(None)
    ours = html_to_pdf(html, brand).data
    theirs = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/").render(
        stylesheets=list(_stylesheets("A4", brand_colours(brand))), font_config=_font_config()).write_pdf()
    assert len(_page_streams(ours)) >= 8
    assert _page_streams(ours) == _page_streams(theirs)
    assert _links(ours) == _links(theirs) and sum(_links(ours)) >= 5  # each page's links kept
