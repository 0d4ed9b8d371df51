"""Render benchmark: N scorecards (HTML + PDF) and the portfolio, in J processes.

    python bench/render.py --tenants 200 --jobs 2

The tenants are the bundled sample portfolio, evaluated once and repeated (with new ids and names) up to N,
so each scorecard has realistic content. Prints one line per run and ends with one line of key=value
figures: tenants, jobs, pdf_s_median, pdf_s_max, html_s_median, pages, portfolio_pages, total_s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.results import AuditResults  # noqa: E402


def sample_results() -> AuditResults:
    from auditor.config import load_config
    from auditor.evaluate import evaluate
    from auditor.registry import Registry
    from auditor.samples import sample_config_path, sample_snapshots_dir
    from auditor.snapshot import load_snapshots

    config = load_config(sample_config_path())
    snapshots = load_snapshots([sample_snapshots_dir()])
    return evaluate(snapshots, Registry.from_entry_points(), datetime.now(timezone.utc), config)


def grow(results: AuditResults, count: int) -> AuditResults:
    """The sample's customers repeated up to ``count`` tenants (the partner once)."""
    partner = [t for t in results.tenants if t.kind == "partner"]
    customers = [t for t in results.tenants if t.kind != "partner"]
    tenants = list(partner[:1])
    index = 0
    while len(tenants) < count:
        base = customers[index % len(customers)]
        copy = index // len(customers)
        suffix = f" {copy + 1}" if copy else ""
        tenants.append(base.model_copy(update={
            "tenant_id": f"{index:08x}-0000-4000-8000-{index:012x}",
            "display_name": base.display_name + suffix,
        }))
        index += 1
    return results.model_copy(update={"tenants": tenants[:count]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--paper", default="A4")
    parser.add_argument("--out", type=Path, default=None, help="keep the reports here (default: a temporary folder)")
    args = parser.parse_args()

    from auditor.config import load_config
    from auditor.report import render_all
    from auditor.samples import sample_config_path

    results = grow(sample_results(), args.tenants)
    branding = load_config(sample_config_path()).branding
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-render-"))
    started = time.perf_counter()
    written = render_all(results, out, branding, paper=args.paper, jobs=args.jobs)
    total = time.perf_counter() - started
    scorecards = [w for w in written if w.label != "portfolio"]
    portfolio = [w for w in written if w.label == "portfolio"]
    for item in written:
        print(f"{item.label[:40]:40} pages={item.pages:3d} html_s={item.html_seconds:.3f} pdf_s={item.pdf_seconds:.3f}")
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    pdf = [w.pdf_seconds for w in scorecards]
    html = [w.html_seconds for w in scorecards]
    print(
        f"tenants={len(scorecards)} jobs={args.jobs} pdf_s_median={statistics.median(pdf):.3f} "
        f"pdf_s_max={max(pdf):.3f} html_s_median={statistics.median(html):.3f} "
        f"pages={sum(w.pages for w in scorecards)} portfolio_pages={sum(w.pages for w in portfolio)} total_s={total:.1f}"
    )


if __name__ == "__main__":
    main()
