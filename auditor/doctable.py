"""The README's checklist table, generated from the registry (`python -m auditor.doctable`); a test keeps
the README in sync with it."""

from __future__ import annotations

from auditor.registry import Registry


def checklist_table(registry: Registry) -> str:
    lines = ["| ID | Check | Area | Severity | Tenants |", "|---|---|---|---|---|"]
    for spec in registry:
        tenants = ", ".join(sorted(kind.value for kind in spec.applies_to))
        lines.append(f"| {spec.id} | {spec.title} | {spec.area.title} | {spec.severity.value} | {tenants} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(checklist_table(Registry.from_entry_points()))
