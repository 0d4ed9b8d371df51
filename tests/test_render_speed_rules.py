"""The PDF speed measures (issue 16) change time, not pages: the lean user-agent stylesheet and U+200B in
place of <wbr> give the same pages, the same text and the same list markers as WeasyPrint's own way."""

from __future__ import annotations

import gc
import io
import re
import weakref

import pytest

from pypdf import PdfReader
from weasyprint import CSS, HTML
from weasyprint.html import UA

from auditor.config import Branding
from auditor.report import resolve_brand
from auditor.report.environment import stylesheet_text
from auditor.report.pdf import (
    _font_config,
    _report_html_class,
    _stylesheets,
    brand_colours,
    collected_once,
    html_to_pdf,
    lean_user_agent_css,
    resolved_custom_properties,
)
from auditor.report.paths import ASSETS_DIR

DOCUMENT = """<!doctype html><html><body>
<h2>Findings</h2>
<ol><li>First action</li><li>Second action</li><li>Third action</li></ol>
<ul class="evidence-lines"><li><strong>Gabriel Gonzalez</strong> · User principal name:
gabriel<wbr>.gonzalez@<wbr>lucernepublishing<wbr>.com · Privileged: no</li></ul>
<table class="evidence"><thead><tr><th>User</th><th>UPN</th></tr></thead>
<tbody><tr><td>Aisha</td><td>aisha<wbr>.nilsson@<wbr>averyveryverylongcustomerdomainname<wbr>.onmicrosoft<wbr>.com</td></tr></tbody></table>
""" + "<p>Conditional Access decides who signs in, from where and with which proof.</p>" * 60 + "</body></html>"


def _pages_and_text(pdf: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def _weasyprint_default(html: str) -> bytes:
    """The same document through plain ``weasyprint.HTML`` (the full user-agent stylesheet, <wbr> kept)."""
    return HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/").render(
        stylesheets=list(_stylesheets("A4", brand_colours(resolve_brand(None)))), font_config=_font_config()).write_pdf()


def test_lean_user_agent_stylesheet_drops_only_the_unused_rules():
    lean = lean_user_agent_css(UA)
    # If WeasyPrint rewrites these rules, the patterns stop matching and this fails: look at them again.
    for rule in ("::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback"):
        assert re.search(rf"^{re.escape(rule)} \{{", UA, re.MULTILINE)
        assert not re.search(rf"^{re.escape(rule)} \{{", lean, re.MULTILINE)
    assert re.search(r"^::marker \{", UA, re.MULTILINE) and re.search(r"^li::marker \{", lean, re.MULTILINE)
    assert "wbr::before" in lean and "@footnote" in lean  # everything else is WeasyPrint's own text
    assert len(UA.splitlines()) - len(lean.splitlines()) == 5


def test_report_pdf_matches_weasyprint_default_pages_and_text(caplog):
    ours = html_to_pdf(DOCUMENT, resolve_brand(None))
    pages, text = _pages_and_text(ours.data)
    default_pages, default_text = _pages_and_text(_weasyprint_default(DOCUMENT))
    assert (pages, text) == (default_pages, default_text)
    assert pages >= 2
    assert "1. 2. 3." in text[0]  # the ordered list keeps its markers under li::marker (pypdf reads them last)
    # The UPN reads whole: the break opportunities are invisible in the text, as WeasyPrint's own <wbr> is.
    joined = " ".join(text).replace("\u200b", "")
    assert "gabriel.gonzalez@lucernepublishing.com" in joined
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # no rule of ours is refused


def test_report_html_class_uses_the_lean_stylesheet(caplog):
    _report_html_class.cache_clear()  # built afresh here, so its parse warnings (if any) are caught
    sheets = _report_html_class()(string="<p>x</p>")._ua_stylesheets()
    assert len(sheets) == 1
    assert sheets[0] is _report_html_class()(string="<p>y</p>")._ua_stylesheets()[0]  # parsed once per process
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # no @counter-style defined twice


def test_custom_properties_are_resolved_from_root_then_brand():
    css = ":root {\n  --brand: #111111;\n  --ink: #222222;\n}\nh2 { color: var(--brand); border: 1pt solid var(--ink); }\n"
    resolved = resolved_custom_properties(css, (("brand", "#abcdef"),))
    assert "h2 { color: #abcdef; border: 1pt solid #222222; }" in resolved
    assert "var(" not in resolved.split("}", 1)[1]


def test_custom_properties_unknown_or_fallback_is_refused():
    with pytest.raises(ValueError, match="--missing"):
        resolved_custom_properties(":root { --ink: #000000; }\np { color: var(--missing); }", ())
    with pytest.raises(ValueError, match="unsupported"):
        resolved_custom_properties(":root { --ink: #000000; }\np { color: var(--ink, red); }", ())


def test_report_stylesheet_resolves_every_custom_property():
    resolved = resolved_custom_properties(stylesheet_text(), brand_colours(resolve_brand(None)))
    assert not re.search(r"var\(", resolved)


def _page_streams(pdf: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_resolved_colours_draw_the_same_pages_as_custom_properties():
    """The brand colour reaches the PDF exactly as WeasyPrint's own var() resolution would draw it."""
    brand = resolve_brand(Branding(primary_color="#7a1f5c"))
    html = ('<!doctype html><html><head><style>:root { --brand: %s; --on-brand: %s; --brand-soft: %s; }</style>'
            '</head><body><h2>Findings</h2><div class="plain-language"><p>Summary</p></div>'
            '<span class="badge badge-fail">Fail</span> <span class="finding-number">1</span>'
            '<table class="evidence"><thead><tr><th>User</th></tr></thead><tbody><tr><td>Aisha</td></tr></tbody>'
            '</table></body></html>') % (brand.primary, brand.on_primary, brand.primary_soft)
    ours = html_to_pdf(html, brand).data
    with_vars = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/").render(
        stylesheets=[CSS(string=stylesheet_text(), font_config=_font_config())], font_config=_font_config()
    ).write_pdf()
    assert _page_streams(ours) == _page_streams(with_vars)
    assert b"0.478431 0.121569 0.360784" in _page_streams(ours)[0]  # #7a1f5c, the h2 and finding number colour


def test_each_document_frees_its_reference_cycles_and_leaves_the_collector_on():
    class Node:
        pass

    with collected_once():
        assert not gc.isenabled()
        node = Node()
        node.itself = node  # a cycle: reference counting alone never frees it
        alive = weakref.ref(node)
        del node
        assert alive() is not None
    assert gc.isenabled() and alive() is None
    html_to_pdf("<p>x</p>", resolve_brand(None))
    assert gc.isenabled()
