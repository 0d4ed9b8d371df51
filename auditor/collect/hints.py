"""The end-of-collection hints: section failures that share a cause and a fix, said once, in one line each.

A TLS-inspecting proxy with a private root CA makes every read of every tenant fail the same way; the
snapshots keep each section's reason (`TLS certificate verify failed: self-signed certificate in
certificate chain`), and the run summary says what to do about it once, not a thousand times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from auditor.collect.network import CERTIFICATE_MARKER
from auditor.snapshot import Section, SectionStatus, TenantSnapshot


@dataclass(frozen=True)
class _Kind:
    name: str
    markers: tuple[str, ...]
    advice: str  # "{tenants}" and "{example}" are filled in


_KINDS = (
    _Kind(
        "certificate",
        (CERTIFICATE_MARKER,),
        "hint: {tenants} tenant(s) failed TLS certificate verification ({example}): if a TLS-inspecting proxy "
        "sits between you and Microsoft, point SSL_CERT_FILE or [endpoints] ca_bundle at its root CA file "
        "(PEM) and collect again (docs/setup.md, 'Behind a TLS-inspecting proxy')",
    ),
    _Kind(
        "tls",
        ("TLS handshake failed",),
        "hint: {tenants} tenant(s) failed the TLS handshake ({example}): check the proxy between you and "
        "Microsoft (HTTPS_PROXY) and collect again",
    ),
    _Kind(
        "network",
        ("connection refused", "connection reset", "could not connect within", "host name not resolved",
         "closed the connection without answering", "the proxy refused"),
        "hint: {tenants} tenant(s) could not be reached ({example}): check the network path and proxy "
        "(HTTPS_PROXY) to the configured endpoints, then collect again",
    ),
    _Kind(
        "throttled",
        ("(Retry-After), longer than",),
        "hint: {tenants} tenant(s) stayed throttled longer than this tool waits ({example}): collect them "
        "again later, or with a lower --concurrency",
    ),
)


def _sections(snapshot: TenantSnapshot) -> Iterator[Section]:
    yield from snapshot.sections.values()
    for subscription in snapshot.azure_subscriptions:
        yield from subscription.sections.values()


def _kind_of(reason: str) -> _Kind | None:
    for kind in _KINDS:
        if any(marker in reason for marker in kind.markers):
            return kind
    return None


def _example(reason: str, kind: _Kind) -> str:
    """The reason from its marker on, one short clause: "TLS certificate verify failed: self-signed …"."""
    for marker in kind.markers:
        at = reason.find(marker)
        if at >= 0:
            start = reason.rfind("TLS ", 0, at + 1) if kind.name in ("certificate", "tls") else at
            clause = reason[start if start >= 0 else at:].split(";", 1)[0]
            return clause if len(clause) <= 120 else clause[:119] + "…"
    return reason


@dataclass
class CollectionHints:
    """Gathers hints tenant by tenant (a portfolio need not stay in memory); `lines()` says them."""

    _tenants: dict[str, set[str]] = field(default_factory=dict)  # kind name -> tenant ids
    _examples: dict[str, str] = field(default_factory=dict)  # kind name -> first example

    def add(self, snapshot: TenantSnapshot) -> None:
        for section in _sections(snapshot):
            if section.status is not SectionStatus.ERROR or not section.reason:
                continue
            kind = _kind_of(section.reason)
            if kind is not None:
                self._tenants.setdefault(kind.name, set()).add(snapshot.tenant.id)
                self._examples.setdefault(kind.name, _example(section.reason, kind))

    def lines(self) -> list[str]:
        """One line per cause seen, in a fixed order: the count of tenants, an example reason, the fix."""
        return [
            kind.advice.format(tenants=len(self._tenants[kind.name]), example=self._examples[kind.name])
            for kind in _KINDS
            if kind.name in self._tenants
        ]


def collection_hints(snapshots: Iterable[TenantSnapshot]) -> list[str]:
    """The hint lines for a set of collected snapshots (see CollectionHints)."""
    hints = CollectionHints()
    for snapshot in snapshots:
        hints.add(snapshot)
    return hints.lines()
