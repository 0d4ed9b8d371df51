"""Which tenants a run or a report covers: a tag group (``--group TAG``) and a shard (``--shard K/N``).

A shard is chosen by a hash of the tenant id, never by list position, so adding or removing a tenant
moves only that tenant, and N machines given the same tenant list (in any order) split it without
overlap or gap. K is 1-based (1/4 … 4/4), like Playwright's and Jest's ``--shard``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING, Iterable, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from auditor.config import AuditConfig
    from auditor.results import AuditResults


class SelectionError(ValueError):
    """A bad --group or --shard value, or a selection that matches nothing; one line for the user."""


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, tenant_id: str) -> bool:
        return in_shard(tenant_id, self.index, self.count)


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text or "")
    if not match:
        raise SelectionError(f"--shard must look like K/N, for example 2/4 (got {text!r})")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise SelectionError(f"--shard {text}: N must be at least 1")
    if not 1 <= index <= count:
        raise SelectionError(f"--shard {text}: K must be between 1 and {count} (shards are numbered from 1)")
    return Shard(index, count)


def shard_of(tenant_id: str, count: int) -> int:
    """The 1-based shard holding ``tenant_id`` among ``count``. Tenant ids are GUIDs, which Microsoft
    treats case-insensitively, so the hash is taken of the lower-cased id."""
    digest = hashlib.sha256(tenant_id.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(tenant_id: str, k: int, n: int) -> bool:
    if n < 1 or not 1 <= k <= n:
        raise SelectionError(f"shard {k}/{n} is out of range (K must be between 1 and N)")
    return shard_of(tenant_id, n) == k


# --- groups --------------------------------------------------------------------------------------------


def tenant_id_of(item: object) -> str:
    """The tenant id of a snapshot (``.tenant.id``), a result (``.tenant_id``) or a config entry (``.id``)."""
    tenant = getattr(item, "tenant", None)
    if tenant is not None and hasattr(tenant, "id"):
        return str(tenant.id)
    for attribute in ("tenant_id", "id"):
        value = getattr(item, attribute, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"{type(item).__name__} has no tenant id")


def tags_of(item: object, config: "AuditConfig | None" = None) -> list[str]:
    """The tags of a tenant as the evaluation sees them: the config's tags win over the snapshot's own
    (the same rule auditor.evaluate uses), so a run and a report select the same tenants."""
    if config is not None:
        configured = config.tags_of(tenant_id_of(item))
        if configured:
            return list(configured)
    tenant = getattr(item, "tenant", None)
    tags = getattr(tenant, "tags", None) if tenant is not None else getattr(item, "tags", None)
    return list(tags or [])


T = TypeVar("T")


def filter_group(items: Iterable[T], tag: str | None, config: "AuditConfig | None" = None) -> list[T]:
    """The items (snapshots, tenant results or config entries) carrying ``tag``, compared without case;
    all of them when ``tag`` is None. An empty result is an error naming the tags in use, since a group
    that matches nothing is nearly always a typo."""
    items = list(items)
    if tag is None:
        return items
    wanted = tag.strip().lower()
    if not wanted:
        raise SelectionError("--group needs a tag name")
    chosen = [item for item in items if wanted in {t.lower() for t in tags_of(item, config)}]
    if not chosen:
        in_use = sorted({t for item in items for t in tags_of(item, config)}, key=str.lower)
        known = ", ".join(in_use) if in_use else "none"
        raise SelectionError(f"no tenant carries the tag {tag!r} (tags in use: {known})")
    return chosen


def filter_shard(items: Iterable[T], shard: Shard | None) -> list[T]:
    """The items in ``shard`` (all of them when None). An empty shard is not an error: with few tenants
    and many machines some shards are legitimately empty."""
    items = list(items)
    if shard is None:
        return items
    return [item for item in items if shard.contains(tenant_id_of(item))]


def select(
    items: Iterable[T],
    group: str | None = None,
    shard: Shard | str | None = None,
    config: "AuditConfig | None" = None,
) -> list[T]:
    """Group first, then shard, so every machine of a sharded group run agrees on the group."""
    if isinstance(shard, str):
        shard = parse_shard(shard)
    return filter_shard(filter_group(items, group, config), shard)


def select_results(results: "AuditResults", group: str | None) -> "AuditResults":
    """A copy of ``results`` holding only the tenants tagged ``group`` (for ``auditor report --group``)."""
    if group is None:
        return results
    return results.model_copy(update={"tenants": filter_group(results.tenants, group)})


@dataclass(frozen=True)
class Selected:
    """The snapshots a run audits, and the file each came from (for the history's path and SHA-256)."""

    snapshots: list  # list[TenantSnapshot]: outlines of the customers (auditor.snapshot.outline), the partner whole
    files: dict[str, "Path"]  # tenant id -> snapshot file
    # The partner's snapshot when the folder holds one, chosen or not: a shard or group that leaves the
    # partner out still judges its customers against the partner's context (auditor/partner_context.py).
    partner: Any = None
    outlined: frozenset[str] = frozenset()  # ids of the tenants whose snapshot here is an outline

    def whole(self, snapshot: Any) -> Any:
        """The complete snapshot of one of ``snapshots``: an outline is read again from its file (for the
        time it is evaluated), anything else is returned as it is. Raises SnapshotError like the first read."""
        from auditor.snapshot import load_snapshot

        if snapshot.tenant.id not in self.outlined:
            return snapshot
        return load_snapshot(self.files[snapshot.tenant.id])


def load_selected(
    paths: "list[Path]",
    group: str | None = None,
    shard: Shard | str | None = None,
    config: "AuditConfig | None" = None,
) -> Selected:
    """Load the snapshot files under ``paths`` and keep the group's and shard's tenants. Raises
    SnapshotError for an unreadable file or for two files of one tenant (which one to audit would be a
    guess), and SelectionError for a bad or empty group."""
    from auditor.snapshot import SnapshotError, load_snapshot, snapshot_files

    # Customers are kept as outlines (statuses, no bulk data) and read again one at a time when evaluated:
    # a thousand 300-user snapshots held at once took 2 GB. The partner stays whole: its context is read
    # for every customer.
    loaded = [(path, _light(load_snapshot(path))) for path in snapshot_files(paths)]
    if not loaded:
        raise SnapshotError(f"no snapshot files found in {', '.join(str(p) for p in paths)}")
    by_tenant: dict[str, Path] = {}
    for path, snapshot in loaded:
        # Tenant ids are GUIDs, compared without case (as Microsoft Entra does).
        if snapshot.tenant.id.lower() in by_tenant:
            raise SnapshotError(f"tenant {snapshot.tenant.id} is in two snapshot files: {by_tenant[snapshot.tenant.id.lower()]} and {path}")
        by_tenant[snapshot.tenant.id.lower()] = path
    chosen = select([snapshot for _, snapshot in loaded], group, shard, config)
    partner = next((s for _, s in loaded if s.tenant.kind.value == "partner"), None)
    outlined = frozenset(s.tenant.id for _, s in loaded if not _kept_whole(s))
    return Selected(chosen, {s.tenant.id: by_tenant[s.tenant.id.lower()] for s in chosen}, partner, outlined)


def _kept_whole(snapshot: Any) -> bool:
    """The partner's snapshot stays whole: its context is read for every customer."""
    return snapshot.tenant.kind.value == "partner"


def _light(snapshot: Any) -> Any:
    from auditor.snapshot import outline

    return snapshot if _kept_whole(snapshot) else outline(snapshot)
