"""docs/status-mapping.md is the matrix; every adapter's map_status must agree with it, row by row,
and every adapter must have its table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pms.adapters import ADAPTERS

DOC = Path(__file__).resolve().parent.parent / "docs" / "status-mapping.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    provider = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## (\w+)\s*$", line)
        if heading:
            provider = heading.group(1)
            tables[provider] = []
            continue
        row = re.match(r"^\|\s*([^|]+?)\s*\|\s*([a-z-]+)\s*\|$", line)
        if (
            provider
            and row
            and row.group(1) not in ("vendor status",)
            and not set(row.group(1)) <= {"-"}
        ):
            tables[provider].append((row.group(1), row.group(2)))
    return tables


def test_every_adapter_has_a_table() -> None:
    assert set(ADAPTERS) <= set(documented())


@pytest.mark.parametrize(
    ("provider", "vendor", "internal"),
    [
        (provider, vendor, internal)
        for provider, rows in documented().items()
        for vendor, internal in rows
    ],
)
def test_the_code_maps_each_documented_status(provider: str, vendor: str, internal: str) -> None:
    adapter = ADAPTERS[provider]()
    assert adapter.map_status(adapter.parse_documented_status(vendor)) == internal
