"""Benchmark: collect N generated tenants from the local emulator through the real collector stack.

    python bench/collect.py --tenants 1000 --users 300 --latency-ms 100

The emulator runs in its own process (it generates each tenant on demand with
sample_data.generate.synthetic_snapshot), so this process measures the collector alone. Ends with one line:
tenants=… requests_per_tenant=… tenants_per_s=… cpu_s_per_tenant=… peak_rss_mb=…
Targets (DESIGN/issues 4 and 13): ≤ 14 requests per 300-user tenant with one subscription, tokens included
(2 tokens, 2 or 3 Graph $batch rounds, the beta sign-ins, 3 Azure Resource Graph queries of which the first
also lists the subscriptions, and the subscription's 5 lists: Defender contacts and pricings, budgets, cost
alerts, diagnostic settings); each further subscription adds those 5 GETs; 1,000 tenants at 100 ms latency in
under 2 minutes on a 2-core machine. Measured on the shared 2-core machine (load average 4-5 from other
work): before issue 13, 9.1 requests per tenant and 83 s for 1,000 tenants; with issue 13 alone, 13.2 and
101 s; with the wave-2 Graph checks merged in (their beta sign-ins and per-user signInActivity), 14.2 before
Resource Graph listed the subscriptions, 13.2 after, 118.5 s for 1,000 tenants.

Issue 16 (collection using both cores): `--jobs` worker processes (default: the CPU count, as `auditor
collect`); cpu_s_per_tenant counts the workers (waited for) and this process, not the emulator, whose own
share is printed apart (emulator_cpu_s_per_tenant, ~0.020: on a 2-core machine it takes part of the second
core). Same machine, same load (average 2-3 from other work), before and after run in turns:
  --tenants 200:  before 13.3 requests, 12.8-18.0 tenants/s, 0.048-0.053 s CPU, 263-269 MB;
                  after  13.3 requests, 18.1-20.5 tenants/s, 0.035-0.039 s CPU, 167-172 MB (largest process;
                  --jobs 1: 16.8-27.8 tenants/s, 0.029-0.037 s CPU, 290-309 MB).
  --tenants 1000: before 13.2 requests, 78.7 s (12.7 tenants/s), 0.060 s CPU, 271 MB;
                  after  13.2 requests, 48.9 s (20.5 tenants/s), 0.038 s CPU, 191 MB.
Where the CPU went: JSON (orjson now, auditor/jsonfast.py), the cyclic garbage collector walking every
in-flight tenant's parsed answers (thresholds raised while collecting, auditor/collect/pool.py), and, where
sniffio is not installed, httpcore's import of it retried ~75 times per tenant (~15 ms; now a dependency).
What was left was mostly the HTTP stack (httpx, httpcore, anyio, h11: ~35 %) and ~9 new connections per
tenant, through two stacks: azure-identity's token requests over aiohttp (azure-core's AioHttpTransport,
one session and one TLS handshake per tenant), Graph (msgraph-sdk/kiota) and ARM over httpx/httpcore, each
client with its own pool (one httpcore pool shared by a process's tenants was tried: it scans its
connections linearly, 3-4x the CPU).

Second step (auditor/collect/connections.py): every request of a worker's tenants (tokens, Graph, ARM) goes
through one aiohttp session, a bounded keep-alive pool (48 connections per host) with a compiled HTTP
parser; msgraph-sdk keeps its httpx client and middleware, with an httpx transport over that pool; ARM
sends straight through it; a tenant's tokens are kept for the SDK's per-request asks (MSAL's cache was
looked up ~10 times per tenant); the proxy variables are looked up once per host (aiohttp's trust_env did it,
with ~/.netrc, in a thread per request). Same requests (13.2 per tenant, the same request lines) and
byte-identical snapshots (30-40 bench tenants collected before and after with a fixed time, `diff -r`).
`connections` (the emulator's count) went from ~9 per tenant to 161 for the whole run. 1,000 tenants,
before (main) and after run in turns; another job held one of the two cores at 100 % all along (load
average 2-6.5), so the collector and the emulator had about one core between them:
  before 13.2 requests, 17.6-21.1 tenants/s (47.5-57.0 s), 0.032-0.038 s CPU, 184-193 MB;
  after, the pool alone: 13.2 requests, 23.6-26.8 tenants/s (37.3-42.4 s), 0.025-0.027 s CPU, 162 MB;
  after, all of it: 13.2 requests, 22.0-23.1 tenants/s (43.3-45.4 s), 0.020-0.022 s CPU, 159-160 MB
  (the before runs of those turns: 18.6-20.3 tenants/s, 0.035-0.038 s CPU).
With the machine otherwise idle (load average ~1 before the run), the pool alone: 28.9 tenants/s (34.6 s),
0.027 s CPU; 200 tenants 29.8 tenants/s. All of it, machine idle (load average 1.7, the lead's run after
the merge): tenants=1000 requests_per_tenant=13.2 tenants_per_s=35.5 (28.2 s) cpu_s_per_tenant=0.0182
peak_rss_mb=157 connections=161 emulator_cpu_s_per_tenant=0.0153: 2.8x the issue's 12.7 tenants/s. Throughput follows the free CPU: the collector (~0.021 s) and the
emulator (~0.016 s, down from ~0.020 as it no longer accepts ~9 connections per tenant) share the cores.
What is left (cProfile of one worker, 200 tenants): orjson parsing the answers (~12 % of the CPU), aiohttp
(~12 %), httpx and kiota's middleware around each Graph request (~10 %), socket calls, azure-identity's two
token requests per tenant, pydantic building the snapshot; no single part left to remove.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TENANT_PREFIX = "00000000-0000-4000-8000-"


def tenant_id(index: int) -> str:
    return f"{TENANT_PREFIX}{index:012d}"


def _factory(users: int):
    from sample_data.generate import synthetic_snapshot

    def make(tenant: str):
        if not tenant.startswith(TENANT_PREFIX):
            return None
        snapshot = synthetic_snapshot(int(tenant[len(TENANT_PREFIX):]), users=users, subscriptions=1)
        snapshot.tenant.id = tenant  # the benchmark's ids, so the config can name them without generating
        return snapshot

    return make


def _serve(users: int, latency_ms: float, auth: str, port_queue) -> None:
    from auditor.collect.emulator import Emulator

    async def main() -> None:
        emulator = Emulator(factory=_factory(users), latency_ms=latency_ms, tls_authority=auth == "secret",
                            client_secret="bench-secret" if auth == "secret" else None)
        await emulator.start()
        port_queue.put((emulator.port, emulator.authority_url, str(emulator.ca_path or "")))
        await asyncio.Event().wait()

    asyncio.run(main())


def _cpu_seconds() -> float:
    """CPU of this process and of its waited-for children (the collection's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=64, help="tenants at once, in all worker processes")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the CPU count, as "
                        "`auditor collect`; 1: in this process)")
    parser.add_argument("--auth", choices=("token", "secret"), default="secret",
                        help="secret: azure-identity ClientSecretCredential against the emulated authority")
    args = parser.parse_args()

    from auditor.cli_common import default_jobs
    from auditor.collect import CollectOptions, collect_all_async
    from auditor.config import AuditConfig, AuthConfig, Endpoints, TenantEntry

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_serve, args=(args.users, args.latency_ms, args.auth, ports), daemon=True)
    server.start()
    try:
        port, authority, ca_path = ports.get(timeout=60)
        base = f"http://127.0.0.1:{port}"
        config = AuditConfig(
            tenants=[TenantEntry(id=tenant_id(i), name=f"Bench tenant {i}") for i in range(args.tenants)],
            auth=AuthConfig(method="client_secret" if args.auth == "secret" else "static_token",
                            client_id="00000000-0000-4000-8000-0000000000aa" if args.auth == "secret" else ""),
            endpoints=Endpoints(graph=base, arm=base, authority=authority),
            discover_customers=False,
        )
        jobs = args.jobs or default_jobs()
        options = CollectOptions(
            concurrency=args.concurrency, ca_bundle=ca_path or None, jobs=jobs,
            environ={"AUDITOR_CLIENT_SECRET": "bench-secret", "AUDITOR_STATIC_TOKEN": "tenant:{tenant}"},
        )
        with tempfile.TemporaryDirectory(prefix="auditor-bench-") as out:
            # The workers' CPU counts too: they are waited for (RUSAGE_CHILDREN) before the second reading;
            # the emulator, also a child, is waited for only after it.
            cpu0 = _cpu_seconds()
            started = time.perf_counter()
            runs = asyncio.run(collect_all_async(config, Path(out), options=options, keep_snapshots=False))
            wall = time.perf_counter() - started
            cpu1 = _cpu_seconds()
            worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with urllib.request.urlopen(f"{base}/_emulator/stats", timeout=30) as response:
            stats = json.load(response)
    finally:
        server.terminate()
        server.join(timeout=10)
    emulator_cpu = _cpu_seconds() - cpu1  # the emulator, now waited for: it shares the machine's cores
    failed = sum(1 for r in runs if r.failed_whole or r.errors)
    cpu = cpu1 - cpu0
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    requests = stats["http_requests"] + stats["token_requests"]
    print(f"wall_s={wall:.1f} http_requests={stats['http_requests']} token_requests={stats['token_requests']} "
          f"connections={stats.get('connections', 'uncounted')} "
          f"batch_items={stats['batch_items']} writes={stats['writes']} tenants_with_errors={failed} jobs={jobs} "
          f"emulator_cpu_s_per_tenant={emulator_cpu / args.tenants:.4f} parent_rss_mb={own_rss:.0f} largest_worker_rss_mb={worker_rss if jobs > 1 else 0:.0f}")
    print(
        f"tenants={args.tenants} requests_per_tenant={requests / args.tenants:.1f} "
        f"tenants_per_s={args.tenants / wall:.1f} cpu_s_per_tenant={cpu / args.tenants:.4f} "
        f"peak_rss_mb={max(own_rss, worker_rss if jobs > 1 else 0):.0f}"
    )


if __name__ == "__main__":
    main()
