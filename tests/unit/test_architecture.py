"""The structure a newcomer should be able to rely on, checked from the source: who imports whom, and who
writes which table."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from trygg.adapters import TABLE_OWNERS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trygg", "services", "schemas")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, at the top or inside functions (`__import__("x")` too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            if isinstance(node.args[0], ast.Constant):
                targets.add(node.args[0].value)
    return {t for t in targets if t in MODULES and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            # A package importing its own submodules (schemas/__init__) is not a cycle between rooms.
            if len(component) > 1 and not all(c.startswith(min(component) + ".") or c == min(component)
                                               for c in component):
                found.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles() == []


def test_nothing_imports_the_command_line() -> None:
    cli = {m for m in MODULES if m == "trygg.cli" or m.startswith("trygg.cli_")}
    importers = {m: sorted(GRAPH[m] & cli) for m in MODULES if m not in cli and GRAPH[m] & cli}
    assert importers == {}


def test_domain_is_free_of_io_and_outer_layers() -> None:
    outer = ("trygg.adapters", "trygg.app", "trygg.cli", "trygg.localstack", "trygg.report", "services")
    io_libraries = re.compile(r"^\s*(?:from|import)\s+(psycopg|kafka|faust|fastapi|grafana_client|requests|httpx)\b",
                              re.M)
    for name, path in MODULES.items():
        if name.startswith("trygg.domain"):
            assert not [t for t in GRAPH[name] if t.startswith(outer)], name
            assert not io_libraries.search(path.read_text(encoding="utf-8")), name


def test_use_cases_know_no_entry_point() -> None:
    entry = re.compile(r"^\s*(?:from|import)\s+(fastapi|starlette|faust|argparse|uvicorn)\b", re.M)
    for name, path in MODULES.items():
        if name.startswith("trygg.app"):
            assert not [t for t in GRAPH[name] if t.startswith(("services", "trygg.cli"))], name
            assert not entry.search(path.read_text(encoding="utf-8")), name


WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_]+)\b")


def test_every_table_has_one_owner_module_in_the_adapters() -> None:
    """Each table is written by one module, its owner in trygg/adapters (the rollups and board aggregates are
    kept by the database itself: views and triggers)."""
    writers: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for table in WRITE.findall(path.read_text(encoding="utf-8")):
            writers[table].add(name)
    assert {table: sorted(modules) for table, modules in writers.items()} == {
        table: [owner] for table, owner in TABLE_OWNERS.items()
    }


def test_only_the_adapters_run_sql() -> None:
    """Use cases, entry points, the report and the local stack read and write through trygg/adapters (board
    queries are SQL text for Grafana, never run by the platform)."""
    runs_sql = re.compile(r"\.execute(?:many)?\(")
    assert sorted(name for name, path in MODULES.items()
                  if not name.startswith("trygg.adapters") and runs_sql.search(path.read_text(encoding="utf-8"))) == []


def test_functions_are_defined_only_in_repeatable_files() -> None:
    """Versioned migrations from REPEATABLE_SINCE on define no function: its one current definition is in
    migrations/repeatable/, so reading it never means replaying history."""
    from trygg.adapters.migrations import MIGRATIONS_DIR, REPEATABLE_SINCE

    defining = [
        path.name for path in sorted(MIGRATIONS_DIR.glob("*.sql"))
        if int(path.name[:4]) >= REPEATABLE_SINCE
        and re.search(r"CREATE\s+(OR\s+REPLACE\s+)?FUNCTION", path.read_text(encoding="utf-8"), re.I)
    ]
    assert defining == []
