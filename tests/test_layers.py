"""Layers point one way (docs/architecture.md, "Layers"): a module imports only its own layer or lower ones,
no two modules import each other (however indirectly), and imports sit at the top of the module.

Read from the source with `ast` (every import, at the top or inside a function). An import that must reach upwards
would be listed in KNOWN with its reason; the list may only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("requests", "identity", "privacyportal")

# Lower number, lower layer. A module not named here takes its package's layer.
LAYERS: dict[str, int] = {
    # pure: no ORM, no settings, no clock
    "requests.lifecycle": 0, "requests.deadlines": 0, "requests.explain": 0, "requests.lookback": 0,
    "requests.fee_rules": 0, "requests.repetition": 0, "requests.laws": 0, "requests.inbox_rules": 0,
    "identity.tiers": 0,
    "privacyportal.addresses": 0, "privacyportal.redact": 0, "privacyportal.typography": 0,
    # cross-cutting helpers that import no app: the file store, upload checks, the outbox (and its model), email, PDF
    "privacyportal.ratelimit": 1, "privacyportal.cache": 1, "privacyportal.errors": 1,
    "privacyportal.middleware": 1, "privacyportal.uploads": 1, "privacyportal.files": 1,
    "privacyportal.models": 1, "privacyportal.outbox": 1, "privacyportal.emails": 1, "privacyportal.pdf": 1,
    "privacyportal.mailbox": 1, "privacyportal.backlog": 1, "privacyportal.keycheck": 1,
    # connectors reach company systems: no models, no case logic (a service records what they return)
    "requests.connectors": 1,
    # models
    "requests.models": 2, "identity.models": 2, "requests.roles": 2,
    # domain: services (writes), selectors (reads) and what they use
    "requests.audit": 3, "requests.letters": 3,
    "requests.packets": 3, "requests.services": 3, "requests.selectors": 3, "requests.health": 3,
    "requests.downloads": 3, "requests.backups": 3,
    "identity.services": 3, "identity.enrolment": 3, "identity.tokens": 3,
    # the edges: pages, admin, API, tasks, sweeps, commands
    "requests": 4, "identity": 4, "privacyportal": 4,
}  # fmt: skip

KNOWN: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    while module not in LAYERS:
        module = module.rsplit(".", 1)[0]
    return LAYERS[module]


def imports(path: Path, modules: set[str], nodes: Sequence[ast.AST] | None = None) -> set[str]:
    """The project modules `path` imports: in every statement of it, or only in `nodes`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in nodes if nodes is not None else ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            candidates = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        else:
            continue
        found.update(c for c in candidates if c in modules and c != name)
    return found


def source_files() -> list[Path]:
    return [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def upward_imports() -> set[tuple[str, str]]:
    files = source_files()
    modules = {module_name(p) for p in files}
    return {
        (module_name(p), target)
        for p in files
        for target in imports(p, modules)
        if layer(target) > layer(module_name(p))
    }


def test_no_module_imports_a_higher_layer() -> None:
    found = upward_imports()
    assert not found - set(KNOWN), "upward imports (see docs/architecture.md, Layers)"
    assert not set(KNOWN) - found, "KNOWN lists an import that is gone: remove it from the list"


# Imports inside a function, each for a reason that no reshuffle removes.
LOCAL_IMPORTS = {
    ("requests.apps", "privacyportal.checks"): "registers the system checks once the apps are loaded",
    ("requests.apps", "requests.health"): "models are ready only in AppConfig.ready()",
    ("privacyportal.celery", "privacyportal.checks"): "loaded with the settings, before Django is set up",
}


def graph() -> dict[str, set[str]]:
    files = source_files()
    modules = {module_name(p) for p in files}
    return {module_name(p): imports(p, modules) for p in files}


def test_no_two_modules_import_each_other() -> None:
    edges = graph()
    cycles = []
    for start in edges:  # depth-first from each module; the graph is small (about 70 modules)
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for target in edges.get(node, ()):
                if target == start:
                    cycles.append(" -> ".join([*path, start]))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    assert not cycles, cycles


def test_imports_of_the_project_sit_at_the_top_of_the_module() -> None:
    files = source_files()
    modules = {module_name(p) for p in files}
    local = set()
    for path in files:
        tree = ast.parse(path.read_text())
        top_level = {id(node) for node in tree.body}
        inner = [
            n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in top_level
        ]
        local |= {(module_name(path), target) for target in imports(path, modules, inner)}
    assert local == set(LOCAL_IMPORTS)
