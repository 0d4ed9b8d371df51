"""Benchmark: a delegated (GDAP) collection of N generated customer tenants and their partner, through the
real azure-identity DeviceCodeCredential and MSAL against the local emulator.

    python bench/delegated.py --tenants 100 --latency-ms 100
    python bench/delegated.py --tenants 100 --latency-ms 100 --mode app    # the same tenants app-only

`--mode gdap` (default) is what `[auth] method = "gdap"` does: one simulated partner sign-in through the
emulator's device-code grant (`auditor login`, auditor.collect.delegated.sign_in), then the collection, in
which MSAL gets each tenant's Graph and ARM tokens with the partner user's refresh token (the refresh-token
grant) and the partner tenant also reads Partner Center (customers, webhook registration, one usage budget
per customer). `--mode app` collects the same tenants with a client secret (ClientSecretCredential), as
bench/collect.py does, so the two differ only in how tokens are got and in the delegated-only reads.

The emulator runs in its own process (tenants generated on demand with sample_data.generate), so this
process measures the collector, azure-identity and MSAL alone. Everything the sign-in leaves behind stays in
a temporary folder: HOME, XDG_CONFIG_HOME and LOCALAPPDATA point there (the AuthenticationRecord and
azure-identity's ~/.IdentityService), and azure-identity's persistence is pinned to a plain file in it, so
neither the user's real token cache nor their keyring (libsecret, Keychain) is ever read or written.

Per-tenant figures are per customer tenant, the partner's own reads included (what a customer costs a
run); `token_requests` leaves out the sign-in's one device-code grant (`login_token_requests`). Ends with one
line: tenants=… token_requests=… token_requests_per_tenant=… http_requests_per_tenant=… tenants_per_s=…
wall_s=… cpu_s_per_tenant=… peak_rss_mb=…

Measured on the shared 2-core machine (load average 2.6-3.0 from other work), 100 customers + the partner,
300 users each, 100 ms latency, concurrency 64; two runs each (login_s=0.2, login_token_requests=1):
  gdap: tenants=100 token_requests=102 token_requests_per_tenant=1.02 http_requests_per_tenant=13.4
        tenants_per_s=5.0 wall_s=20.1 cpu_s_per_tenant=0.0562 peak_rss_mb=258   (2nd: 19.2 s, 0.0540)
  app:  tenants=100 token_requests=202 token_requests_per_tenant=2.02 http_requests_per_tenant=11.4
        tenants_per_s=19.1 wall_s=5.2 cpu_s_per_tenant=0.0416 peak_rss_mb=261   (2nd: 7.5 s, 0.0436)
At 0 ms latency both take 9-10 s (the emulator and the collector share the two cores).
Reading the figures:
- Tokens: the emulator serves Graph and ARM at one address, so both ask for one scope; MSAL keeps one access
  token per tenant and scope, so one refresh-token grant per tenant, plus the partner's Partner Center scope
  (102 = 101 + 1). Against Microsoft's cloud Graph and ARM are two scopes: two grants per tenant. The
  app-only run gets two per tenant here already: ClientSecretCredential keeps CAE tokens (Graph asks for
  them) apart from the others (ARM).
- HTTP: +2.0 per customer delegated = each tenant's Entra diagnostic settings (101) and the partner's
  Partner Center reads: customers, webhook registration, one usage budget per customer (102).
- Time: the delegated run is bounded by its token lock. Every get_token of a sign-in goes one at a time
  (auditor.collect.delegated.TenantBoundCredential._locked_token: MSAL lost the account under concurrent
  refreshes of one persistent cache). Probed in one run (the lock timed by a wrapper): 629 get_token calls
  held it 14.2 s of an 18.8 s run: the 102 refreshes, a 100 ms round trip each (~10 s), and 527 silent
  cache hits (~4 s, ~8 ms each, MSAL's lookup through the persistent cache). So a delegated run costs at
  least one token round trip per tenant and scope in series: ~2 x N x latency against Microsoft's cloud.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collect import _factory, tenant_id  # noqa: E402

PARTNER_ID = "00000000-0000-4000-8000-0000000b0a11"  # outside bench.collect's customer range
CLIENT_ID = "00000000-0000-4000-8000-0000000000aa"
CLIENT_SECRET = "bench-secret"


def _partner_factory(users: int, customers: int) -> Callable[[str], Any]:
    """bench.collect's customers, plus a partner tenant whose Partner Center lists them (every third
    customer without an Azure usage budget: Partner Center answers 404 for those)."""
    from auditor.snapshot import Section
    from sample_data.generate import synthetic_snapshot

    customer = _factory(users)
    ids = [tenant_id(i) for i in range(customers)]

    def make(tenant: str) -> Any:
        if tenant.lower() != PARTNER_ID:
            return customer(tenant)
        snapshot = synthetic_snapshot(0, users=users, subscriptions=1, kind="partner")
        snapshot.tenant.id = PARTNER_ID
        snapshot.sections["partner_center_customers"] = Section.of([
            {"id": cid, "companyProfile": {"tenantId": cid, "domain": f"c{n}.onmicrosoft.com",
                                           "companyName": f"Bench tenant {n}"},
             "relationshipToPartner": "reseller", "attributes": {"objectType": "Customer"}}
            for n, cid in enumerate(ids)])
        snapshot.sections["partner_center_usage_budgets"] = Section.of(
            {cid: None if n % 3 == 2 else {"amount": 100 + n, "attributes": {"objectType": "SpendingBudget"}}
             for n, cid in enumerate(ids)})
        snapshot.sections["partner_center_webhook_registration"] = Section.of(
            {"WebhookUrl": "https://hooks.partner.example/pc", "WebhookEvents": ["azure-fraud-event-detected"]})
        return snapshot

    return make


def _serve(users: int, customers: int, latency_ms: float, mode: str, port_queue: Any) -> None:
    from auditor.collect.emulator import Emulator
    from auditor.collect.emulator_login import DelegatedLogin

    async def main() -> None:
        delegated = mode == "gdap"
        emulator = Emulator(
            factory=_partner_factory(users, customers), latency_ms=latency_ms, tls_authority=True,
            # A public client sends no secret: the delegated emulator answers device-code and refresh grants.
            client_secret=None if delegated else CLIENT_SECRET,
            delegated=DelegatedLogin(home_tenant=PARTNER_ID) if delegated else None,
        )
        await emulator.start()
        port_queue.put((emulator.port, emulator.authority_url, str(emulator.ca_path)))
        await asyncio.Event().wait()

    asyncio.run(main())


def _isolate(folder: Path) -> None:
    """Keep the sign-in's files in `folder` (this process only; the emulator's process is already running).

    HOME and XDG_CONFIG_HOME as tests/test_gdap.py sets them, LOCALAPPDATA for Windows; and azure-identity's
    persistence factory pinned to a plain file here, which also keeps MSAL out of the user's keyring."""
    import azure.identity._persistent_cache as persistent_cache
    import msal_extensions

    os.environ["HOME"] = str(folder)
    os.environ["XDG_CONFIG_HOME"] = str(folder / ".config")
    os.environ["LOCALAPPDATA"] = str(folder / "AppData" / "Local")
    cache_folder = folder / ".IdentityService"
    cache_folder.mkdir(mode=0o700)

    def plain_file(allow_unencrypted: bool, account_name: str, cache_name: str) -> Any:
        return msal_extensions.FilePersistence(str(cache_folder / cache_name))

    persistent_cache._get_persistence = plain_file  # private, azure-identity 1.x; fails loudly if renamed


