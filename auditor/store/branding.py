"""The branding a run's reports were rendered with, as the history keeps it, so ``auditor report --run``
gives the same reports a quarter later.

Decision: the history keeps the logo's bytes, not only its path. A partner's logo file moves, is replaced
by next year's design or lives on a laptop that is gone; a re-rendered audit must still carry the logo the
customer saw. The bytes are stored once per distinct logo (the ``logos`` table, by SHA-256), so a nightly
run costs a 64-character reference. The path is kept too, so a re-render can say when the file it came
from has gone or changed. Nothing secret is in a branding block (a name, a colour, a footer, a path).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select

from auditor.safe_text import storable_value
from auditor.store.base import StoreError, now, reads, to_db
from auditor.store.tables import logos_table, runs_table

if TYPE_CHECKING:
    from auditor.config import Branding


@dataclass(frozen=True)
class RecordedBranding:
    """The ``[branding]`` block a run applied: its texts and colour, and the logo file's path and SHA-256
    when it had one (``logo`` holds the bytes; None when the history has lost them)."""

    partner_name: str = ""
    primary_color: str = "#1f4e79"
    footer_text: str = ""
    logo_path: str | None = None
    logo_sha256: str | None = None
    logo: bytes | None = field(default=None, repr=False, compare=False)

    def block(self) -> dict[str, Any]:
        """The JSON kept in ``runs.branding`` (the bytes go to the logos table)."""
        data = dataclasses.asdict(self)
        data.pop("logo")
        return storable_value(data)


def branding_record(branding: "Branding | None") -> RecordedBranding:
    """What to record for ``branding`` (None: the defaults); the logo file is read here, once.
    Raises StoreError when the logo cannot be read (it was validated moments before)."""
    from auditor.config import Branding

    branding = branding or Branding()
    logo_path = logo = digest = None
    if branding.logo is not None:
        path = Path(branding.logo).resolve()
        try:
            logo = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"branding.logo {path}: cannot read: {exc.strerror or exc}") from None
        logo_path, digest = str(path), hashlib.sha256(logo).hexdigest()
    return RecordedBranding(
        partner_name=branding.partner_name,
        primary_color=branding.primary_color,
        footer_text=branding.footer_text,
        logo_path=logo_path,
        logo_sha256=digest,
        logo=logo,
    )


def store_logo(conn: Connection, branding: RecordedBranding) -> None:
    """Keep the logo's bytes under their SHA-256. The no-op update on a logo already kept locks its row
    (PostgreSQL), so a run being deleted at the same moment cannot drop the logo this run refers to."""
    if branding.logo is None or branding.logo_sha256 is None:
        return
    from auditor.store.write import insert_for

    logos = logos_table
    statement = insert_for(conn, logos).values(sha256=branding.logo_sha256, data=branding.logo, recorded_at=to_db(now()))
    conn.execute(statement.on_conflict_do_update(index_elements=[logos.c.sha256], set_={"sha256": logos.c.sha256}))


def drop_logo_if_unused(conn: Connection, sha256: str | None) -> None:
    """Delete a logo no run refers to any more: lock its row first, then look for a run in a statement
    of its own, which sees any run committed while this one waited for the lock."""
    if not sha256:
        return
    logos, runs = logos_table, runs_table
    if conn.execute(select(logos.c.sha256).where(logos.c.sha256 == sha256).with_for_update()).first() is None:
        return
    if conn.execute(select(runs.c.id).where(runs.c.logo_sha256 == sha256).limit(1)).first() is None:
        conn.execute(logos.delete().where(logos.c.sha256 == sha256))


@reads
def run_branding(engine: Engine, run_id: str) -> RecordedBranding | None:
    """The branding run ``run_id`` was recorded with, its logo's bytes included; None for a run recorded
    before schema version 4 (which kept no branding). A logo whose bytes are missing from the history
    reads back with ``logo=None`` and its SHA-256 kept, so the caller can say so."""
    from pydantic import TypeAdapter

    runs, logos = runs_table, logos_table
    with engine.connect() as conn:
        row = conn.execute(select(runs.c.branding, runs.c.logo_sha256).where(runs.c.id == run_id)).first()
        if row is None:
            raise StoreError(f"no run {run_id!r} in the history (see auditor history)")
        if row.branding is None:
            return None
        data = None
        if row.logo_sha256:
            data = conn.execute(select(logos.c.data).where(logos.c.sha256 == row.logo_sha256)).scalar()
    block = {key: value for key, value in dict(row.branding).items() if key != "logo"}
    recorded = TypeAdapter(RecordedBranding).validate_python({**block, "logo_sha256": row.logo_sha256, "logo": data})
    if data is not None and hashlib.sha256(data).hexdigest() != recorded.logo_sha256:
        raise StoreError(f"run {run_id}: the logo kept in the history does not match its SHA-256 (was the "
                         "database changed outside the tool?)")
    return recorded


def branding_for_render(recorded: RecordedBranding | None, run_id: str, folder: Path) -> tuple["Branding", list[str]]:
    """The config Branding that re-renders run ``run_id`` as it was, its logo written into ``folder`` (a
    temporary folder the caller keeps until rendering is done), and one line per thing the caller should
    tell the user: branding the run did not record, a logo file gone or changed since, a logo the
    history lost (the reports then show the placeholder logo)."""
    from auditor.config import Branding

    if recorded is None:
        return Branding(), [f"note: run {run_id} was recorded before runs kept their branding; the reports use the "
                            "default branding (give --config to apply yours)"]
    notes: list[str] = []
    logo: Path | None = None
    if recorded.logo_sha256 is not None:
        name = Path(recorded.logo_path or "logo").name or "logo"
        if recorded.logo is None:
            notes.append(f"warning: the logo of run {run_id} ({name}, SHA-256 {recorded.logo_sha256[:12]}…) is not in "
                         "the history; the reports show the placeholder logo (give --config to apply yours)")
        else:
            suffix = Path(name).suffix  # the name is the database's: only a plain extension of it is used
            logo = folder / ("logo" + (suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", suffix) else ""))
            logo.write_bytes(recorded.logo)
            notes += _logo_file_notes(recorded, run_id)
    from pydantic import ValidationError

    try:
        branding = Branding(partner_name=recorded.partner_name, primary_color=recorded.primary_color,
                            footer_text=recorded.footer_text, logo=logo)
    except ValidationError as exc:  # a database changed outside the tool
        problem = exc.errors()[0]
        raise StoreError(f"run {run_id}: the branding kept in the history is not usable (field "
                         f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']})") from None
    return branding, notes


def _logo_file_notes(recorded: RecordedBranding, run_id: str) -> list[str]:
    """Whether the logo file the run was recorded with is still what the history kept."""
    if recorded.logo_path is None:
        return []
    path = Path(recorded.logo_path)
    try:
        current = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return [f"note: the logo file {path} of run {run_id} is gone; the reports use the copy kept in the history"]
    if current != recorded.logo_sha256:
        return [f"note: the logo file {path} has changed since run {run_id}; the reports use the logo recorded "
                "with the run"]
    return []
