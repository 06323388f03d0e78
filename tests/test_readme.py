"""The README's layout table tells the truth about the tree."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugin" / "kassa"


def layout_paths() -> list[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n\n", 2)[1]
    return [path for row in table.splitlines() if row.startswith("| `")
            for path in re.findall(r"`([\w./-]+/?)`", row.split("|")[1])]


def test_every_path_in_the_layout_table_exists() -> None:
    paths = layout_paths()
    assert len(paths) > 20
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert missing == []


def test_every_part_of_the_package_is_in_the_layout_table() -> None:
    named = {path.rstrip("/") for path in layout_paths()}
    parts = {f"plugin/kassa/{entry.name}" for entry in PACKAGE.iterdir()
             if entry.name != "__pycache__"}
    assert sorted(parts - named) == []
