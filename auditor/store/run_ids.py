"""Run ids and labels: given with ``--run-id``, derived alike by every shard from ``--run-label``, or random."""

from __future__ import annotations

import hashlib
import re
import uuid

from auditor.store.base import StoreError

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
LABEL_MAX = 200  # the runs.label column; PostgreSQL enforces it, SQLite would not


def validate_run_id(run_id: str) -> str:
    if not RUN_ID_PATTERN.match(run_id):
        raise StoreError(
            f"run id {run_id!r}: use 1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
        )
    return run_id


def run_id_from_label(label: str) -> str:
    """A run id every shard derives alike from the same label: a readable slug plus a hash of the exact
    label, so "Q4 2026" and "q4-2026" stay distinct runs."""
    cleaned = label.strip()
    if not cleaned:
        raise StoreError("--run-label is empty")
    slug = re.sub(r"[^a-z0-9._]+", "-", cleaned.lower()).strip("-._")[:40].strip("-._") or "run"
    return f"{slug}-{hashlib.sha256(cleaned.encode('utf-8')).hexdigest()[:8]}"


def validate_label(label: str | None) -> str | None:
    if label is not None and len(label) > LABEL_MAX:
        raise StoreError(f"--run-label is longer than {LABEL_MAX} characters")
    return label


def resolve_run_id(run_id: str | None, run_label: str | None) -> tuple[str, str | None]:
    """(run id, label) for a new run: ``--run-id`` as given, else derived from ``--run-label``, else a
    random id (an unsharded run needs no coordination)."""
    label = validate_label(run_label.strip() if run_label and run_label.strip() else None)
    if run_id:
        return validate_run_id(run_id.strip()), label
    if label:
        return run_id_from_label(label), label
    return uuid.uuid4().hex[:12], None


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
