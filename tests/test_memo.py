from auditor.memo import per_snapshot


class Thing:
    pass


def test_per_snapshot_computes_once_per_object_and_tells_objects_apart():
    calls = []

    @per_snapshot
    def view(snapshot):
        calls.append(snapshot)
        return object()

    first, second = Thing(), Thing()
    assert view(first) is view(first)
    assert view(second) is not view(first)
    assert calls == [first, second]
    for _ in range(5):  # evicted after a few other snapshots, then computed again
        view(Thing())
    view(first)
    assert calls.count(first) == 2
