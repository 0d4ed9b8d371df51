"""Tenant references that cannot miss: a risk acceptance, an attestation or a ``--tenant`` filter may name a
tenant by id, by any verified or default domain, or by exact display name (compared without case). A
reference matching no tenant, or several, is an error naming the entry and the tenants it could mean: a
silently ignored acceptance would change a grade without anyone noticing.

Domains come from the snapshot's ``organization`` section (Graph ``verifiedDomains``, every ``name``) and the
tenant's default domain; names from the snapshot and the config's ``[partner]``/``[[tenants]]`` entries.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from auditor.config import AuditConfig
    from auditor.snapshot import TenantSnapshot

ALL_TENANTS = "*"


class TenantRefError(ValueError):
    """A reference that names no tenant, or several; the message names the candidates."""


@dataclass(frozen=True)
class KnownTenant:
    id: str
    display_name: str = ""
    domains: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        """Every lower-cased string that names this tenant."""
        return {key.strip().lower() for key in (self.id, self.display_name, *self.domains) if key and key.strip()}

    def matches(self, reference: str) -> bool:
        return reference.strip().lower() in self.keys()

    def __str__(self) -> str:
        return f"{self.display_name} ({self.id})" if self.display_name else self.id


def verified_domains(snapshot: "TenantSnapshot") -> list[str]:
    """The tenant's verified domain names (Graph organization ``verifiedDomains[].name``), default first;
    empty when the organization section was not read."""
    organization = snapshot.data_if_ok("organization")
    records = organization if isinstance(organization, list) else [organization] if isinstance(organization, dict) else []
    domains: list[str] = []
    for record in records:
        entries = (record or {}).get("verifiedDomains") or []
        for entry in sorted(entries, key=lambda d: not d.get("isDefault")):
            name = str(entry.get("name") or "").strip()
            if name and name.lower() not in {d.lower() for d in domains}:
                domains.append(name)
    return domains


def merge_known(tenants: Iterable[KnownTenant]) -> list[KnownTenant]:
    """One entry per tenant id (ids compared without case), names and domains pooled."""
    merged: dict[str, KnownTenant] = {}
    for tenant in tenants:
        key = tenant.id.strip().lower()
        before = merged.get(key)
        if before is None:
            merged[key] = tenant
            continue
        domains = tuple(dict.fromkeys([*before.domains, *tenant.domains]))
        merged[key] = KnownTenant(before.id, before.display_name or tenant.display_name, domains)
    return list(merged.values())


def known_tenants(snapshots: Iterable["TenantSnapshot"] = (), config: "AuditConfig | None" = None) -> list[KnownTenant]:
    """The tenants of a run: every snapshot's (id, name, default and verified domains) and every tenant the
    config lists (a tenant outside this run's group or shard is still known, so its entries stay valid)."""
    found = [
        KnownTenant(s.tenant.id, s.tenant.display_name,
                    tuple(dict.fromkeys(d for d in [s.tenant.default_domain, *verified_domains(s)] if d)))
        for s in snapshots
    ]
    if config is not None:
        if config.partner is not None:
            found.append(KnownTenant(config.partner.id, config.partner.name))
        found += [KnownTenant(entry.id, entry.name) for entry in config.tenants]
    return merge_known(found)


def resolve(reference: str, tenants: Iterable[KnownTenant], scope: str = "of this run") -> KnownTenant:
    """The one tenant ``reference`` names among ``tenants`` (``scope`` says where they come from in the
    message: "of this run", "in the history"). Raises TenantRefError when it names none (suggesting close
    names and domains) or several (listing them)."""
    tenants = list(tenants)
    matches = [t for t in tenants if t.matches(reference)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise several(reference, matches)
    by_key = {key: t for t in tenants for key in t.keys()}
    close = difflib.get_close_matches(reference.strip().lower(), list(by_key), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(str(by_key[key]) for key in close))
    hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else (
        f" (the tenants {scope}: {', '.join(str(t) for t in tenants[:5])}{', …' if len(tenants) > 5 else ''})"
        if tenants else " (there are none)")
    raise TenantRefError(f"{reference!r} matches no tenant {scope} by id, domain or name{hint}")


def several(reference: str, matches: Iterable[KnownTenant]) -> TenantRefError:
    """The error for a reference naming more than one tenant, listing them."""
    matches = list(matches)
    listed = ", ".join(str(t) for t in matches)
    return TenantRefError(f"{reference!r} names {len(matches)} tenants ({listed}); give the tenant id")


def bind_config(config: "AuditConfig", tenants: list[KnownTenant]) -> "AuditConfig":
    """A copy of ``config`` whose risk acceptances and attestations name tenants by id. Raises ConfigError
    (one line: file, line, entry, check, and what the reference could mean) for a reference that misses."""
    from auditor.config import ConfigError, entry_location

    update: dict[str, list] = {}
    for key in ("risk_acceptances", "attestations"):
        bound = []
        for index, entry in enumerate(getattr(config, key)):
            if entry.tenant == ALL_TENANTS:
                bound.append(entry)
                continue
            try:
                tenant = resolve(entry.tenant, tenants)
            except TenantRefError as exc:
                where = entry_location(config, key, index)
                raise ConfigError(f"{where} (check {entry.check}): tenant {exc}") from None
            copy = entry.model_copy(update={"tenant": tenant.id})
            copy._line = entry._line
            bound.append(copy)
        update[key] = bound
    bound_config = config.model_copy(update=update)
    bound_config._source = config._source
    return bound_config
