"""docs/history.md says what the code does: its shard formula, computed from the doc, picks every
tenant's shard as auditor.selection does."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from auditor.selection import in_shard

DOC = (Path(__file__).resolve().parents[1] / "docs" / "history.md").read_text(encoding="utf-8")


def _doc_formula() -> str:
    (formula,) = re.findall(r"```python\n(K = .+?)\n```", DOC)
    return formula.removeprefix("K = ")


def test_the_documented_shard_formula_is_the_code():
    formula = compile(_doc_formula(), "docs/history.md", "eval")
    tenants = [str(uuid.UUID(int=n * 0x9E3779B97F4A7C15 % 2**128)) for n in range(300)]
    tenants += ["  Contoso.onmicrosoft.com ", "FABRIKAM-ID", "tenant-é"]
    for count in (1, 2, 3, 4, 7, 16):
        for tenant in tenants:
            shard = eval(formula, {"hashlib": hashlib}, {"t": tenant, "N": count})
            assert in_shard(tenant, shard, count), (tenant, count, shard)
            assert not any(in_shard(tenant, other, count) for other in range(1, count + 1) if other != shard)

