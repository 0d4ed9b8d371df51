"""Issue 10, the history behind a scorecard: a stored run re-renders with the branding it was recorded with
(its logo kept in the history), a run is replaced with --replace and deleted with `history delete`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from auditor.samples import sample_snapshots_dir
from tests.test_render import PNG_1X1

# Two sample tenants keep the rendering short; the partner makes a portfolio too.
PARTNER = "2067070c-c4d1-4ed3-a9f0-5a7c5de0c3c3"
CUSTOMER = "42c6556c-0e25-4142-8ead-98b4bfe85fdf"


def _runner() -> CliRunner:
    return CliRunner()


def _sample_folder(folder: Path, tenant_ids: tuple[str, ...]) -> Path:
    folder.mkdir()
    for path in sample_snapshots_dir().glob("*.json"):
        if json.loads(path.read_text(encoding="utf-8"))["tenant"]["id"] in tenant_ids:
            shutil.copy(path, folder / path.name)
    assert len(list(folder.iterdir())) == len(tenant_ids)
    return folder


@pytest.fixture
def portfolio(tmp_path) -> Path:
    """The partner and one customer: two scorecards and a portfolio."""
    return _sample_folder(tmp_path / "portfolio", (PARTNER, CUSTOMER))


@pytest.fixture
def snapshots(tmp_path) -> Path:
    """One customer: one scorecard, quick to render."""
    return _sample_folder(tmp_path / "snapshots", (CUSTOMER,))


def _said(result, kind: str) -> list[str]:
    """The ``note:``/``warning:`` lines on stderr (progress lines go there too)."""
    return [line for line in result.stderr.splitlines() if line.startswith(f"{kind}:")]


def _config(folder: Path, name: str, colour: str, logo: bytes | None = PNG_1X1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[branding]", f'partner_name = "{name}"', f'primary_color = "{colour}"', 'footer_text = "For the customer only."']
    if logo is not None:
        (folder / "logo.png").write_bytes(logo)
        lines.append('logo = "logo.png"')
    path = folder / "tenants.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*args: str):
    result = _runner().invoke(app, list(args))
    return result


def _html(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.html"))}


def test_a_stored_run_re_renders_with_its_recorded_branding(tmp_path, portfolio):
    db = str(tmp_path / "history.sqlite")
    config = _config(tmp_path / "cfg", "Litware Assurance", "#0b5c8e")
    first = _run("run", "--snapshots", str(portfolio), "--config", str(config), "--db", db, "--out",
                 str(tmp_path / "out"), "--run-label", "2026-Q4", "--as-of", "2026-11-20T09:00:00Z")
    assert first.exit_code == 0, first.output
    original = _html(tmp_path / "out")
    assert len(original) == 3 and all("Litware Assurance" in page for page in original.values())
    run_id = store.run_id_from_label("2026-Q4")

    # Weeks later, without the config: the same pages, logo included.
    again = _run("report", "--run", run_id, "--db", db, "--out", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert _html(tmp_path / "again") == original
    assert _said(again, "note") == _said(again, "warning") == []

    # The logo file has gone since: still the same pages, and one line saying where the logo came from.
    shutil.rmtree(tmp_path / "cfg")
    gone = _run("report", "--run", run_id, "--db", db, "--out", str(tmp_path / "gone"))
    assert gone.exit_code == 0, gone.output
    assert _html(tmp_path / "gone") == original
    assert _said(gone, "note") == [f"note: the logo file {(tmp_path / 'cfg' / 'logo.png').resolve()} of run {run_id} is gone; "
                     "the reports use the copy kept in the history"]


def test_a_config_with_branding_overrides_the_recorded_one(tmp_path, snapshots):
    db = str(tmp_path / "history.sqlite")
    config = _config(tmp_path / "cfg", "Litware Assurance", "#0b5c8e")
    assert _run("run", "--snapshots", str(snapshots), "--config", str(config), "--db", db, "--out",
                str(tmp_path / "out"), "--run-id", "q4").exit_code == 0
    other = _config(tmp_path / "other", "Contoso Advisory", "#7a1f5c", logo=None)
    result = _run("report", "--run", "q4", "--db", db, "--config", str(other), "--out", str(tmp_path / "re"))
    assert result.exit_code == 0, result.output
    pages = _html(tmp_path / "re")
    assert all("Contoso Advisory" in page and "Litware" not in page for page in pages.values())
    # A config without a [branding] table (given for its database, say) keeps the recorded branding.
    plain = tmp_path / "plain.toml"
    plain.write_text(f'database = "{db}"\n')
    kept = _run("report", "--run", "q4", "--config", str(plain), "--out", str(tmp_path / "kept"))
    assert kept.exit_code == 0, kept.output
    assert _html(tmp_path / "kept") == _html(tmp_path / "out")


def test_a_run_recorded_before_branding_was_kept_says_so(tmp_path, snapshots):
    db = str(tmp_path / "history.sqlite")
    config = _config(tmp_path / "cfg", "Litware Assurance", "#0b5c8e")
    assert _run("run", "--snapshots", str(snapshots), "--config", str(config), "--db", db, "--out",
                str(tmp_path / "out"), "--run-id", "old").exit_code == 0
    engine = store.open_db(db)
    with engine.begin() as conn:  # as schema version 3 left it
        conn.execute(text("UPDATE runs SET branding = NULL, logo_sha256 = NULL"))
    engine.dispose()
    result = _run("report", "--run", "old", "--db", db, "--out", str(tmp_path / "re"))
    assert result.exit_code == 0, result.output
    assert _said(result, "note") == [
        "note: run old was recorded before runs kept their branding; the reports use the default branding "
        "(give --config to apply yours)"
    ]
    assert all("Litware" not in page for page in _html(tmp_path / "re").values())


def test_a_logo_the_history_lost_is_named_not_dropped_silently(tmp_path, snapshots):
    db = str(tmp_path / "history.sqlite")
    config = _config(tmp_path / "cfg", "Litware Assurance", "#0b5c8e")
    assert _run("run", "--snapshots", str(snapshots), "--config", str(config), "--db", db, "--out",
                str(tmp_path / "out"), "--run-id", "q4").exit_code == 0
    engine = store.open_db(db)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM logos"))
    engine.dispose()
    result = _run("report", "--run", "q4", "--db", db, "--out", str(tmp_path / "re"))
    assert result.exit_code == 0, result.output
    warnings = _said(result, "warning")
    assert len(warnings) == 1 and "the logo of run q4 (logo.png, SHA-256" in warnings[0]
    assert "placeholder logo" in warnings[0]
    assert all("Litware Assurance" in page for page in _html(tmp_path / "re").values())  # the rest is kept


def test_replace_and_the_hint_without_it(tmp_path, portfolio, snapshots):
    db = str(tmp_path / "history.sqlite")
    args = ["run", "--db", db, "--run-label", "2026-Q4"]
    assert _run(*args, "--snapshots", str(portfolio), "--out", str(tmp_path / "one")).exit_code == 0
    args += ["--snapshots", str(snapshots)]
    refused = _run(*args, "--out", str(tmp_path / "two"))
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1 and "new --run-id" not in refused.stderr
    assert "is already recorded: give --replace to replace it, or another --run-label" in refused.stderr
    assert not (tmp_path / "two" / "results.json").exists()  # refused before anything was evaluated or written
    replaced = _run(*args, "--replace", "--as-of", "2026-12-01", "--out", str(tmp_path / "three"))
    assert replaced.exit_code == 0, replaced.output
    runs = json.loads(_run("history", "--db", db, "-f", "json").stdout)
    assert [(r["label"], r["tenants"], r["as_of"], r["as_of_given"]) for r in runs] == [
        ("2026-Q4", 1, "2026-12-01T00:00:00+00:00", True)
    ]
    # The partner was only in the replaced run: the history no longer knows it.
    gone = _run("history", "--db", db, "--tenant", PARTNER)
    assert gone.exit_code == 1 and "matches no tenant in the history" in gone.stderr
    sharded = _run(*args, "--replace", "--shard", "1/2", "--out", str(tmp_path / "four"))
    assert sharded.exit_code == 1 and "--replace replaces a whole run and cannot be given with --shard" in sharded.stderr


def test_history_delete_asks_first(tmp_path, snapshots):
    db = str(tmp_path / "history.sqlite")
    for run_id in ("q3", "q4"):
        assert _run("run", "--snapshots", str(snapshots), "--db", db, "--run-id", run_id, "--out",
                    str(tmp_path / run_id)).exit_code == 0
    declined = _runner().invoke(app, ["history", "delete", "q3", "--db", db], input="n\n")
    assert declined.exit_code == 1 and "Delete run q3" in declined.stderr and "error: run q3 not deleted" in declined.stderr
    unanswered = _runner().invoke(app, ["history", "delete", "q3", "--db", db], input="")
    assert unanswered.exit_code == 1 and "give --yes to delete without asking" in unanswered.stderr
    assert [r["id"] for r in json.loads(_run("history", "--db", db, "-f", "json").stdout)] == ["q3", "q4"]

    confirmed = _runner().invoke(app, ["history", "delete", "q3", "--db", db], input="y\n")
    assert confirmed.exit_code == 0 and "deleted run q3" in confirmed.stdout
    assert _run("history", "delete", "q4", "--db", db, "--yes").exit_code == 0
    assert _run("history", "--db", db).stdout.strip() == "No runs recorded yet."
    missing = _run("history", "delete", "q4", "--db", db, "--yes")
    assert missing.exit_code == 1 and "no run 'q4' in the history" in missing.stderr
    misplaced = _run("history", "--limit", "1", "delete", "q4", "--db", db)
    assert misplaced.exit_code == 2 and "give them after `delete`" in misplaced.stderr
