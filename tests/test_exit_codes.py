"""Exit code 4: a tenant that could not be read at all, through `collect` and `run` (issue: exit codes a
scheduler can trust). Forbidden and not-licensed sections are answers, and keep exit 0."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect.collector import Target, failed_snapshot
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.collect.faults import Fault, FaultKind
from auditor.readable import unreadable_reason, unreadable_tenants
from auditor.samples import sample_snapshots_dir
from auditor.snapshot import SectionStatus, TenantKind, dump_snapshot, load_snapshot

runner = CliRunner()
SAMPLES = {p.stem: load_snapshot(p) for p in sorted(sample_snapshots_dir().glob("*.json"))}
FABRIKAM, WOODGROVE = SAMPLES["fabrikam-legal"], SAMPLES["woodgrove-dental"]
NOW = datetime(2026, 11, 21, 9, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def private_history(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_DB", str(tmp_path / "history.sqlite"))
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")


def _config(tmp_path: Path, emulator, extra: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "tenants.toml"
    config.write_text(
        extra
        + "".join(f'[[tenants]]\nid = "{s.tenant.id}"\nname = "{s.tenant.display_name}"\n' for s in (FABRIKAM, WOODGROVE))
        + f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
        f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
    )
    return config


def _collect(tmp_path: Path, faults: list[Fault], *args: str, extra: str = ""):
    with EmulatorThread(Emulator([FABRIKAM, WOODGROVE], faults=faults)) as emulator:
        config = _config(tmp_path, emulator, extra)
        return runner.invoke(app, ["collect", "--config", str(config), "--out", str(tmp_path / "s"), *args])


def _broken(tenant_id: str) -> list[Fault]:
    # Every request for this tenant answers 200 with a body that is not JSON: nothing could be read.
    return [Fault(FaultKind.MALFORMED, tenant=tenant_id)]


def test_collect_exits_4_naming_the_unreadable_tenant(tmp_path):
    result = _collect(tmp_path, _broken(WOODGROVE.tenant.id))
    assert result.exit_code == 4, result.output
    assert f"tenant Woodgrove Dental Group ({WOODGROVE.tenant.id}) could not be read:" in result.stderr
    assert "Fabrikam Legal LLP (" not in result.stderr
    assert "1 tenant(s) could not be read" in result.stdout
    # The readable tenant's snapshot is written all the same: no lost work.
    assert len(list((tmp_path / "s").glob("*.json"))) == 2


def test_collect_allow_unreadable_flag_and_config_key_exit_0(tmp_path):
    flag = _collect(tmp_path / "a", _broken(WOODGROVE.tenant.id), "--allow-unreadable")
    assert flag.exit_code == 0, flag.output
    assert "could not be read" in flag.stderr  # still said, only not an error exit
    key = _collect(tmp_path / "b", _broken(WOODGROVE.tenant.id), extra="allow_unreadable = true\n")
    assert key.exit_code == 0, key.output


def test_collect_all_readable_exits_0(tmp_path):
    result = _collect(tmp_path, [])
    assert result.exit_code == 0, result.output
    assert "could not be read" not in result.output


def test_forbidden_everywhere_is_an_answer_not_unreadable(tmp_path):
    # Consent without any permission: every section forbidden. Normal for a tenant, exit 0.
    result = _collect(tmp_path, [Fault(FaultKind.FORBIDDEN, tenant=WOODGROVE.tenant.id)])
    assert result.exit_code == 0, result.output
    snapshot = next(load_snapshot(p) for p in (tmp_path / "s").glob("*.json") if WOODGROVE.tenant.id in p.read_text())
    assert SectionStatus.FORBIDDEN in {s.status for s in snapshot.sections.values()}


def test_run_live_exits_4_after_writing_every_output(tmp_path):
    with EmulatorThread(Emulator([FABRIKAM, WOODGROVE], faults=_broken(FABRIKAM.tenant.id))) as emulator:
        config = _config(tmp_path, emulator)
        out = tmp_path / "out"
        result = runner.invoke(app, ["run", "--config", str(config), "--out", str(out), "--fail-under", "0"])
    assert result.exit_code == 4, result.output
    assert f"tenant Fabrikam Legal LLP ({FABRIKAM.tenant.id}) could not be read:" in result.stderr
    assert (out / "results.json").is_file() and (out / "portfolio.html").is_file()


def test_run_unreadable_outranks_fail_under(tmp_path):
    folder = tmp_path / "snaps"
    folder.mkdir()
    (folder / "ok.json").write_text(dump_snapshot(FABRIKAM))
    dead = failed_snapshot(Target(WOODGROVE.tenant.id, "Woodgrove Dental Group", TenantKind.CUSTOMER),
                           "authentication failed: AADSTS700016: application not found", NOW)
    (folder / "dead.json").write_text(dump_snapshot(dead))
    common = ["run", "--snapshots", str(folder), "--no-history", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*common, "--fail-under", "100"])
    assert result.exit_code == 4, result.output
    assert "authentication failed: AADSTS700016: application not found" in result.stderr
    allowed = runner.invoke(app, [*common, "--fail-under", "100", "--allow-unreadable"])
    assert allowed.exit_code == 3, allowed.output  # the score gate still holds


def test_unreadable_reason_rules():
    dead = failed_snapshot(Target("t1", "T", TenantKind.CUSTOMER), "could not connect: refused", NOW)
    assert unreadable_reason(dead) == "could not connect: refused"
    # One answered section (even forbidden) makes the tenant readable.
    sections = dict(dead.sections)
    sections["organization"] = sections["organization"].model_copy(
        update={"status": SectionStatus.FORBIDDEN, "reason": "needs Organization.Read.All"})
    assert unreadable_reason(dead.model_copy(update={"sections": sections})) is None
    assert [t.tenant_id for t in unreadable_tenants([dead, FABRIKAM])] == ["t1"]
