"""Sharing derived views of a snapshot among the checks that evaluate it.

Many checks need the same view of a tenant (users by id, who holds which privileged role). Checks are pure
functions of the snapshot, so such a view can be computed once per snapshot instead of once per check.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import wraps
from typing import Any, Callable, TypeVar

R = TypeVar("R")

_KEEP = 4  # the engine evaluates one snapshot at a time; a few entries cover interleaved callers


def per_snapshot(function: Callable[..., R]) -> Callable[..., R]:
    """Memoise ``function(snapshot, *args)`` for the last few snapshots. The cache holds the snapshot itself,
    so its id cannot be reused by another object while the entry lives."""
    cache: OrderedDict[tuple[Any, ...], tuple[object, R]] = OrderedDict()

    @wraps(function)
    def cached(snapshot: object, *args: Any) -> R:
        key = (id(snapshot), *args)
        hit = cache.get(key)
        if hit is not None and hit[0] is snapshot:
            cache.move_to_end(key)
            return hit[1]
        value = function(snapshot, *args)
        cache[key] = (snapshot, value)
        if len(cache) > _KEEP:
            cache.popitem(last=False)
        return value

    return cached
