"""Connection-level failures (no HTTP answer at all): their reason in words, and whether a retry may help.

httpx raises its own exception types (`httpx.ConnectError`, `httpx.ReadTimeout`, ...) with the socket's or
TLS library's exception as the cause; azure-core wraps aiohttp's the same way (`ServiceRequestError` from
`aiohttp.ClientConnectorCertificateError` from `ssl.SSLCertVerificationError`). The reason kept in a
snapshot is the innermost one, in the words OpenSSL and the OS use, for example
`TLS certificate verify failed: self-signed certificate in certificate chain`.
"""

from __future__ import annotations

import socket
import ssl
from typing import Iterator

import httpx

CERTIFICATE_MARKER = "certificate verify failed"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nested = getattr(current, "certificate_error", None) or getattr(current, "os_error", None)  # aiohttp
        if isinstance(nested, BaseException) and id(nested) not in seen:
            yield from _chain(nested)
        current = current.__cause__ or current.__context__


def os_level_reason(exc: BaseException) -> str | None:
    """The TLS or socket cause of a failed connection, in words; None when the chain holds none."""
    for cause in _chain(exc):
        detail = getattr(cause, "verify_message", None)  # aiohttp's wrapper is an SSLCertVerificationError too
        if isinstance(cause, ssl.SSLCertVerificationError) and detail:
            return f"TLS {CERTIFICATE_MARKER}: {detail}"
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS handshake failed: {getattr(cause, 'reason', None) or cause.__class__.__name__}"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(cause, socket.gaierror):
            return f"host name not resolved ({cause.strerror or cause})"
    for cause in _chain(exc):  # OpenSSL's words may only be in a wrapper's message (aiohttp, older httpx)
        text = str(cause)
        if CERTIFICATE_MARKER in text:
            tail = text.split(CERTIFICATE_MARKER, 1)[1].split("(_ssl.c", 1)[0].strip(" :')]")
            return f"TLS {CERTIFICATE_MARKER}: {tail}".rstrip(": ")
    return None


def connection_reason(exc: httpx.HTTPError, timeout_s: float) -> str:
    """Why a request got no HTTP answer, as a section reason (one line, no URL, no header)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {timeout_s:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s (timed out)"
    found = os_level_reason(exc)
    if found:
        return found
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without answering"
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy refused the connection ({exc})"
    return f"connection failed ({exc.__class__.__name__})"


def is_transient(exc: httpx.HTTPError) -> bool:
    """A failure a later attempt may not meet: a reset, a refusal, a timeout, a dropped connection. A TLS
    failure, an unknown host name or a proxy refusal is the same on every attempt, so it is not retried."""
    if isinstance(exc, httpx.TimeoutException):
        return True
    if not isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return False
    for cause in _chain(exc):
        if isinstance(cause, (ssl.SSLError, socket.gaierror)):
            return False
    return CERTIFICATE_MARKER not in str(exc)
