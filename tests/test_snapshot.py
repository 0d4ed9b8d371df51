import json
from pathlib import Path

import pytest

from auditor.snapshot import (
    SUBSCRIPTION_SECTIONS,
    TENANT_SECTIONS,
    SectionStatus,
    SnapshotError,
    dump_snapshot,
    load_snapshot,
    load_snapshots,
)
from tests.builders import make_snapshot, subscription


def write(tmp_path: Path, document: object, name: str = "tenant.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def valid_document() -> dict:
    snapshot = make_snapshot(
        organization=[{"id": "1", "displayName": "Contoso"}],
        subscriptions=[subscription("20ff7fc3-e762-44dd-bd96-b71116dcdc23", pricings=[])],
    )
    return json.loads(dump_snapshot(snapshot))


def test_round_trip_keeps_everything(tmp_path):
    document = valid_document()
    loaded = load_snapshot(write(tmp_path, document))
    assert json.loads(dump_snapshot(loaded)) == document
    assert loaded.section("organization").status is SectionStatus.OK
    assert set(loaded.sections) == set(TENANT_SECTIONS)
    assert set(loaded.azure_subscriptions[0].sections) == set(SUBSCRIPTION_SECTIONS)


def test_a_folder_named_like_a_snapshot_is_refused(tmp_path):
    from auditor.snapshot import snapshot_files

    (tmp_path / "extra-tenant.json").mkdir()
    with pytest.raises(SnapshotError) as error:
        list(snapshot_files([tmp_path]))
    assert "extra-tenant.json: named like a snapshot but not a file" in str(error.value)


@pytest.mark.parametrize("body", ["", "  \n\t"])
def test_an_empty_snapshot_file_says_so(tmp_path, body):
    path = write(tmp_path, body)
    with pytest.raises(SnapshotError) as error:
        load_snapshot(path)
    assert str(error.value) == f"{path}: the file is empty, not a snapshot"


def test_invalid_json_is_one_line_naming_file(tmp_path):
    path = write(tmp_path, '{"schema_version": "1",')
    with pytest.raises(SnapshotError) as error:
        load_snapshot(path)
    message = str(error.value)
    assert str(path) in message and "not valid JSON" in message and "\n" not in message


def test_wrong_type_names_field(tmp_path):
    document = valid_document()
    document["tenant"]["kind"] = "reseller"
    with pytest.raises(SnapshotError) as error:
        load_snapshot(write(tmp_path, document))
    assert "tenant.kind" in str(error.value)
    assert "\n" not in str(error.value)


def test_section_data_of_wrong_shape_is_refused(tmp_path):
    document = valid_document()
    document["sections"]["users"] = {"status": "ok", "reason": "", "request": "", "data": {"id": "x"}}
    with pytest.raises(SnapshotError, match="users.*JSON array"):
        load_snapshot(write(tmp_path, document))


def test_unknown_schema_version_names_supported(tmp_path):
    document = valid_document()
    document["schema_version"] = "99"
    with pytest.raises(SnapshotError, match=r"schema_version.*'99'.*reads 1"):
        load_snapshot(write(tmp_path, document))


def test_missing_section_is_named(tmp_path):
    document = valid_document()
    del document["sections"]["conditional_access_policies"]
    with pytest.raises(SnapshotError, match="missing section.*conditional_access_policies"):
        load_snapshot(write(tmp_path, document))


def test_missing_subscription_section_is_named(tmp_path):
    document = valid_document()
    del document["azure_subscriptions"][0]["sections"]["budgets"]
    with pytest.raises(SnapshotError, match="budgets"):
        load_snapshot(write(tmp_path, document))


def test_unknown_status_is_refused(tmp_path):
    document = valid_document()
    document["sections"]["users"]["status"] = "partial"
    with pytest.raises(SnapshotError, match="sections.users.status"):
        load_snapshot(write(tmp_path, document))


def test_folder_loading_and_missing_path(tmp_path):
    write(tmp_path, valid_document(), "a.json")
    other = valid_document()
    other["tenant"]["id"] = "0b8a5e1c-0000-4000-8000-000000000002"
    write(tmp_path, other, "b.json")
    assert len(load_snapshots([tmp_path])) == 2
    with pytest.raises(SnapshotError, match="no such file"):
        load_snapshots([tmp_path / "nope"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SnapshotError, match="no snapshot files"):
        load_snapshots([empty])


def test_one_tenant_in_two_files_is_refused_naming_both(tmp_path):
    # It was audited twice (evaluate), or blamed on "another shard" when recorded.
    write(tmp_path, valid_document(), "a.json")
    upper = valid_document()
    upper["tenant"]["id"] = upper["tenant"]["id"].upper()  # Entra compares tenant ids without case
    write(tmp_path, upper, "b.json")
    with pytest.raises(SnapshotError, match=r"is in two snapshot files: .*a\.json and .*b\.json"):
        load_snapshots([tmp_path])


def test_unknown_section_name_reads_as_not_collected():
    snapshot = make_snapshot()
    assert snapshot.section("vendor.thing").status is SectionStatus.NOT_COLLECTED


def test_brief_reason_drops_the_api_error_text():
    from auditor.snapshot import Section

    section = Section.missing(
        SectionStatus.FORBIDDEN,
        "the app lacks the Policy.Read.All permission (Graph 403 Authorization_RequestDenied: Insufficient (very) privileges.)",
    )
    assert section.brief_reason == "the app lacks the Policy.Read.All permission"
    plain = Section.missing(SectionStatus.ERROR, "timed out after 60 s (3 attempts)")
    assert plain.brief_reason == plain.reason
