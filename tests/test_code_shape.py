"""The shape DESIGN.md gives the code (issue 10): the history store is a package of small modules, and the
command-line modules share what they share through auditor.cli_common instead of importing each other in a
circle (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "auditor"
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    """Every auditor module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "auditor":
                found.update(f"auditor.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("auditor.")}


def test_cli_modules_import_no_module_that_imports_them():
    modules = {f"auditor.{path.stem}": path for path in PACKAGE.glob("cli*.py")}
    graph = {name: _imports(path) & set(modules) for name, path in modules.items()}
    assert "auditor.cli_common" in graph and "auditor.cli_run" in graph

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph[start] - seen:
            if nxt == target or reaches(nxt, target, seen | {nxt}):
                return True
        return False

    circles = sorted(name for name in graph if reaches(name, name, set()))
    assert circles == []
    assert graph["auditor.cli_common"] == set()  # the shared module needs none of the others


def test_the_store_is_a_package_of_small_modules():
    modules = sorted((PACKAGE / "store").glob("*.py"))
    assert not (PACKAGE / "store.py").exists()
    assert {p.stem for p in modules} >= {"tables", "migrations", "write", "read", "diff", "remove", "branding"}
    too_long = {p.name: n for p in modules if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}
