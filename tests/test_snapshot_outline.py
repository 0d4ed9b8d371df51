"""A run holds its customers' snapshots as outlines and reads each one whole only while it is evaluated
(issue 16: a thousand snapshots at once were 2 GB). The verdicts must not change."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config
from auditor.evaluate import evaluate
from auditor.registry import Registry
from auditor.samples import sample_config_path, sample_snapshots_dir
from auditor.selection import load_selected
from auditor.snapshot import OUTLINE_KEEPS, SectionStatus, load_snapshots, outline

WHEN = datetime(2026, 11, 20, tzinfo=timezone.utc)  # after the sample config's review dates


def test_outline_keeps_statuses_and_the_organization_only():
    snapshot = next(s for s in load_snapshots([sample_snapshots_dir()]) if s.tenant.kind.value == "customer")
    light = outline(snapshot)
    assert light.tenant == snapshot.tenant and light.collected_at == snapshot.collected_at
    for name, section in snapshot.sections.items():
        kept = light.sections[name]
        assert (kept.status, kept.reason, kept.request) == (section.status, section.reason, section.request)
        assert kept.data == (section.data if name in OUTLINE_KEEPS else None)
    assert any(s.data for s in snapshot.sections.values() if s.status is SectionStatus.OK)  # there was bulk to drop
    assert snapshot.sections["users"].data  # the original is untouched


def test_selected_holds_outlines_and_gives_each_snapshot_whole():
    selected = load_selected([sample_snapshots_dir()])
    whole = {s.tenant.id: s for s in load_snapshots([sample_snapshots_dir()])}
    assert selected.partner is not None and selected.partner.tenant.id not in selected.outlined
    for snapshot in selected.snapshots:
        if snapshot.tenant.kind.value == "partner":
            assert selected.whole(snapshot) is snapshot
            continue
        assert snapshot.tenant.id in selected.outlined
        assert snapshot.sections["users"].data is None
        assert selected.whole(snapshot) == whole[snapshot.tenant.id]


def test_evaluating_outlines_gives_the_verdicts_of_whole_snapshots():
    config = load_config(sample_config_path())
    registry = Registry.from_entry_points()
    selected = load_selected([sample_snapshots_dir()], config=config)
    streamed = evaluate(selected.snapshots, registry, WHEN, config, run_id="r", whole=selected.whole)
    direct = evaluate(load_snapshots([sample_snapshots_dir()]), registry, WHEN, config, run_id="r")
    assert streamed.model_dump(exclude={"generated_at"}) == direct.model_dump(exclude={"generated_at"})
    # Without ``whole`` an outline has no data to judge: the same call would not give these verdicts.
    bare = evaluate(selected.snapshots, registry, WHEN, config, run_id="r")
    assert bare.model_dump(exclude={"generated_at"}) != direct.model_dump(exclude={"generated_at"})


def test_a_snapshot_gone_before_it_is_evaluated_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "snaps"
    shutil.copytree(sample_snapshots_dir(), folder)
    import auditor.selection as selection

    real = selection.load_selected

    def then_delete(*args, **kwargs):
        chosen = real(*args, **kwargs)
        (folder / "coho-winery.json").unlink()  # as if another process removed it between the two reads
        return chosen

    monkeypatch.setattr(selection, "load_selected", then_delete)
    result = CliRunner().invoke(app, ["run", "--snapshots", str(folder), "--no-history", "--out",
                                      str(tmp_path / "out"), "--formats", "json"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "coho-winery.json" in errors[0] and "cannot read" in errors[0]
    assert "Traceback" not in result.output
