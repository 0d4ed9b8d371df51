"""The partner's context for a shard that does not audit the partner (`auditor run --shard K/N`).

Customer checks are judged against facts read from the partner tenant (auditor/partner_context.py). The
shard that holds the partner audits it; every other shard reads just the partner's few context sections
(its agent groups and GDAP relationships with their access assignments) so that all shards judge every
customer against the same context. The snapshot is written apart from the audited ones and never scored.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from auditor.collect.collector import Target, collect_tenant, snapshot_filename
from auditor.collect.options import CollectOptions
from auditor.config import AuditConfig
from auditor.partner_context import CONTEXT_SECTIONS
from auditor.snapshot import TenantKind, write_snapshot

CONTEXT_FOLDER = "partner-context"


def collect_partner_context(
    config: AuditConfig, out_dir: Path, *, now: datetime | None = None, options: CollectOptions | None = None
) -> Path | None:
    """Read the configured partner's context sections into out_dir/partner-context/<id>.json and return
    that path; None when the config names no partner. A partner that cannot be read still gets a file
    (its sections say why), so the context says "not read" rather than nothing."""
    if config.partner is None:
        return None
    target = Target(config.partner.id, config.partner.name, TenantKind.PARTNER, only=frozenset(CONTEXT_SECTIONS))
    run = asyncio.run(collect_tenant(target, config, options or CollectOptions(), now))
    folder = out_dir / CONTEXT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / snapshot_filename(target.id)
    assert run.snapshot is not None
    write_snapshot(path, run.snapshot)
    return path