def _stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/_emulator/stats", timeout=30) as response:
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100, help="customer tenants (the partner comes on top)")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--mode", choices=("gdap", "app"), default="gdap")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_serve, args=(args.users, args.tenants, args.latency_ms, args.mode, ports),
                             daemon=True)
    server.start()
    with tempfile.TemporaryDirectory(prefix="auditor-bench-gdap-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        _isolate(home)
        try:
            port, authority, ca_path = ports.get(timeout=60)
            figures = _run(args, f"http://127.0.0.1:{port}", authority, Path(ca_path), Path(scratch))
        finally:
            server.terminate()
            server.join(timeout=10)
        if args.mode == "gdap":  # the sign-in's cache went where it was told, and nowhere under the outputs
            assert any((home / ".IdentityService").iterdir()), "no token cache in the temporary HOME"
    print(" ".join(f"{k}={v}" for k, v in figures["detail"].items()))
    print(" ".join(f"{k}={v}" for k, v in figures["summary"].items()))


def _run(args: argparse.Namespace, base: str, authority: str, ca_path: Path, scratch: Path) -> dict[str, dict]:
    from auditor.collect import CollectOptions, collect_all_async
    from auditor.config import AuditConfig, AuthConfig, Endpoints, PartnerEntry, TenantEntry

    gdap = args.mode == "gdap"
    auth = (AuthConfig(method="gdap", client_id=CLIENT_ID, allow_unencrypted_token_cache=True,
                       token_cache_name="auditor-bench-cache")
            if gdap else AuthConfig(method="client_secret", client_id=CLIENT_ID))
    config = AuditConfig(
        partner=PartnerEntry(id=PARTNER_ID, name="Bench partner"),
        tenants=[TenantEntry(id=tenant_id(i), name=f"Bench tenant {i}") for i in range(args.tenants)],
        auth=auth, discover_customers=False,
        endpoints=Endpoints(graph=base, arm=base, authority=authority, partner_center=base, ca_bundle=ca_path),
    )
    login_s, login_grants = 0.0, 0
    if gdap:
        from auditor.collect.delegated import sign_in
        from auditor.collect.trust import trust_context

        started = time.perf_counter()
        trust = trust_context(None, config.endpoints.ca_bundle)
        sign_in(config.auth, config.endpoints, trust, f"{base}/.default", prompt=lambda *shown: None)
        login_s = time.perf_counter() - started
        login_grants = _stats(base)["token_requests"]
    options = CollectOptions(concurrency=args.concurrency, environ={**os.environ, "AUDITOR_CLIENT_SECRET": CLIENT_SECRET})
    out = scratch / "out"
    out.mkdir()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    runs = asyncio.run(collect_all_async(config, out, options=options, keep_snapshots=False))
    wall = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats = _stats(base)
    failed = sum(1 for r in runs if r.failed_whole or r.errors)
    n = args.tenants
    tokens = stats["token_requests"] - login_grants
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return {
        "detail": {"mode": args.mode, "login_s": f"{login_s:.1f}", "login_token_requests": login_grants,
                   "http_requests": stats["http_requests"], "batch_items": stats["batch_items"],
                   "writes": stats["writes"], "tenants_with_errors": failed, "collected": len(runs)},
        "summary": {"tenants": n, "token_requests": tokens, "token_requests_per_tenant": f"{tokens / n:.2f}",
                    "http_requests_per_tenant": f"{stats['http_requests'] / n:.1f}",
                    "tenants_per_s": f"{n / wall:.1f}", "wall_s": f"{wall:.1f}",
                    "cpu_s_per_tenant": f"{cpu / n:.4f}",
                    "peak_rss_mb": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"},
    }


if __name__ == "__main__":
    main()
