"""Imports point down the layers of architecture.md: an app imports only apps on lower rows.

The engine (automation) and the transport (whatsapp) know no domain app; domain apps register
their job handlers and periodic tasks with the engine and react to inbound events through jobs.
The table below is architecture.md's; a new app must take its row here to be importable at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps as django_apps

ROOT = Path(__file__).resolve().parent.parent

# Lower number = lower row. Apps on one row may not import each other either.
LAYERS: dict[str, int] = {
    "innbox": 0,
    "tenancy": 1,
    "automation": 2,
    "whatsapp": 3,
    "hotel": 4,
    "pms": 5,
    "messaging": 6,
    "agent": 7,
    "conversations": 7,
    "feedback": 7,
    "compliance": 7,
    "dashboard": 8,
    "operations": 8,
}
# The composition root names every app (architecture.md, "project" row).
COMPOSITION_ROOT = {Path("innbox/settings.py"), Path("innbox/urls.py")}


def our_apps() -> list[str]:
    return sorted(
        config.name
        for config in django_apps.get_app_configs()
        if (ROOT / config.name).is_dir() and Path(config.path).resolve().is_relative_to(ROOT)
    )


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def upward_imports(app: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or relative in COMPOSITION_ROOT:
            continue
        for line, module in imports_of(path):
            target = module.split(".")[0]
            if target != app and target in LAYERS and LAYERS[target] >= LAYERS[app]:
                problems.append(f"{relative}:{line} imports {module}")
    return problems


def test_every_app_has_a_row_in_the_layers() -> None:
    assert [app for app in our_apps() if app not in LAYERS] == []


@pytest.mark.parametrize("app", sorted(app for app in LAYERS if (ROOT / app).is_dir()))
def test_imports_point_down_the_layers(app: str) -> None:
    assert upward_imports(app) == []
