"""The TLS trust of a collection run: one `ssl.SSLContext`, shared by every client (token requests, Graph,
ARM), so a TLS-inspecting proxy's private root CA is trusted everywhere or nowhere.

Where trust comes from, in this order, all of them added to the public roots of `certifi`:

- `SSL_CERT_FILE` / `SSL_CERT_DIR`: OpenSSL's variables (Python's `ssl` module and httpx read them);
- `REQUESTS_CA_BUNDLE`: the variable of `requests` and the Azure CLI;
- `[endpoints] ca_bundle` in tenants.toml;
- `CollectOptions.ca_bundle` (tests, the benchmark).

Why one context built here rather than each library's own default: httpx ignores `SSL_CERT_FILE` as soon as
a context is passed (`httpx/_config.py`, `create_ssl_context`), aiohttp reads it only through OpenSSL's
defaults, and azure-core builds a new context from `connection_verify` on every request
(`azure/core/pipeline/transport/_aiohttp.py`, `_build_ssl_config`). Before this module the Graph and ARM
clients trusted certifi alone, so behind a TLS-inspecting proxy tokens succeeded and every read failed.

Additive, not a replacement: a proxy bundle that holds only the proxy's root still lets a host the proxy
does not inspect be verified against the public roots. Loading certifi costs ~20 ms of CPU, so a context is
built once per set of sources and shared; it holds no credential.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

# (variable, kind): kind "file" is a PEM bundle, "dir" an OpenSSL hashed certificate folder.
TRUST_VARIABLES: tuple[tuple[str, str], ...] = (
    ("SSL_CERT_FILE", "file"),
    ("SSL_CERT_DIR", "dir"),
    ("REQUESTS_CA_BUNDLE", "file"),
)
CONFIG_ORIGIN = "[endpoints] ca_bundle"


class TrustError(Exception):
    """A configured CA source cannot be used (missing, unreadable, no certificate); one line naming it."""


@dataclass(frozen=True)
class TrustSource:
    origin: str  # the variable or config key that named it
    kind: str  # "file" or "dir"
    path: str


def trust_sources(
    environ: Mapping[str, str] | None = None, ca_bundle: str | Path | None = None, extra: str | None = None
) -> tuple[TrustSource, ...]:
    """The CA sources a run trusts besides certifi, from the environment, the config and the options."""
    env = os.environ if environ is None else environ
    found = [TrustSource(name, kind, env[name]) for name, kind in TRUST_VARIABLES if env.get(name)]
    if ca_bundle:
        found.append(TrustSource(CONFIG_ORIGIN, "file", str(ca_bundle)))
    if extra:
        found.append(TrustSource("ca_bundle option", "file", extra))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=16)
def _context(sources: tuple[TrustSource, ...]) -> ssl.SSLContext:
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    for source in sources:
        path = Path(source.path)
        if source.kind == "dir" and not path.is_dir():
            raise TrustError(f"{source.origin} names {source.path}, which is not a folder")
        if source.kind == "file" and not path.is_file():
            raise TrustError(f"{source.origin} names {source.path}, which is not a file")
        try:
            if source.kind == "dir":
                context.load_verify_locations(capath=source.path)
            else:
                context.load_verify_locations(cafile=source.path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            detail = getattr(exc, "reason", None) or exc.__class__.__name__
            raise TrustError(
                f"{source.origin} names {source.path}, which holds no usable CA certificate (PEM expected; {detail})"
            ) from None
    return context


def trust_context(
    environ: Mapping[str, str] | None = None, ca_bundle: str | Path | None = None, extra: str | None = None
) -> ssl.SSLContext:
    """The run's shared TLS context: certifi's roots plus every source of `trust_sources`.

    Raises TrustError naming the variable or config key whose file is missing or holds no certificate.
    """
    return _context(trust_sources(environ, ca_bundle, extra))


def requests_session(context: ssl.SSLContext) -> Any:
    """A `requests.Session` whose HTTPS connections verify with `context` alone, for azure-identity's
    synchronous credentials (device code), which take `transport=RequestsTransport(session=...)`.

    requests otherwise loads certifi's file (or `verify=`'s one path) into each connection
    (`requests.adapters.HTTPAdapter.cert_verify`); the adapter below hands urllib3 the context instead
    (urllib3's `ssl_context` pool argument), also through a proxy.
    """
    import requests
    from requests.adapters import HTTPAdapter

    class TrustAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            proxy_kwargs["ssl_context"] = context
            return super().proxy_manager_for(proxy, **proxy_kwargs)

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            conn.cert_reqs = "CERT_REQUIRED"  # never CERT_NONE, never certifi's file instead of the context

        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
            # requests turns REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE into `verify=<path>`, which urllib3 would load
            # into the shared context itself; the context already holds what this run trusts.
            host, pool = super().build_connection_pool_key_attributes(request, True, cert)
            pool.pop("ca_certs", None)
            pool.pop("ca_cert_dir", None)
            pool["cert_reqs"] = "CERT_REQUIRED"
            return host, pool

    session = requests.Session()
    session.mount("https://", TrustAdapter())
    return session
