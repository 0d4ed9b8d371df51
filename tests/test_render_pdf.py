"""Rendered files: HTML and PDF per tenant and the portfolio, the acceptance checks on the PDF text, and
the untrusted-data defences (autoescape, the restricted URL fetcher) proven with a listening socket.

PDFs are slow to make, so one module-scoped render of a small portfolio (a partner, a well-secured and a
poorly secured customer, and a hostile one) serves most tests."""

from __future__ import annotations

import math
import re
import socket
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from auditor.config import Branding
from auditor.report import ASSETS_DIR, render_reports, resolve_brand, restricted_fetcher, tenant_slugs, html_to_pdf
from auditor.results import Status
from tests.test_render_helpers import HOSTILE, make_results, make_tenant


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, listener):
    hostile = [h.format(port=listener.port) for h in HOSTILE]
    evil_name = "Evil " + " ".join(hostile)
    tenants = [
        make_tenant("Fabrikam Partner Services", kind="partner", posture=0.7, seed=1),
        make_tenant("Well Secured Ltd", posture=1.0, unknown_rate=0.05, seed=2),
        make_tenant("Poorly Secured Ltd", posture=0.15, unknown_rate=0.1, seed=3),
        make_tenant(evil_name, posture=0.2, unknown_rate=0.0, seed=4, user_names=hostile * 2, policy_name=" ".join(hostile)),
    ]
    results = make_results(tenants)
    logo = tmp_path_factory.mktemp("brand") / "logo.png"
    from tests.test_render import PNG_1X1

    logo.write_bytes(PNG_1X1)
    out = tmp_path_factory.mktemp("reports")
    written = render_reports(results, out, Branding(partner_name="Fabrikam", logo=logo), paper="Letter")
    return results, out, written, hostile, evil_name


def test_every_tenant_gets_html_and_pdf_and_the_partner_a_portfolio(rendered) -> None:
    results, out, written, *_ = rendered
    slugs = tenant_slugs(results.tenants)
    expected = {out / "portfolio.html", out / "portfolio.pdf"} | {
        out / slugs[t.tenant_id] / name for t in results.tenants for name in ("scorecard.html", "scorecard.pdf")
    }
    assert set(written) == expected
    assert all(path.stat().st_size > 0 for path in expected)
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []  # atomic writes leave no temporary files behind


def test_scorecard_pdf_text_has_name_score_and_failing_checks(rendered) -> None:
    results, out, *_ = rendered
    slugs = tenant_slugs(results.tenants)
    for tenant in results.tenants[:3]:
        text = pdf_text(out / slugs[tenant.tenant_id] / "scorecard.pdf")
        assert tenant.display_name in text
        assert f"{tenant.score:.1f}/100" in text  # one decimal, as in every output
        failing = [r.check_id for r in tenant.results if r.status is Status.FAIL]
        for check_id in failing:
            assert check_id in text, check_id
    poor = results.tenants[2]
    assert [r for r in poor.results if r.status is Status.FAIL]


def test_pdf_is_letter_sized_with_running_header_and_page_numbers(rendered) -> None:
    results, out, *_ = rendered
    slug = tenant_slugs(results.tenants)[results.tenants[1].tenant_id]
    reader = PdfReader(out / slug / "scorecard.pdf")
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (612, 792)
    pages = len(reader.pages)
    second = reader.pages[1].extract_text()
    assert "Well Secured Ltd" in second and "Security posture scorecard" in second
    assert f"Page 2 of {pages}" in second
    assert "Confidential" in second


def test_table_of_contents_has_page_numbers(rendered) -> None:
    results, out, *_ = rendered
    slug = tenant_slugs(results.tenants)[results.tenants[2].tenant_id]
    pages = [page.extract_text() for page in PdfReader(out / slug / "scorecard.pdf").pages]
    contents = pages[0]  # the contents are on the cover: the page after it is the executive page
    assert "Contents" in contents
    numbers = [int(n) for n in re.findall(r"^(\d+)$", contents, re.M)]
    assert len(numbers) >= 6 and numbers == sorted(numbers)
    # The first entry points at the executive summary's page, the last at the methodology's.
    assert "Executive summary" in pages[numbers[0] - 1] and numbers[0] == 2
    # The methodology follows the appendix on the same page, so its sections may run onto the next.
    assert "methodology" in pages[numbers[-1] - 1] and "The score" in "".join(pages[numbers[-1] - 1: numbers[-1] + 1])


