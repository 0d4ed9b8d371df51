"""The PDF speed measures (issue 16) change time, not pages: the lean user-agent stylesheet and U+200B in
place of <wbr> give the same pages, the same text and the same list markers as WeasyPrint's own way."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.html import UA

from auditor.report import resolve_brand
from auditor.report.pdf import _font_config, _report_html_class, _stylesheets, html_to_pdf, lean_user_agent_css
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
        stylesheets=list(_stylesheets("A4")), font_config=_font_config()).write_pdf()


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
