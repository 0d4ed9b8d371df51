"""PDF through WeasyPrint: a URL fetcher that serves only the bundled assets and the logo, the stylesheets
parsed once per process, and the bundled fonts. WeasyPrint is imported inside the functions, so
``auditor --help`` stays fast."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
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


@lru_cache(maxsize=4)
def _stylesheets(paper: str) -> "tuple[CSS, ...]":
    # Parsing the stylesheet once per process and reusing it saves a good share of each PDF's time.
    from weasyprint import CSS

    fonts = _font_config()
    return (
        # The bundled fonts come through the same restricted fetcher as everything else a report loads.
        CSS(filename=str(FONTS_STYLESHEET), font_config=fonts, url_fetcher=restricted_fetcher([])),
        CSS(string=stylesheet_text(), font_config=fonts),
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
    """``weasyprint.HTML`` with the lean user-agent stylesheet. ``_ua_stylesheets`` is the hook WeasyPrint's
    own tests override for the same purpose; should a later WeasyPrint rename it, the override is simply not
    called and reports render as before, only slower."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    # The @counter-style rules go to a throwaway registry: WeasyPrint's own (``_ua_counter_style``, already
    # filled from the same rules) still serves the documents, and nothing is defined twice.
    sheet = CSS(string=lean_user_agent_css(UA), counter_style=CounterStyle())

    class ReportHTML(HTML):
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


def html_to_pdf(html: str, brand: Brand, paper: str = "A4") -> Pdf:
    """The report's PDF bytes and page count. ``<wbr>`` becomes U+200B, the character WeasyPrint's
    user-agent stylesheet would put in it anyway (``wbr::before { content: "\\200B" }``), so a long UPN's
    break opportunities cost no element and no pseudo-element each: a quarter of a scorecard's layout time.
    Tenant text cannot carry a ``<wbr>`` of its own: it arrives escaped."""
    fetcher = restricted_fetcher([brand.logo_path])
    html = html.replace("<wbr>", "\u200b")
    document = _report_html_class()(string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=list(_stylesheets(paper)), font_config=_font_config(), cache=_image_cache(brand.logo_path)
    )
    return Pdf(document.write_pdf(), len(document.pages), tuple(fetcher.refused))

