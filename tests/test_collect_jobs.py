"""Collection spread over worker processes (issue 16), against the emulator on 127.0.0.1: the same snapshot
files, request counts and progress as one process; `auditor collect` uses a process per core by default; a
worker that dies fails the run instead of hanging it. And the orjson path: snapshot files and parsed answers
are what the standard library and pydantic gave."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor import jsonfast
from auditor.cli import app
from auditor.cli_common import EXIT_UNREADABLE, default_jobs
from auditor.collect import CollectOptions, collect_all_async
from auditor.collect.emulator import Emulator, EmulatorThread
from auditor.config import AuditConfig, AuthConfig, PartnerEntry, TenantEntry
from auditor.snapshot import TenantSnapshot, dump_snapshot, dump_snapshot_bytes, load_snapshot, write_snapshot
from tests.builders import make_snapshot, subscription
from tests.test_collect import FAST, NOW, config_for
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, PARTNER, customer, partner

UNKNOWN = "0000dead-0000-4000-8000-000000000000"  # not served by the emulator: its tokens are refused


class Recorder:
    """A Progress that keeps what it was told."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.labels: list[str] = []
        self.finished = 0

    def start(self, total: int, description: str) -> None:
        self.totals.append(total)

    def advance(self, label: str = "", failed: bool = False) -> None:
        self.labels.append(label)

    def finish(self) -> None:
        self.finished += 1


def _portfolio() -> list[TenantSnapshot]:
    return [
        partner([(CUSTOMER_A, "Contoso Inc"), (CUSTOMER_B, "Fabrikam Ltd")]),
        customer(),
        customer(CUSTOMER_B, "Fabrikam Ltd", users=6, domain="fabrikam.example"),
    ]


async def test_two_workers_write_the_same_snapshots_as_one_process(tmp_path: Path) -> None:
    tenants = _portfolio()
    async with Emulator(tenants) as emulator:
        config = config_for(tenants, emulator.endpoints())
        config = config.model_copy(update={"tenants": [*config.tenants, TenantEntry(id=UNKNOWN, name="Gone Ltd")]})
        outcomes = {}
        for jobs in (1, 2):
            progress = Recorder()
            runs = await collect_all_async(config, tmp_path / str(jobs), now=NOW, progress=progress,
                                           options=CollectOptions(**{**FAST.__dict__, "jobs": jobs}))
            outcomes[jobs] = runs, progress
    (one, one_progress), (two, two_progress) = outcomes[1], outcomes[2]
    order = [PARTNER, CUSTOMER_A, CUSTOMER_B, UNKNOWN]
    assert [r.target.id for r in one] == [r.target.id for r in two] == order  # target order, not finishing order
    assert [r.requests for r in two] == [r.requests for r in one]  # the request budget does not change
    assert [(r.failed_whole, r.errors) for r in two] == [(r.failed_whole, r.errors) for r in one]
    # The runs keep their snapshots by default, from the workers as from this process.
    assert [r.snapshot for r in two] == [r.snapshot for r in one]
    for tenant in order:
        assert (tmp_path / "2" / f"{tenant}.json").read_bytes() == (tmp_path / "1" / f"{tenant}.json").read_bytes()
    assert sorted(two_progress.labels) == sorted(one_progress.labels) and len(two_progress.labels) == 4
    assert two_progress.totals == [4] and two_progress.finished == 1


async def test_discovered_customers_are_spread_over_workers(tmp_path: Path) -> None:
    """Discovery reads the partner first (in this process: its relationships name the customers), then
    the customers go to the workers; the partner's context is the same as in one process."""
    tenants = _portfolio()
    async with Emulator(tenants) as emulator:
        config = AuditConfig(partner=PartnerEntry(id=PARTNER), discover_customers=True,
                             auth=AuthConfig(method="static_token"), endpoints=emulator.endpoints())
        progress = Recorder()
        runs = await collect_all_async(config, tmp_path, now=NOW, progress=progress,
                                       options=CollectOptions(**{**FAST.__dict__, "jobs": 2}), keep_snapshots=False)
    assert [r.target.id for r in runs] == [PARTNER, CUSTOMER_A, CUSTOMER_B]
    assert runs[0].snapshot is not None and runs[1].snapshot is None  # kept only what discovery needs
    assert progress.totals == [1, 3] and len(progress.labels) == 3
    assert load_snapshot(tmp_path / f"{CUSTOMER_B}.json").tenant.display_name == "Fabrikam Ltd"


