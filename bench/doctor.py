"""Benchmark: `auditor doctor` over N generated tenants served by the local emulator.

    python bench/doctor.py --tenants 100 --latency-ms 100

Issue 14 asks for "well under a minute for 100 tenants". Per tenant doctor sends one token request, one GET
per Graph section group (8), the subscription list and one GET per Azure role per subscription (2), all
tenants `concurrency` at a time. Ends with one line: tenants=… seconds=… requests_per_tenant=…
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collect import _factory, tenant_id  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    from auditor.collect.doctor import diagnose
    from auditor.collect.emulator import Emulator, EmulatorThread
    from auditor.config import AuditConfig, AuthConfig, TenantEntry

    with EmulatorThread(Emulator(factory=_factory(20), latency_ms=args.latency_ms)) as emulator:
        config = AuditConfig(
            tenants=[TenantEntry(id=tenant_id(i)) for i in range(args.tenants)], discover_customers=False,
            auth=AuthConfig(method="static_token"), endpoints=emulator.endpoints(), concurrency=args.concurrency,
        )
        started = time.perf_counter()
        rows = asyncio.run(diagnose(config, environ={"AUDITOR_STATIC_TOKEN": "tenant:{tenant}"}))
        seconds = time.perf_counter() - started
        requests = len(emulator.http_requests())
    reached = sum(r.reached for r in rows)
    print(f"tenants={args.tenants} reached={reached} seconds={seconds:.1f} "
          f"requests_per_tenant={requests / max(1, args.tenants):.1f} latency_ms={args.latency_ms:g}")


if __name__ == "__main__":
    main()
