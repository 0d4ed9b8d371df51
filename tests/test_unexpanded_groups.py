"""A role-holding group whose members could not be read may hold anyone: every check that judges
privileged people (ADM-2, ADM-3, ADM-4, MFA-4; ADM-1 in test_admins) is UNKNOWN naming the group, never a
PASS on the holders it happened to read (the collector makes an unreadable page of group_members an error
section, tests/test_collect_paging.py)."""

import pytest

from auditor.evaluate import run_check
from auditor.registry import CheckContext, Registry
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus
from checks.privileged import GLOBAL_ADMINISTRATOR
from tests.builders import NOW, make_snapshot
from tests.identity_fixtures import (
    ADELE,
    ADMIN_GROUP,
    EXCHANGE_ADMIN,
    MEGAN,
    assignment,
    entra_p2_only,
    group_principal,
    member,
    principal,
    registration,
    user,
)

REGISTRY = Registry.from_modules("checks.admins", "checks.mfa")
CTX = CheckContext(now=NOW)
UNREADABLE = Section.missing(SectionStatus.ERROR, "page 2 failed: Graph 404; the list was not read whole (for "
                             f"{ADMIN_GROUP})")


def snapshot(group_members):
    return make_snapshot(
        role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN), 1),
                          assignment(EXCHANGE_ADMIN, group_principal(), 2)],
        role_eligibility_schedules=[],
        group_members=group_members,
        users=[user(MEGAN, plans=entra_p2_only()), user(ADELE, plans=entra_p2_only())],
        user_registration_details=[registration(MEGAN), registration(ADELE)],
    )


@pytest.mark.parametrize("check_id", ["ADM-2", "ADM-3", "ADM-4", "MFA-4"])
def test_unreadable_role_group_makes_people_checks_unknown(check_id):
    readable = run_check(REGISTRY.get(check_id), snapshot({ADMIN_GROUP: [member(ADELE)]}), CTX)
    assert readable.status is Status.PASS, readable.summary  # the same tenant, members read: a verdict
    unread = run_check(REGISTRY.get(check_id), snapshot(UNREADABLE), CTX)
    assert unread.status is Status.UNKNOWN, unread.summary
    assert "Tier 0 Admins" in unread.summary
    assert any("Tier 0 Admins" in str(row) for row in unread.evidence)