def _collect_options_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str],
                          extras: list[list[str]]) -> list[CollectOptions]:
    """The CollectOptions that ``auditor <command> --config … <extra>`` hands to collect_all, per extra."""
    seen: list[CollectOptions] = []

    def fake_collect_all(config, out, *, progress=None, options=None, now=None):
        seen.append(options)
        return []

    monkeypatch.setattr("auditor.collect.collect_all", fake_collect_all)
    (tmp_path / "tenants.toml").write_text(f'[[tenants]]\nid = "{CUSTOMER_A}"\n[auth]\nmethod = "static_token"\n')
    for extra in extras:
        result = CliRunner().invoke(app, [*command, "--config", str(tmp_path / "tenants.toml"),
                                          "--out", str(tmp_path / "out"), *extra])
        assert result.exit_code in (0, 1), result.output  # run exits 1 when nothing was collected
    return seen


def test_collect_uses_a_process_per_core_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _collect_options_seen(tmp_path, monkeypatch, ["collect"], [[], ["--jobs", "1"], ["-j", "3"]])
    assert [o.jobs for o in seen] == [default_jobs(), 1, 3]
    assert default_jobs() == len(os.sched_getaffinity(0))


def test_cli_collect_with_two_jobs_reports_an_unreadable_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit codes do not depend on --jobs: a tenant that could not be read at all still exits 4."""
    monkeypatch.setenv("AUDITOR_STATIC_TOKEN", "tenant:{tenant}")
    with EmulatorThread(Emulator([customer()])) as emulator:
        (tmp_path / "tenants.toml").write_text(
            f'[[tenants]]\nid = "{CUSTOMER_A}"\nname = "Contoso Inc"\n[[tenants]]\nid = "{UNKNOWN}"\nname = "Gone Ltd"\n'
            f'[auth]\nmethod = "static_token"\n[endpoints]\ngraph = "{emulator.base_url}"\n'
            f'arm = "{emulator.base_url}"\nauthority = "{emulator.base_url}"\n'
        )
        result = CliRunner().invoke(app, ["collect", "--config", str(tmp_path / "tenants.toml"),
                                          "--out", str(tmp_path / "snaps"), "--jobs", "2"])
    assert result.exit_code == EXIT_UNREADABLE, result.output
    assert "wrote 2 snapshot(s)" in result.output and "2/2" in result.output
    assert load_snapshot(tmp_path / "snaps" / f"{CUSTOMER_A}.json").sections["users"].ok


async def test_a_worker_that_dies_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-run (out of memory, a signal) ends the run with an error instead of a wait for
    tenants that will never be reported; the other worker is stopped too."""
    from concurrent.futures.process import BrokenProcessPool

    from auditor.collect import portfolio

    real = portfolio.collect_tenant

    async def dies_on_b(target, *args, **kwargs):
        if target.id == CUSTOMER_B:
            os._exit(9)  # in the forked worker: what the kernel's OOM killer leaves behind
        return await real(target, *args, **kwargs)

    monkeypatch.setattr(portfolio, "collect_tenant", dies_on_b)  # forked workers inherit the patch
    tenants = _portfolio()[1:]
    async with Emulator(tenants) as emulator:
        config = config_for(tenants, emulator.endpoints())
        with pytest.raises(BrokenProcessPool):
            await collect_all_async(config, tmp_path, now=NOW, options=CollectOptions(**{**FAST.__dict__, "jobs": 2}))


