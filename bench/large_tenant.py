"""Large-tenant benchmark: one customer tenant of N users (default 100,000) through `auditor run`.

    python bench/large_tenant.py [--users 100000] [--keep DIR]

Builds a synthetic snapshot (sample_data.generate: a plausible tenant whose MFA registration gaps leave
tens of thousands of users in the evidence), writes it to a temporary folder, then runs
``auditor run --snapshots DIR --out OUT --db WORK/history.sqlite`` in a child process, as a partner would
(the run recorded in a fresh history). Prints one line of key=value figures:

    users=N snapshot_mb=<file size> evidence_rows=<largest finding> run_s=<wall time of auditor run>
    peak_rss_mb=<max RSS of the auditor process> xlsx_mb=.. scorecard_pages=.. exit=<auditor's exit code>

Target (issue 11): under 2 GB and a few minutes on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from auditor.snapshot import dump_snapshot  # noqa: E402
from sample_data.builder import build_snapshot  # noqa: E402
from sample_data.generate import synthetic_posture  # noqa: E402


def large_snapshot(users: int) -> str:
    """The JSON of one customer tenant of ``users`` users, 40 % of them not registered for MFA."""
    posture = synthetic_posture(7, users, 2, "customer")
    posture = replace(posture, mfa_registered=0.6, forbidden=(), security_defaults=False, policies=())
    return dump_snapshot(build_snapshot(posture))


def children_peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux (bytes on macOS); RUSAGE_CHILDREN is the largest waited-for child.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def pdf_pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(str(path)).pages) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the snapshot and the outputs in this folder")
    parser.add_argument("--timeout", type=float, default=3600, help="give up on auditor run after this many seconds")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-large-"))
    snapshots, out = work / "snapshots", work / "out"
    snapshots.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    snapshot_file = snapshots / "large.json"
    snapshot_file.write_text(large_snapshot(args.users), encoding="utf-8")
    gen_s = time.perf_counter() - started
    print(f"generated {snapshot_file} ({snapshot_file.stat().st_size / 1e6:.0f} MB) in {gen_s:.0f} s", flush=True)

    history = work / "history.sqlite"
    history.unlink(missing_ok=True)
    command = [sys.executable, "-m", "auditor.cli", "run", "--snapshots", str(snapshots), "--out", str(out),
               "--db", str(history)]
    started = time.perf_counter()
    try:
        code = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=args.timeout).returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
    run_s = time.perf_counter() - started
    evidence_rows = 0
    results_file = out / "results.json"
    if results_file.is_file():
        results = json.loads(results_file.read_text(encoding="utf-8"))
        evidence_rows = max((len(r["evidence"]) for t in results["tenants"] for r in t["results"]), default=0)
    xlsx = out / "results.xlsx"
    scorecards = sorted(out.glob("*/scorecard.pdf"))
    figures = {
        "users": args.users,
        "snapshot_mb": round(snapshot_file.stat().st_size / 1e6),
        "evidence_rows": evidence_rows,
        "run_s": round(run_s, 1),
        "peak_rss_mb": round(children_peak_rss_mb()),
        "xlsx_mb": round(xlsx.stat().st_size / 1e6, 1) if xlsx.is_file() else None,
        "scorecard_pages": pdf_pages(scorecards[0]) if scorecards else None,
        "exit": code,
    }
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
