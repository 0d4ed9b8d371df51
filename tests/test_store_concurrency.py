"""Real processes against real databases: concurrent writers both land, and a writer killed inside its
transaction leaves the database consistent and the previous outputs intact."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from auditor import store
from auditor.outputs import write_results
from tests.test_store_backends import audit, db_url, quarter, tenant  # noqa: F401 (fixture)

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, as a second machine or cron job would be
WAIT_S = 120  # generous bounds for a loaded CI machine; never asserted as a duration


def _tenants(prefix: str, count: int):
    return [
        tenant(f"{prefix}-{i:04d}", f"{prefix} tenant {i}", {f"C-{c}": ("PASS" if (i + c) % 3 else "FAIL") for c in range(12)})
        for i in range(count)
    ]


def _write_runs(url: str, barrier, prefix: str, runs: int, tenants: int, shard: str | None = None, run_id: str | None = None) -> None:
    barrier.wait(WAIT_S)  # start together, including creating the schema of a new database
    engine = store.open_db(url)
    for n in range(runs):
        results = audit(run_id or f"{prefix}-run-{n}", _tenants(prefix, tenants), at=quarter(n))
        store.record_run(engine, results, shard=shard)
    engine.dispose()


def _start(target, *args):
    process = SPAWN.Process(target=target, args=args)
    process.start()
    return process


def _join(*processes) -> None:
    for process in processes:
        process.join(WAIT_S)
        if process.is_alive():
            process.kill()
            pytest.fail("a writer process did not finish")
    assert [p.exitcode for p in processes] == [0] * len(processes)


def test_two_processes_writing_at_once_both_land(db_url):
    barrier = SPAWN.Barrier(2)
    first = _start(_write_runs, db_url, barrier, "alpha", 4, 40)
    second = _start(_write_runs, db_url, barrier, "beta", 4, 40)
    _join(first, second)

    engine = store.open_db(db_url, create=False)
    runs = store.list_runs(engine)
    assert sorted(r.id for r in runs) == sorted([f"alpha-run-{n}" for n in range(4)] + [f"beta-run-{n}" for n in range(4)])
    assert all(r.tenants == 40 for r in runs)
    loaded = store.load_run_results(engine, "beta-run-3")
    assert sum(len(t.results) for t in loaded.tenants) == 40 * 12
    engine.dispose()


def test_shards_of_one_run_written_at_once_merge(db_url):
    barrier = SPAWN.Barrier(2)
    first = _start(_write_runs, db_url, barrier, "east", 1, 30, "1/2", "nightly")
    second = _start(_write_runs, db_url, barrier, "west", 1, 30, "2/2", "nightly")
    _join(first, second)

    engine = store.open_db(db_url, create=False)
    (run,) = store.list_runs(engine)
    assert run.shards == ["1/2", "2/2"] and run.missing_shards == [] and run.tenants == 60
    assert len(store.load_run_results(engine, "nightly").tenants) == 60
    engine.dispose()


def _killed_writer(url: str, marker: str, out_dir: str) -> None:
    from sqlalchemy import event

    engine = store.open_db(url)

    @event.listens_for(engine, "commit")
    def _hang_before_commit(conn) -> None:
        # Every row of the run is written, the COMMIT not yet sent: the worst moment to die.
        Path(marker).write_text("in transaction")
        time.sleep(WAIT_S * 5)

    results = audit("q2", _tenants("gamma", 25), at=quarter(1))
    store.record_run(engine, results)
    write_results(results, Path(out_dir))  # never reached: the outputs follow the database


def test_a_run_killed_inside_its_transaction_leaves_no_trace(db_url, tmp_path):
    engine = store.open_db(db_url)
    previous = audit("q1", _tenants("gamma", 25), at=quarter(0))
    store.record_run(engine, previous)
    engine.dispose()
    out_dir = tmp_path / "out"
    write_results(previous, out_dir)
    before = {path.name: path.read_bytes() for path in out_dir.iterdir()}

    marker = tmp_path / "marker"
    writer = _start(_killed_writer, db_url, str(marker), str(out_dir))
    deadline = time.monotonic() + WAIT_S
    while not marker.exists() and writer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the writer never reached its commit"
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(WAIT_S)
    assert writer.exitcode == -signal.SIGKILL

    engine = store.open_db(db_url)  # opens, and is writable again
    assert [r.id for r in store.list_runs(engine)] == ["q1"]
    loaded = store.load_run_results(engine, "q1")
    assert sorted(loaded.tenants, key=lambda t: t.tenant_id) == sorted(previous.tenants, key=lambda t: t.tenant_id)
    with pytest.raises(store.StoreError, match="no run 'q2'"):
        store.load_run_results(engine, "q2")
    store.record_run(engine, audit("q2", _tenants("gamma", 3), at=quarter(1)))
    assert [r.id for r in store.list_runs(engine)] == ["q1", "q2"]
    engine.dispose()
    assert {path.name: path.read_bytes() for path in out_dir.iterdir()} == before


# --- replacing and deleting while others write (issue 10) ----------------------------------------------


def _replace_repeatedly(url: str, barrier, prefix: str, times: int, tenants: int) -> None:
    barrier.wait(WAIT_S)
    engine = store.open_db(url)
    for n in range(times):
        store.record_run(engine, audit("quarterly", _tenants(prefix, tenants), at=quarter(n)), label=prefix, replace=True)
    engine.dispose()


def test_two_processes_replacing_one_run_leave_one_whole_run(db_url):
    barrier = SPAWN.Barrier(2)
    first = _start(_replace_repeatedly, db_url, barrier, "alpha", 5, 30)
    second = _start(_replace_repeatedly, db_url, barrier, "beta", 5, 20)
    _join(first, second)

    engine = store.open_db(db_url, create=False)
    (run,) = store.list_runs(engine)
    loaded = store.load_run_results(engine, "quarterly")
    prefixes = {t.tenant_id.split("-")[0] for t in loaded.tenants}
    # One writer's run, whole: never a mix, never a half.
    assert len(prefixes) == 1 and run.label == prefixes.pop()
    assert run.tenants == len(loaded.tenants) == {"alpha": 30, "beta": 20}[run.label]
    assert sum(len(t.results) for t in loaded.tenants) == run.tenants * 12
    engine.dispose()


def _delete_repeatedly(url: str, barrier, run_id: str, times: int) -> None:
    barrier.wait(WAIT_S)
    engine = store.open_db(url)
    for _ in range(times):
        try:
            store.delete_run(engine, run_id)
        except store.StoreError as exc:  # nothing recorded yet, or deleted by this loop already
            assert "no run" in str(exc) or "no longer in the history" in str(exc), exc
        time.sleep(0.01)
    engine.dispose()


def test_deleting_a_run_while_its_shards_are_recorded_leaves_whole_parts(db_url):
    barrier = SPAWN.Barrier(3)
    writers = [_start(_write_runs, db_url, barrier, name, 6, 15, shard, "nightly")
               for name, shard in (("east", "1/2"), ("west", "2/2"))]
    deleter = _start(_delete_repeatedly, db_url, barrier, "nightly", 30)
    _join(*writers, deleter)

    engine = store.open_db(db_url, create=False)
    runs = store.list_runs(engine)
    for run in runs:  # whatever survived is whole parts: every part with all its tenants and checks
        loaded = store.load_run_results(engine, run.id)
        assert run.tenants == len(loaded.tenants) == 15 * len(run.shards)
        assert all(len(t.results) == 12 for t in loaded.tenants)
    # No row of a deleted run is left behind, and the tenants table knows only tenants some run audited.
    with engine.connect() as conn:
        from sqlalchemy import text

        orphans = conn.execute(text(
            "SELECT count(*) FROM tenant_results WHERE run_id NOT IN (SELECT id FROM runs)")).scalar()
        orphan_checks = conn.execute(text(
            "SELECT count(*) FROM check_results WHERE tenant_result_id NOT IN (SELECT id FROM tenant_results)")).scalar()
        unknown = conn.execute(text(
            "SELECT count(*) FROM tenants WHERE id NOT IN (SELECT tenant_id FROM tenant_results)")).scalar()
    assert (orphans, orphan_checks, unknown) == (0, 0, 0)
    engine.dispose()
