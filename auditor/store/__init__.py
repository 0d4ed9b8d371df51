"""The audit history: every run, tenant result and check result, in SQLite (default) or PostgreSQL.

SQLAlchemy Core, no ORM: the results document (auditor.results) is the model, the tables are its storage.
One module per job:

- ``location``   where the database is (``--db``, $AUDITOR_DB, the config, the default file);
- ``tables``     the tables; ``migrations`` the schema versions and how a database reaches the latest;
- ``engine``     engines (SQLite WAL and busy timeout, read-only files, PostgreSQL) and ``open_db``;
- ``run_ids``    run ids and labels; ``write`` recording runs (and ``--replace``); ``remove`` deleting them;
- ``read``       runs, their scores and results; ``diff`` trends and the difference between two runs;
- ``branding``   the branding a run was rendered with, its logo's bytes included.

Every public name is importable from ``auditor.store`` itself.
"""

from auditor.store.base import SchemaTooNew, StoreError, redact
from auditor.store.branding import RecordedBranding, branding_for_render, branding_record, run_branding
from auditor.store.diff import RunDiff, TenantDiff, diff, tenant_history
from auditor.store.engine import SQLITE_BUSY_TIMEOUT_S, create_db_engine, open_db
from auditor.store.location import APP_DIR_NAME, DB_ENV, default_db_path, normalize_db_url, resolve_db_url, sqlite_file
from auditor.store.migrations import MIGRATIONS, SCHEMA_VERSION, ensure_schema, schema_version
from auditor.store.read import (
    RunSummary,
    SnapshotRef,
    find_run,
    find_tenants,
    get_run,
    latest_run_ids,
    list_runs,
    load_run_results,
    snapshot_refs,
    tenant_id,
)
from auditor.store.remove import delete_run
from auditor.store.run_ids import LABEL_MAX, RUN_ID_PATTERN, resolve_run_id, run_id_from_label, validate_label, validate_run_id
from auditor.store.tables import metadata
from auditor.store.write import check_can_record, record_run, snapshot_ref

__all__ = [
    "APP_DIR_NAME", "DB_ENV", "LABEL_MAX", "MIGRATIONS", "RUN_ID_PATTERN", "SCHEMA_VERSION", "SQLITE_BUSY_TIMEOUT_S",
    "RecordedBranding", "RunDiff", "RunSummary", "SchemaTooNew", "SnapshotRef", "StoreError", "TenantDiff",
    "branding_for_render", "branding_record", "check_can_record", "create_db_engine", "default_db_path", "delete_run", "diff", "ensure_schema", "find_run", "find_tenants",
    "get_run", "latest_run_ids", "list_runs", "load_run_results", "metadata", "normalize_db_url", "open_db",
    "record_run", "redact", "resolve_db_url", "resolve_run_id", "run_branding", "run_id_from_label", "schema_version",
    "snapshot_ref", "snapshot_refs", "sqlite_file", "tenant_history", "tenant_id", "validate_label", "validate_run_id",
]