def test_hostile_tenant_data_is_shown_as_text_and_fetches_nothing(rendered, listener) -> None:
    results, out, written, hostile, evil_name = rendered
    evil = results.tenants[-1]
    slug = tenant_slugs(results.tenants)[evil.tenant_id]
    html = (out / slug / "scorecard.html").read_text(encoding="utf-8")
    portfolio = (out / "portfolio.html").read_text(encoding="utf-8")
    # Long runs without a space carry invisible U+200B break points in reports (formatting.soft_wrapped).
    for page in (html.replace("\u200b", ""), portfolio.replace("\u200b", "")):
        assert "<script>alert(1)</script>" not in page
        assert f'<img src="http://127.0.0.1:{listener.port}/x">' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert f"&lt;img src=&#34;http://127.0.0.1:{listener.port}/x&#34;&gt;" in page
    # The only <img> in the document is the logo, embedded as data (the HTML loads nothing from outside).
    assert re.findall(r"<img [^>]*src=\"([^\"]{0,22})", html) == ["data:image/png;base64,"]
    text = squash(pdf_text(out / slug / "scorecard.pdf"))
    for value in hostile:
        assert squash(value) in text  # shown as text: in the title, the evidence and the policy names
    assert squash(evil_name) in text
    assert listener.connections == 0


def test_listener_sees_an_unrestricted_fetch(listener) -> None:
    """The harness itself: WeasyPrint's default fetcher does connect, so a silent listener means something."""
    from weasyprint import HTML

    before = listener.connections
    HTML(string=f'<img src="http://127.0.0.1:{listener.port}/x">').write_pdf()
    assert listener.connections > before
    listener.connections = before


def test_fetcher_serves_assets_and_logo_only(tmp_path: Path, listener) -> None:
    logo = tmp_path / "logo.png"
    from tests.test_render import PNG_1X1

    logo.write_bytes(PNG_1X1)
    fetcher = restricted_fetcher([logo])
    assert fetcher.fetch(logo.as_uri()).read() == PNG_1X1
    assert fetcher.fetch((ASSETS_DIR / "logo-placeholder.svg").as_uri()).read().startswith(b"<svg")
    (tmp_path / "other.png").write_bytes(PNG_1X1)
    for url in (
        f"http://127.0.0.1:{listener.port}/x",
        f"https://127.0.0.1:{listener.port}/x",
        "file:///etc/passwd",
        (tmp_path / "other.png").as_uri(),
        (ASSETS_DIR / ".." / ".." / ".." / "pyproject.toml").as_uri(),
        "data:text/plain,hello",
        "ftp://127.0.0.1/x",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7
    assert listener.connections == 0


def test_pdf_of_markup_that_escaped_would_still_load_nothing(listener, tmp_path: Path) -> None:
    """Defence in depth: even if markup reached WeasyPrint unescaped, the fetcher refuses it."""
    html = (f'<img src="http://127.0.0.1:{listener.port}/x"><div style="background: url(file:///etc/passwd)">x</div>'
            f'<link rel="stylesheet" href="https://127.0.0.1:{listener.port}/s.css">')
    pdf = html_to_pdf(html, resolve_brand(None))
    assert pdf.pages == 1
    assert any("127.0.0.1" in url for url in pdf.refused) and any("/etc/passwd" in url for url in pdf.refused)
    assert listener.connections == 0


def test_parallel_rendering_writes_the_same_files(tmp_path: Path) -> None:
    results = make_results([make_tenant("Solo Customer", posture=0.5, seed=8)])
    written = render_reports(results, tmp_path, jobs=2)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "solo-customer/scorecard.html", "solo-customer/scorecard.pdf"
    ]  # one customer and no partner: no portfolio
    assert "Solo Customer" in pdf_text(tmp_path / "solo-customer" / "scorecard.pdf")
