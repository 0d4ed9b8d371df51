"""The database backends the history-store tests run against, and small builders of results.

SQLite (a file in the test's tmp dir) always; PostgreSQL when AUDITOR_TEST_POSTGRES_URL names a server
(CI starts one with ``.ci/postgres.sh start``). Each PostgreSQL test gets its own schema, selected through
the connection's search_path, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import stat
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from auditor.results import AuditResults, CheckResult, TenantResult, ToolInfo
from auditor.scoring import score_tenant

POSTGRES_ENV = "AUDITOR_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)


def _postgres_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A URL to an empty history database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (eval \"$(.ci/postgres.sh start)\" sets it)")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def check(check_id: str, status: str, severity: str = "high", area: str = "mfa", **extra) -> CheckResult:
    return CheckResult(
        check_id=check_id,
        title=f"Title of {check_id}",
        area=area,
        severity=severity,
        status=status,
        summary=f"{check_id} is {status}",
        evidence=extra.pop("evidence", [{"object": f"{check_id}-obj", "detail": status}]),
        remediation=f"Fix {check_id}.",
        references=[f"https://learn.microsoft.com/{check_id.lower()}"],
        **extra,
    )


def tenant(tenant_id: str, name: str, statuses: dict[str, str], kind: str = "customer", tags=()) -> TenantResult:
    results = [check(check_id, status) for check_id, status in statuses.items()]
    score = score_tenant(results)
    return TenantResult(
        tenant_id=tenant_id,
        display_name=name,
        default_domain=f"{name.lower().replace(' ', '')}.onmicrosoft.com",
        kind=kind,
        tags=list(tags),
        collected_at=T0,
        score=score.score,
        grade=score.grade,
        coverage=score.coverage,
        areas=score.areas,
        results=results,
    )


def audit(run_id: str, tenants: list[TenantResult], at: datetime = T0, ruleset: str = "2026.11-wave1") -> AuditResults:
    return AuditResults(
        tool=ToolInfo(name="csp-posture-auditor", version="0.1.0", ruleset_version=ruleset),
        generated_at=at,
        run_id=run_id,
        operator="auditor@partner.example",
        tenants=tenants,
    )


def quarter(n: int) -> datetime:
    return T0 + timedelta(days=91 * n)


def test_backend_fixture_gives_an_empty_database(db_url):
    from auditor.store import list_runs, open_db

    engine = open_db(db_url)
    try:
        assert list_runs(engine) == []
    finally:
        engine.dispose()




@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_sqlite_history_is_private_to_the_user(tmp_path):
    """The history holds evidence (people, admin accounts): a file the tool creates is owner-only, as every
    report it writes is; an existing file keeps the mode its owner gave it."""
    from auditor.store import open_db

    new = tmp_path / "history" / "h.sqlite"
    open_db(f"sqlite:///{new}").dispose()
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    shared = tmp_path / "shared.sqlite"
    shared.touch(mode=0o640)
    shared.chmod(0o640)
    open_db(f"sqlite:///{shared}").dispose()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
