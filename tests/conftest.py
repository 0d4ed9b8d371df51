"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """(results, folder, pages per document) of the bundled sample rendered once: every scorecard and the
    portfolio, HTML and PDF (tests/report_sample.py)."""
    from tests.report_sample import render_sample

    return render_sample(tmp_path_factory.mktemp("sample-reports"))
