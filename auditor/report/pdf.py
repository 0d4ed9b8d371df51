"""PDF through WeasyPrint: a URL fetcher that serves only the bundled assets and the logo, the stylesheets
parsed once per process, and the bundled fonts. WeasyPrint is imported inside the functions, so
``auditor --help`` stays fast."""

from __future__ import annotations

import gc
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit

from auditor.report.branding import Brand, image_type
from auditor.report.environment import stylesheet_text
from auditor.report.paths import ASSETS_DIR, FONTS_STYLESHEET, paper_size

if TYPE_CHECKING:
    from weasyprint import CSS


def restricted_fetcher(allowed_files: Iterable[Path]):
    """A WeasyPrint URL fetcher that serves only the bundled assets and the given files (the logo), and
    refuses everything else: http, https, data and any other file. Refused URLs are kept in ``refused``
    so tests (and debugging) can see what a document tried to load."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets_root = os.path.realpath(ASSETS_DIR)
    allowed = {os.path.realpath(path) for path in allowed_files}

    class RestrictedURLFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            path = os.path.realpath(unquote(parts.path)) if parts.scheme == "file" and not parts.netloc else ""
            inside_assets = path.startswith(assets_root + os.sep)
            if not path or not (path in allowed or inside_assets) or not os.path.isfile(path):
                self.refused.append(url)
                raise ValueError(f"refused to load {url[:80]!r}: reports load only their bundled assets and logo")
            with open(path, "rb") as stream:
                body = stream.read()
            mime = image_type(body[:64]) or (
                "image/svg+xml" if path.endswith(".svg") else "text/css" if path.endswith(".css") else "application/octet-stream"
            )
            return URLFetcherResponse(Path(path).as_uri(), body, {"Content-Type": mime})

    return RestrictedURLFetcher()


BrandColours = tuple[tuple[str, str], ...]  # (custom property without "--", "#rrggbb"), as brand_colours gives


def brand_colours(brand: Brand) -> BrandColours:
    """The brand's colours as the custom properties the stylesheet names them by (the same three base.html
    sets on :root for the HTML reports)."""
    return (("brand", brand.primary), ("on-brand", brand.on_primary), ("brand-soft", brand.primary_soft))


_ROOT_RULE = re.compile(r"^:root \{(?P<body>[^}]*)\}", re.MULTILINE)
_CUSTOM_PROPERTY = re.compile(r"--(?P<name>[a-z][a-z0-9-]*)\s*:\s*(?P<value>[^;]+);")
_VAR = re.compile(r"var\(--(?P<name>[a-z][a-z0-9-]*)\)")


def resolved_custom_properties(css: str, colours: BrandColours) -> str:
    """``css`` with every ``var(--name)`` replaced by its value: the stylesheet's own ``:root`` declarations,
    then the brand's colours over them. WeasyPrint resolves a var() again for every element that uses it
    (and looks the property up through every ancestor): resolving them once, in the text, is 4 % of a
    scorecard's time, with the same colours. Raises ValueError for a var() the stylesheet does not declare
    (a typo would otherwise silently drop the declaration) or a fallback form ``var(--x, y)``, which is not
    supported here."""
    root = _ROOT_RULE.search(css)
    values = {m["name"]: m["value"].strip() for m in _CUSTOM_PROPERTY.finditer(root["body"] if root else "")}
    values.update(colours)
    unsupported = re.search(r"var\((?!--[a-z][a-z0-9-]*\))[^)]*\)", css)
    if unsupported:
        raise ValueError(f"unsupported custom property use in the report stylesheet: {unsupported.group(0)}")

    def value(match: re.Match[str]) -> str:
        if match["name"] not in values:
            raise ValueError(f"the report stylesheet uses --{match['name']} but does not declare it on :root")
        return values[match["name"]]

    return _VAR.sub(value, css)


@lru_cache(maxsize=8)
def _stylesheets(paper: str, colours: BrandColours) -> "tuple[CSS, ...]":
    # Parsing the stylesheet once per process (per paper and brand) and reusing it saves a good share of
    # each PDF's time.
    from weasyprint import CSS

    fonts = _font_config()
    return (
        # The bundled fonts come through the same restricted fetcher as everything else a report loads.
        CSS(filename=str(FONTS_STYLESHEET), font_config=fonts, url_fetcher=restricted_fetcher([])),
        CSS(string=resolved_custom_properties(stylesheet_text(), colours), font_config=fonts),
        CSS(string=f"@page {{ size: {paper_size(paper)}; }}", font_config=fonts),
    )


# Rules of WeasyPrint's own user-agent stylesheet that a report never uses but that make the cascade compute
# five pseudo-elements for every element (footnotes and notes: reports have none) or one more (::marker on any
# element, where only <li> is a list item in our templates). Dropping them is a third of a scorecard's
# styling time; the rendered pages are the same (tests/test_render_speed_rules.py compares them).
_UNUSED_UA_RULES = re.compile(r"^::(?:footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}\n]*\}\n",
                              re.MULTILINE)
_ANY_MARKER = re.compile(r"^::marker \{", re.MULTILINE)


def lean_user_agent_css(ua: str) -> str:
    """WeasyPrint's HTML5 user-agent stylesheet (``weasyprint.html.UA``) without the universal footnote and
    note pseudo-element rules, and with ``::marker`` narrowed to ``li::marker``."""
    return _ANY_MARKER.sub("li::marker {", _UNUSED_UA_RULES.sub("", ua))


@lru_cache(maxsize=1)
def _report_html_class() -> type:
    """``weasyprint.HTML`` for our own reports: read by the C XML parser when the HTML is well-formed
    (``auditor.report.xhtml``; WeasyPrint's HTML5 parser otherwise), with the lean user-agent stylesheet.
    ``_ua_stylesheets`` is the hook WeasyPrint's own tests override for the same purpose; should a later
    WeasyPrint rename it, the override is simply not called and reports render as before, only slower."""
    import cssselect2
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA
    from weasyprint.urls import URLFetcher, ensure_url

    from auditor.report.xhtml import parse_report_html

    # The @counter-style rules go to a throwaway registry: WeasyPrint's own (``_ua_counter_style``, already
    # filled from the same rules) still serves the documents, and nothing is defined twice.
    sheet = CSS(string=lean_user_agent_css(UA), counter_style=CounterStyle())

    class ReportHTML(HTML):
        """``ReportHTML(string=..., base_url=..., url_fetcher=...)``; ``parser`` says which parser read it."""

        def __init__(self, *, string: str, base_url: str | None = None, url_fetcher: Any = None) -> None:
            root = parse_report_html(string)
            if root is None:
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
                self.parser = "html5"
                return
            # What HTML.__init__ sets once its parser is done (WeasyPrint 70, weasyprint/__init__.py; our
            # reports have no <base>). tests/test_render_parse.py checks that both paths set the same.
            self.base_url = None if base_url is None else ensure_url(base_url)
            self.url_fetcher = URLFetcher() if url_fetcher is None else url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element
            self.parser = "xml"

        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [sheet]

    return ReportHTML


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# Decoded images (the logo), shared by the documents this process renders with the same logo file; the
# key includes the file's size and time, so a logo replaced under the same name is decoded afresh.
_IMAGE_CACHES: dict[tuple[str, int, int], dict[str, Any]] = {}


def _image_cache(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return _IMAGE_CACHES.setdefault((str(path), stat.st_size, stat.st_mtime_ns), {})


@dataclass(frozen=True)
class Pdf:
    data: bytes
    pages: int
    refused: tuple[str, ...]


@contextmanager
def collected_once() -> Iterator[None]:
    """Around one document: Python's cyclic garbage collector off, then one collection of what the document
    allocated. WeasyPrint allocates a few hundred thousand objects per scorecard, and at the collector's
    default thresholds it ran about every 700 of them, each time walking everything still alive: 12 % of
    a scorecard's time. A document leaves about 50,000 objects in reference cycles (boxes and their styles
    point at each other); the one young-generation collection at the end frees them, so memory stays flat
    from one document to the next (measured peak: 109 MB after 27 scorecards; 113 MB with the default)."""
    if not gc.isenabled():  # someone above already manages the collector
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def html_to_pdf(html: str, brand: Brand, paper: str = "A4") -> Pdf:
    """The report's PDF bytes and page count. ``<wbr>`` becomes U+200B, the character WeasyPrint's
    user-agent stylesheet would put in it anyway (``wbr::before { content: "\\200B" }``), so a long UPN's
    break opportunities cost no element and no pseudo-element each: a quarter of a scorecard's layout time.
    Tenant text cannot carry a ``<wbr>`` of its own: it arrives escaped."""
    with collected_once():
        # The document is laid out, drawn and dropped inside _weasyprint_pdf: by the time the collection
        # runs, only its cycles are left to free, and nothing of it survives into an older generation.
        return _weasyprint_pdf(html.replace("<wbr>", "\u200b"), brand, paper)


def _weasyprint_pdf(html: str, brand: Brand, paper: str) -> Pdf:
    fetcher = restricted_fetcher([brand.logo_path])
    document = _report_html_class()(string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=list(_stylesheets(paper, brand_colours(brand))), font_config=_font_config(),
        cache=_image_cache(brand.logo_path))
    return Pdf(document.write_pdf(), len(document.pages), tuple(fetcher.refused))
