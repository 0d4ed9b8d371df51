"""Tuning knobs of a collection run that do not belong in tenants.toml (timeouts, retry bounds, paging
guards, concurrency)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

# The longest Retry-After honoured. Microsoft Graph's throttling guidance is to wait the Retry-After it
# sends (learn.microsoft.com/graph/throttling, "Best practices to handle throttling"); answers seen in
# practice run from seconds to a few minutes. Five minutes covers those; a longer demand ends the section
# as an error that names it, rather than a wait that stalls a portfolio run for an unknown time.
RETRY_AFTER_CEILING_S = 300.0


@dataclass(frozen=True)
class CollectOptions:
    timeout_s: float = 60.0  # one HTTP request, connect to last byte
    # Retries per request or $batch item: on 429/503/504, and on connection failures (reset, refused,
    # timed out). TLS failures and unknown host names are never retried: they answer the same every time.
    max_retries: int = 4
    max_retry_wait_s: float = RETRY_AFTER_CEILING_S  # a longer Retry-After gives up, with the reason
    backoff_s: float = 2.0  # wait before retry n is backoff_s * 2**(n-1) when no Retry-After is given
    batch_size: int = 20  # Graph's JSON $batch limit
    concurrency: int | None = None  # tenants collected at once (in all processes); None uses the config's value
    # Worker processes the tenants are spread over (auditor/collect/pool.py); 1 collects in this process.
    # `auditor collect` passes the CPU count.
    jobs: int = 1
    subscription_concurrency: int = 8  # ARM requests in flight per tenant
    # Graph HTTP requests ($batch or single) in flight per tenant. Graph throttles per app per tenant and
    # counts every request inside a $batch (learn.microsoft.com/graph/throttling), so 2,000 role holders
    # must not become 100 simultaneous $batch requests.
    graph_concurrency: int = 4
    # Keep-alive connections per host (Graph, ARM, the login authority) in one process's shared pool
    # (auditor/collect/connections.py). A request waits for a free one when all are busy: at 100 ms latency
    # 32 tenants in flight per process keep ~25 requests in flight per host, so this rarely queues.
    connections_per_host: int = 48
    # Pages of one list before it is taken as endless (an error): 10,000 pages of 999 users is ten million.
    max_pages: int = 10_000
    environ: Mapping[str, str] | None = None  # secrets and trust variables are read from here; None: os.environ
    ca_bundle: str | None = None  # one more CA file every client trusts (tests, the benchmark)
