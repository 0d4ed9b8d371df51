"""Tuning knobs of a collection run that do not belong in tenants.toml (timeouts, retry bounds)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping


@dataclass(frozen=True)
class CollectOptions:
    timeout_s: float = 60.0  # one HTTP request, connect to last byte
    max_retries: int = 4  # per request or $batch item, on 429/503/504
    max_retry_wait_s: float = 60.0  # a longer Retry-After is cut to this
    backoff_s: float = 2.0  # wait before retry n is backoff_s * 2**(n-1) when no Retry-After is given
    batch_size: int = 20  # Graph's JSON $batch limit
    concurrency: int | None = None  # tenants collected at once; None uses the config's value
    subscription_concurrency: int = 8  # ARM requests in flight per tenant
    environ: Mapping[str, str] | None = None  # where secrets are read from; None is os.environ
    ca_bundle: str | None = None  # extra CA file for the login authority (the emulator's test certificate)


@lru_cache(maxsize=8)
def trust_store(ca_file: str | None = None) -> ssl.SSLContext:
    """One TLS context per CA file for the whole run. Loading the CA bundle costs ~20 ms of CPU, which per
    HTTP client would dominate a 1,000-tenant run; a trust store holds no credential, so sharing it keeps
    tenants' tokens and connections apart."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
