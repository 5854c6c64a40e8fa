"""Helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def innbox_apps() -> set[str]:
    """Every installed app that is ours (a folder of this repository), so a new app is
    enumerated by the isolation tests without anybody remembering to add it."""
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }
