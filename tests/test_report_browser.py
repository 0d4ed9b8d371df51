"""The portfolio's sorting and filtering, driven in headless Chromium through chromedriver (Selenium), on
the sample portfolio rendered once per session (tests/conftest.py). No network: the page is a local file, the
browser runs with background networking, sync and component updates off, in a fresh profile. Skipped, with
the reason, when chromium, chromedriver or Selenium is missing (.ci/run installs the Debian packages)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")

selenium = pytest.importorskip("selenium", reason="Selenium is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium test needs the chromium and chromedriver executables (Debian: chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _rows(driver) -> list[dict[str, str]]:
    """The ranking's rows as the reader sees them: visible ones only, in their order on the page."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#ranking-table tbody tr'))
          .filter(row => !row.hidden && row.offsetParent !== null)
          .map(row => ({name: row.dataset.name, grade: row.dataset.grade, score: row.dataset.score,
                        areas: row.dataset.areas, checks: row.dataset.checks, tags: row.dataset.tags}));
    """)


def _choose(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, f'#ranking-filters select[name="{name}"]')).select_by_value(value)


def _reset(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "filter-reset").click()


def test_filters_and_sorting_work_offline_in_chromium(rendered, browser) -> None:
    from selenium.webdriver.common.by import By

    results, out, _ = rendered
    browser.get((Path(out) / "portfolio.html").as_uri())
    every = _rows(browser)
    assert len(every) == len(results.tenants)
    assert browser.find_element(By.ID, "ranking-filters").is_displayed()
    assert browser.find_element(By.ID, "filter-count").text == f"{len(every)} of {len(every)} tenants shown"

    # By grade.
    failing_grade = next(t.grade for t in results.tenants if t.grade == "F")
    _choose(browser, "grade", failing_grade)
    shown = _rows(browser)
    expected = {t.display_name.lower() for t in results.tenants if t.grade == failing_grade}
    assert {r["name"] for r in shown} == expected and all(r["grade"] == failing_grade for r in shown)
    assert browser.find_element(By.ID, "filter-count").text == f"{len(expected)} of {len(every)} tenants shown"
    _reset(browser)
    assert len(_rows(browser)) == len(every)

    # By failing check, combined with an area.
    _choose(browser, "check", "MFA-2")
    with_mfa2 = {t.display_name.lower() for t in results.tenants
                 if any(r.check_id == "MFA-2" and r.status.value == "FAIL" for r in t.results)}
    assert with_mfa2 and {r["name"] for r in _rows(browser)} == with_mfa2
    _choose(browser, "area", "cost")
    both = {t.display_name.lower() for t in results.tenants
            if t.display_name.lower() in with_mfa2 and any(r.area.value == "cost" and r.status.value == "FAIL" for r in t.results)}
    assert {r["name"] for r in _rows(browser)} == both
    _reset(browser)

    # By tag.
    _choose(browser, "tag", "region:emea")
    tagged = {t.display_name.lower() for t in results.tenants if "region:emea" in t.tags}
    assert tagged and {r["name"] for r in _rows(browser)} == tagged
    _reset(browser)

    # Sorting by score: ascending on the first click, descending on the second; unscored tenants sort first
    # ascending (no score is below every score).
    header = browser.find_element(By.CSS_SELECTOR, '#ranking-table th[data-sort="score"] button')
    header.click()
    scores = [float(r["score"]) if r["score"] else float("-inf") for r in _rows(browser)]
    assert scores == sorted(scores)
    header.click()
    scores = [float(r["score"]) if r["score"] else float("-inf") for r in _rows(browser)]
    assert scores == sorted(scores, reverse=True)
    browser.find_element(By.CSS_SELECTOR, '#ranking-table th[data-sort="name"] button').click()
    names = [r["name"] for r in _rows(browser)]
    assert names == sorted(names, key=str.casefold) or names == sorted(names)
    # Nothing was fetched from the network: every resource the page loaded is the page itself.
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert all(url.startswith(("file:", "data:")) for url in loaded)


def test_the_pdf_keeps_the_full_table_without_controls(rendered) -> None:
    from pypdf import PdfReader

    results, out, _ = rendered
    text = " ".join(page.extract_text() for page in PdfReader(Path(out) / "portfolio.pdf").pages)
    assert "Failing area" not in text and "Reset" not in text and "tenants shown" not in text
    ranking = text.split("Tenants ranked by score")[-1]
    assert all(t.display_name in ranking for t in results.tenants)
