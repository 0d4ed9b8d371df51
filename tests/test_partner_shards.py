"""A sharded run gives every shard the same PartnerContext: live (the shard without the partner reads the
partner's context sections into out/partner-context/) and from a snapshot folder (the partner's snapshot is
read for context even when the shard leaves it out). AZR-1 shows it: with the context, the partner's legacy
AdminAgents group on Fourth Coffee's subscriptions PASSes; without, it would be MANUAL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.evaluate import evaluate
from auditor.partner_context import CONTEXT_SECTIONS
from auditor.registry import Registry
from auditor.results import Status, load_results
from auditor.samples import sample_snapshots_dir
from auditor.selection import shard_of
from auditor.snapshot import SectionStatus, load_snapshot

runner = CliRunner()
AS_OF = "2026-11-21T09:00Z"
CHOSEN = ("northwind-cloud-partners", "fourth-coffee", "alpine-ski-house")


@pytest.fixture(autouse=True)
def private_history(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_DB", str(tmp_path / "history.sqlite"))


def chosen():
    return [load_snapshot(sample_snapshots_dir() / f"{slug}.json") for slug in CHOSEN]


def azr1(results) -> dict[str, Status]:
    return {t.display_name: r.status for t in results.tenants for r in t.results if r.check_id == "AZR-1"}


def test_the_sample_tenants_fall_in_two_shards_with_the_partner_in_one():
    shards = {s.tenant.display_name: shard_of(s.tenant.id, 2) for s in chosen()}
    assert shards["Northwind Cloud Partners"] != shards["Fourth Coffee"]  # else this file tests nothing


def test_live_two_shard_run_gives_both_shards_the_partner_context(tmp_path: Path, monkeypatch) -> None:
    snapshots = chosen()
    partner = snapshots[0]
    customers = snapshots[1:]
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    merged = {}
    with EmulatorThread(Emulator(snapshots)) as emulator:
        config = tmp_path / "tenants.toml"
        config.write_text(
            f'discover_customers = false\n[partner]\nid = "{partner.tenant.id}"\nname = "{partner.tenant.display_name}"\n'
            + "".join(f'[[tenants]]\nid = "{c.tenant.id}"\nname = "{c.tenant.display_name}"\n' for c in customers)
            + f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
            f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
        )
        for shard in ("1/2", "2/2"):
            out = tmp_path / shard.replace("/", "-")
            result = runner.invoke(app, ["run", "--config", str(config), "--out", str(out), "--shard", shard,
                                         "--run-id", "sharded", "--as-of", AS_OF])
            assert result.exit_code == 0, result.output
            merged.update(azr1(load_results(out / "results.json")))
        assert not emulator.writes
    offline = azr1(evaluate(snapshots, Registry.from_entry_points(), load_results(out / "results.json").generated_at))
    assert merged == {k: v for k, v in offline.items() if k != "Northwind Cloud Partners"}
    assert merged["Fourth Coffee"] is Status.PASS and merged["Alpine Ski House AG"] is Status.FAIL
    # The shard without the partner read only its context sections, into a folder of its own.
    without = tmp_path / ("1-2" if shard_of(partner.tenant.id, 2) == 2 else "2-2")
    context = load_snapshot(without / "partner-context" / f"{partner.tenant.id}.json")
    read = {name for name, section in context.sections.items() if section.status is SectionStatus.OK}
    assert read == set(CONTEXT_SECTIONS)
    assert partner.tenant.id not in {p.stem for p in (without / "snapshots").glob("*.json")}


def test_snapshot_folder_shards_read_the_partner_for_context(tmp_path: Path) -> None:
    folder = tmp_path / "snaps"
    folder.mkdir()
    for snapshot in chosen():
        (folder / f"{snapshot.tenant.id}.json").write_text(snapshot.model_dump_json())
    merged = {}
    for shard in ("1/2", "2/2"):
        out = tmp_path / shard.replace("/", "-")
        result = runner.invoke(app, ["run", "--snapshots", str(folder), "--out", str(out), "--shard", shard,
                                     "--no-history", "--as-of", AS_OF])
        assert result.exit_code == 0, result.output
        merged.update(azr1(load_results(out / "results.json")))
    assert merged["Fourth Coffee"] is Status.PASS  # MANUAL without the partner's context
    alone = evaluate(chosen()[1:2], Registry.from_entry_points(), load_results(out / "results.json").generated_at)
    assert azr1(alone)["Fourth Coffee"] is Status.MANUAL
