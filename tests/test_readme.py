"""The README stays true: its checklist table is the registry's, and CI runs the README's test command."""

import re
from pathlib import Path

from auditor.doctable import checklist_table
from auditor.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

WAVE_1 = [
    "MFA-1", "MFA-2", "MFA-3", "MFA-4", "MFA-5",
    "ADM-1", "ADM-2", "ADM-3", "ADM-4", "ADM-6",
    "PAR-1", "PAR-2", "PAR-3", "PAR-4",
    "CON-1", "CON-2", "CON-3",
    "CST-1", "CST-2",
    "DEF-1", "DEF-2", "DEF-3", "DEF-4",
]
AZURE_GOVERNANCE = ["AZR-1", "AZR-2", "AZR-3", "AZR-4", "AZR-5", "CST-4"]


def fenced_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README, flags=re.DOTALL)


WAVE_2 = ["ADM-5", "ADM-7", "PAR-5", "PAR-6", "CON-4", "CON-5"]  # issue 12 (Graph side)


def test_every_wave_1_check_is_registered():
    registry = Registry.from_entry_points()
    assert sorted(spec.id for spec in registry if spec.wave == 1) == sorted(WAVE_1)


def test_every_wave_2_check_is_registered_as_wave_2():
    registry = Registry.from_entry_points()
    assert sorted(spec.id for spec in registry if spec.wave == 2) == sorted(WAVE_2 + AZURE_GOVERNANCE)


def test_every_check_is_registered_once():
    assert sorted(Registry.from_entry_points().ids()) == sorted(WAVE_1 + WAVE_2 + AZURE_GOVERNANCE)


def test_readme_checklist_table_matches_registry():
    assert checklist_table(Registry.from_entry_points()) in README


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    first, second = fenced_commands()[:2]
    assert "auditor run --sample" in first
    assert "pytest" in second
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci_script
