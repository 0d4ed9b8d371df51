"""--group and --shard: which tenants a run or a report covers."""

from __future__ import annotations

import random
import uuid

import pytest

from auditor.config import parse_config
from auditor.selection import (
    SelectionError,
    Shard,
    filter_group,
    filter_shard,
    in_shard,
    parse_shard,
    select,
    select_results,
    shard_of,
)
from tests.builders import make_snapshot
from tests.test_store_backends import audit, tenant

TENANT_IDS = [str(uuid.UUID(int=n * 7919 + 12345, version=4)) for n in range(400)]


@pytest.mark.parametrize("text, expected", [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)), (" 4 / 4 ", Shard(4, 4))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected
    assert str(parse_shard(text)) == f"{expected.index}/{expected.count}"


@pytest.mark.parametrize("text, message", [
    ("", "must look like K/N"),
    ("2", "must look like K/N"),
    ("a/b", "must look like K/N"),
    ("-1/4", "must look like K/N"),
    ("0/4", "K must be between 1 and 4"),
    ("5/4", "K must be between 1 and 4"),
    ("1/0", "N must be at least 1"),
])
def test_bad_shards_are_one_clear_line(text, message):
    with pytest.raises(SelectionError, match=message) as raised:
        parse_shard(text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_every_tenant_is_in_exactly_one_shard(count):
    for tenant_id in TENANT_IDS:
        assert [k for k in range(1, count + 1) if in_shard(tenant_id, k, count)] == [shard_of(tenant_id, count)]


def test_shards_do_not_depend_on_list_order_or_on_other_tenants():
    shard = Shard(2, 4)
    everyone = [make_snapshot(tenant_id=t) for t in TENANT_IDS]
    chosen = {s.tenant.id for s in filter_shard(everyone, shard)}
    shuffled = list(everyone)
    random.Random(1).shuffle(shuffled)
    assert {s.tenant.id for s in filter_shard(shuffled, shard)} == chosen
    # Dropping half the portfolio moves nobody else between shards.
    assert {s.tenant.id for s in filter_shard(everyone[::2], shard)} == chosen & set(TENANT_IDS[::2])


def test_shards_split_a_portfolio_roughly_evenly():
    sizes = [len([t for t in TENANT_IDS if in_shard(t, k, 4)]) for k in range(1, 5)]
    assert sum(sizes) == len(TENANT_IDS)
    assert min(sizes) > len(TENANT_IDS) / 4 * 0.7  # a hash, not a round-robin: near, not exactly, even


def test_tenant_ids_are_compared_without_case():
    tenant_id = TENANT_IDS[0]
    assert shard_of(tenant_id.upper(), 7) == shard_of(tenant_id, 7)


def test_groups_match_tags_without_case_on_snapshots_and_results():
    retail = make_snapshot(tenant_id=TENANT_IDS[0], name="Retail Ltd")
    retail.tenant.tags = ["Retail", "eu"]
    other = make_snapshot(tenant_id=TENANT_IDS[1], name="Other")
    assert filter_group([retail, other], "retail") == [retail]
    assert filter_group([retail, other], None) == [retail, other]
    results = [tenant(TENANT_IDS[0], "Retail", {"A": "PASS"}, tags=["retail"]), tenant(TENANT_IDS[1], "B", {"A": "PASS"})]
    assert [t.tenant_id for t in filter_group(results, "RETAIL")] == [TENANT_IDS[0]]


def test_the_config_tags_win_over_the_snapshot_tags():
    snapshot = make_snapshot(tenant_id=TENANT_IDS[0])
    snapshot.tenant.tags = ["from-snapshot"]
    config = parse_config(f'[[tenants]]\nid = "{TENANT_IDS[0]}"\ntags = ["gold"]\n')
    assert filter_group([snapshot], "gold", config) == [snapshot]
    with pytest.raises(SelectionError):
        filter_group([snapshot], "from-snapshot", config)


def test_a_group_matching_nothing_names_the_tags_in_use():
    snapshot = make_snapshot()
    snapshot.tenant.tags = ["retail", "Healthcare"]
    with pytest.raises(SelectionError, match=r"no tenant carries the tag 'retial' \(tags in use: Healthcare, retail\)"):
        filter_group([snapshot], "retial")
    with pytest.raises(SelectionError, match="needs a tag"):
        filter_group([snapshot], " ")


def test_select_applies_group_then_shard():
    snapshots = []
    for n, tenant_id in enumerate(TENANT_IDS[:60]):
        snapshot = make_snapshot(tenant_id=tenant_id)
        snapshot.tenant.tags = ["gold"] if n % 2 else ["silver"]
        snapshots.append(snapshot)
    parts = [select(snapshots, group="gold", shard=f"{k}/3") for k in (1, 2, 3)]
    ids = [s.tenant.id for part in parts for s in part]
    assert sorted(ids) == sorted(s.tenant.id for s in snapshots if "gold" in s.tenant.tags)
    assert len(ids) == len(set(ids))


def test_select_results_keeps_only_the_group():
    results = audit("r", [tenant(TENANT_IDS[0], "A", {"X": "PASS"}, tags=["gold"]), tenant(TENANT_IDS[1], "B", {"X": "PASS"})])
    chosen = select_results(results, "gold")
    assert [t.tenant_id for t in chosen.tenants] == [TENANT_IDS[0]]
    assert len(results.tenants) == 2  # the original is untouched
    assert select_results(results, None) is results


def test_load_selected_keeps_the_files_of_the_chosen_tenants(tmp_path):
    from auditor.selection import load_selected
    from auditor.snapshot import dump_snapshot

    for n, tenant_id in enumerate(TENANT_IDS[:12]):
        snapshot = make_snapshot(tenant_id=tenant_id, name=f"Tenant {n}")
        snapshot.tenant.tags = ["gold"] if n < 6 else []
        (tmp_path / f"t{n:02d}.json").write_text(dump_snapshot(snapshot))
    everything = load_selected([tmp_path])
    assert len(everything.snapshots) == 12
    assert everything.files[TENANT_IDS[3]] == tmp_path / "t03.json"
    gold = load_selected([tmp_path], group="gold", shard="1/2")
    expected = {t for t in TENANT_IDS[:6] if in_shard(t, 1, 2)}
    assert {s.tenant.id for s in gold.snapshots} == expected == set(gold.files)
    with pytest.raises(SelectionError):
        load_selected([tmp_path], group="platinum")


def test_load_selected_refuses_two_snapshots_of_one_tenant(tmp_path):
    # Before: both were evaluated, the history refused the run only after the audit, blaming the shards.
    from auditor.selection import load_selected
    from auditor.snapshot import SnapshotError, dump_snapshot

    snapshot = make_snapshot(tenant_id=TENANT_IDS[0], name="Contoso")
    (tmp_path / "contoso-2026-08.json").write_text(dump_snapshot(snapshot))
    (tmp_path / "contoso-2026-11.json").write_text(dump_snapshot(snapshot))
    with pytest.raises(SnapshotError, match=f"tenant {TENANT_IDS[0]} is in two snapshot files: .*contoso-2026-08.json and .*contoso-2026-11.json"):
        load_selected([tmp_path])
