"""Start-up benchmark: `auditor --help` against a bare interpreter (issue: start-up within 1.5 x `python -c
pass` + 0.1 s). Prints key=value figures: the median of N runs of each, the budget and the ratio.

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    auditor = shutil.which("auditor") or str(Path(sys.executable).with_name("auditor"))
    bare = median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_s = median_seconds([auditor, "--help"], args.runs)
    budget = 1.5 * bare + 0.1
    print(f"python_pass_s={bare:.3f} auditor_help_s={help_s:.3f} budget_s={budget:.3f} "
          f"ratio={help_s / bare:.1f} within_budget={'yes' if help_s <= budget else 'no'}")


if __name__ == "__main__":
    main()
