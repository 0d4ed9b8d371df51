"""Our own report HTML read by the C XML parser (expat, in the standard library) instead of WeasyPrint's
pure-Python HTML5 parser (tinyhtml5), which took 5-8 % of a scorecard's CPU (measured on the 1,000-tenant
quarter's scorecards: 0.05-0.09 s of about 1.0 s per document).

This works because the templates write well-formed XML that is also valid HTML: void elements are closed
(``<br />``, ``<meta ... />``, ``<col ... />``, ``<img ... />``), every attribute is quoted, Jinja's
escaping yields only XML's own character references, and ``<wbr>`` is replaced by U+200B before
parsing (``auditor.report.pdf.html_to_pdf``). Where the HTML5 parser would add something the XML parser
does not, ``_as_html5_would`` adds it too, so WeasyPrint sees the same elements either way. Anything that is
not well-formed (a template mistake, or a control character in tenant text that XML 1.0 forbids) returns
``None``, and the caller falls back to tinyhtml5: the fast path can make a report faster, never wrong.

``tests/test_render_parse.py`` checks, on every sample report, that both parsers give the same elements,
attributes and text, and that the fast path is the one taken."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

# Whitespace-only text between elements: the HTML5 parser drops it before <head> and after </body>, and it
# lays out as nothing in either place, so it is not worth keeping identical.
_BLANK = re.compile(r"\s*\Z")


def parse_report_html(html: str) -> ElementTree.Element | None:
    """The ``<html>`` element of a report, as ``xml.etree.ElementTree`` elements with un-namespaced HTML tag
    names (what ``tinyhtml5.parse(..., namespace_html_elements=False)`` gives WeasyPrint); SVG elements keep
    their ``{http://www.w3.org/2000/svg}`` namespace, as in HTML5. ``None`` when ``html`` is not well-formed
    XML or its root is not ``<html>``; never raises for bad input."""
    try:
        root = ElementTree.fromstring(html)
    except (ElementTree.ParseError, ValueError):  # ValueError: a lone surrogate cannot be encoded
        return None
    if root.tag != "html":  # e.g. an XHTML namespace: the CSS would not match its {ns}tags
        return None
    return _as_html5_would(root)


def _as_html5_would(root: ElementTree.Element) -> ElementTree.Element:
    """Apply the two HTML5 tree-construction rules our templates rely on: a ``<tr>`` directly inside a
    ``<table>`` goes into an implied ``<tbody>`` (the "in table" insertion mode; ``table.layout > tbody >
    tr > td`` in print.css depends on it), and whitespace before ``<head>`` or after ``</body>`` is dropped."""
    root.text = None if root.text is None or _BLANK.match(root.text) else root.text
    body = root.find("body")
    if body is not None and body.tail is not None and _BLANK.match(body.tail):
        body.tail = None
    for table in root.iter("table"):
        if any(child.tag == "tr" for child in table):
            _wrap_rows(table)
    return root


def _wrap_rows(table: ElementTree.Element) -> None:
    """Each run of ``<tr>`` children of ``table`` moves into a new ``<tbody>`` at its place."""
    children = list(table)
    table[:] = []
    body: ElementTree.Element | None = None
    for child in children:
        if child.tag == "tr":
            if body is None:
                body = ElementTree.Element("tbody")
                table.append(body)
            body.append(child)
        else:
            body = None
            table.append(child)