async def test_an_unexpected_error_in_one_tenant_fails_the_run_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception no tenant handler expects (a bug, a library's ValueError) inside a worker ends the run
    with that error. Before, the worker dropped it with the tenant's task and the parent waited for ever for
    that tenant's result (a fresh user's `collect --jobs 2` hung with a traceback per tenant)."""
    import asyncio

    from auditor.collect import portfolio

    real = portfolio.collect_tenant

    async def breaks_on_b(target, *args, **kwargs):
        if target.id == CUSTOMER_B:
            raise ValueError("an error no handler expects")
        return await real(target, *args, **kwargs)

    monkeypatch.setattr(portfolio, "collect_tenant", breaks_on_b)  # forked workers inherit the patch
    tenants = _portfolio()[1:]
    async with Emulator(tenants) as emulator:
        config = config_for(tenants, emulator.endpoints())
        with pytest.raises(ValueError, match="no handler expects"):
            # The bound only keeps a regression from hanging the suite; the run ends within seconds.
            await asyncio.wait_for(
                collect_all_async(config, tmp_path, now=NOW, options=CollectOptions(**{**FAST.__dict__, "jobs": 2})),
                timeout=120,
            )


# -- snapshot files through orjson ------------------------------------------------------------------------


def _rich_snapshot() -> TenantSnapshot:
    return make_snapshot(
        organization=[{"id": "1", "displayName": "Contoso – Zürich 東京 🚀", "ratio": 0.1, "count": 2**62,
                       "nested": {"list": [None, True, 1.5e300, -0.0, "\u2028"]}}],
        subscriptions=[subscription("20ff7fc3-e762-44dd-bd96-b71116dcdc23", pricings=[{"name": "VirtualMachines"}])],
    )


def test_snapshot_file_round_trip_through_orjson(tmp_path: Path) -> None:
    snapshot = _rich_snapshot()
    path = write_snapshot(tmp_path / "t.json", snapshot)
    assert load_snapshot(path) == snapshot
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "schema_version": "1",\n  "tenant": {')  # two-space indented, readable
    assert "Zürich 東京 🚀" in text  # UTF-8 as is, not \u escapes
    # The same JSON values pydantic wrote before (dates, enums and all), in the same field order.
    assert json.loads(text) == json.loads(snapshot.model_dump_json(indent=1))
    assert list(json.loads(text)) == list(json.loads(snapshot.model_dump_json()))
    assert dump_snapshot(snapshot).encode("utf-8") == dump_snapshot_bytes(snapshot) == path.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary file left behind


def test_data_orjson_cannot_write_takes_pydantics_path(tmp_path: Path) -> None:
    """An integer beyond 64 bits (JSON allows it; orjson does not write it) is kept exactly."""
    snapshot = make_snapshot(organization=[{"id": "1", "huge": 2**70}])
    loaded = load_snapshot(write_snapshot(tmp_path / "t.json", snapshot))
    assert loaded.sections["organization"].data[0]["huge"] == 2**70
    assert loaded == snapshot


@pytest.mark.parametrize("body", [
    b'{"a": 1, "a": 2}', b"123456789012345678901234567890", b"-9223372036854775809", b"18446744073709551615",
    b'{"n": 9223372036854775807}', b"\xef\xbb\xbf{}", b"NaN", b"[Infinity, -Infinity]", b"1e400",
    '"\\ud800"'.encode(), json.dumps({"x": "é"}).encode("utf-16"), b'{"v": [1.5, -0, 0.1, 1E5, "\\u00e9"]}',
    b"[" * 1100 + b"]" * 1100, "{}", '{"s": "\\ud83d\\ude80"}',
])
def test_fast_parse_gives_what_json_loads_gives(body: bytes | str) -> None:
    try:
        expected = json.loads(body)
    except (ValueError, RecursionError) as exc:
        with pytest.raises(type(exc)):
            jsonfast.loads(body)
        return
    got = jsonfast.loads(body)
    assert repr(got) == repr(expected)  # repr: nan != nan, and 1 == 1.0 would hide a float for an int


@pytest.mark.parametrize("body", [b"", b"{", b"\xff", b'{"a": }', b"[1,]"])
def test_fast_parse_raises_what_json_loads_raises(body: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(body)
    with pytest.raises(ValueError) as got:
        jsonfast.loads(body)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


def test_run_collects_with_its_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor run --config` spreads collection over the same worker count it renders with: the CPU count
    unless --jobs says otherwise."""
    seen = _collect_options_seen(tmp_path, monkeypatch, ["run", "--no-history"], [[], ["--jobs", "3"]])
    assert [o.jobs for o in seen] == [default_jobs(), 3]
