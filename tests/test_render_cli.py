"""`auditor report RESULTS.json --out DIR`: renders saved results; bad input is one line and exit 1, and
nothing is written when the branding is unusable."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from auditor.cli import app
from auditor.outputs import write_results
from tests.test_render import PNG_1X1
from tests.test_render_helpers import make_results, make_tenant

runner = CliRunner()


def saved_results(tmp_path: Path) -> Path:
    write_results(make_results([make_tenant("Contoso Ltd", posture=0.5, seed=6)]), tmp_path)
    return tmp_path / "results.json"


def test_report_renders_saved_results_with_branding(tmp_path: Path) -> None:
    results = saved_results(tmp_path)
    (tmp_path / "logo.png").write_bytes(PNG_1X1)
    config = tmp_path / "tenants.toml"
    config.write_text('[branding]\npartner_name = "Fabrikam"\nlogo = "logo.png"\nprimary_color = "#0b6e4f"\n')
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", str(results), "--out", str(out), "--config", str(config), "--paper", "Letter"])
    assert result.exit_code == 0, result.output
    assert (out / "contoso-ltd" / "scorecard.pdf").stat().st_size > 0
    html = (out / "contoso-ltd" / "scorecard.html").read_text(encoding="utf-8")
    assert "Fabrikam" in html and "#0b6e4f" in html and "size: letter" in html
    assert not (out / "portfolio.html").exists()  # one customer, no partner


def test_report_bad_results_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text('{"tool": {"name": "x"}}')
    result = runner.invoke(app, ["report", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "results.json" in lines[0]


def test_report_refuses_a_logo_that_is_not_an_image_before_writing(tmp_path: Path) -> None:
    results = saved_results(tmp_path)
    (tmp_path / "logo.png").write_text("<html>not a logo</html>")
    config = tmp_path / "tenants.toml"
    config.write_text('[branding]\nlogo = "logo.png"\n')
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", str(results), "--out", str(out), "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: branding.logo") and "\n" not in result.output.strip()
    assert not out.exists()
