"""Benchmark: evaluate and score N synthetic 300-user tenants with the installed checks.

    python bench/evaluate.py --tenants 1000 [--users 300] [--subscriptions 1] [--profile out.prof]

Prints what it measured, then one line of key=value figures:
    gen_seconds=...                          (building the snapshots, reported separately)
    tenants=N checks=<results> seconds=<evaluate + score> peak_rss_mb=<max RSS of this process>
Target on the project's 2-core machine: 1,000 tenants in under 5 s and under 1 GiB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from auditor.evaluate import evaluate  # noqa: E402
from auditor.registry import Registry  # noqa: E402
from auditor.scoring import area_table, common_failures  # noqa: E402
from sample_data.generate import synthetic_snapshot  # noqa: E402

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the evaluation to this file")
    args = parser.parse_args(argv)

    registry = Registry.from_entry_points()

    started = time.perf_counter()
    snapshots = [synthetic_snapshot(i, users=args.users, subscriptions=args.subscriptions)
                 for i in range(args.tenants)]
    gen_seconds = time.perf_counter() - started

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    results = evaluate(snapshots, registry, NOW)
    evaluated = time.perf_counter()
    areas = area_table(results)
    failures = common_failures(results)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)

    checks = sum(len(t.results) for t in results.tenants)
    print(f"{len(registry)} checks installed; evaluated {args.tenants} tenants of {args.users} users "
          f"in {evaluated - started:.2f} s, scored the portfolio in {seconds - (evaluated - started):.2f} s")
    print(f"area table {areas.shape[0]}x{areas.shape[1]}; most common failure: "
          f"{failures.iloc[0]['check_id'] if len(failures) else '-'}")
    print(f"gen_seconds={gen_seconds:.2f}")
    print(f"tenants={args.tenants} checks={checks} seconds={seconds:.2f} peak_rss_mb={peak_rss_mb():.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
