"""The core stays pure: no Flask, SQLAlchemy, Stripe or requests, and nothing else of ours."""

from __future__ import annotations

import ast
import pathlib

CORE = pathlib.Path(__file__).resolve().parents[2] / "plugin" / "kassa" / "core"
FORBIDDEN = ("flask", "sqlalchemy", "stripe", "requests", "werkzeug", "alembic")


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside kassa.core
                assert node.level == 1, f"{path.name} reaches outside kassa.core"
            elif node.module:
                names.add(node.module)
    return names


def test_core_imports_no_framework_or_io_library() -> None:
    files = sorted(CORE.glob("*.py"))
    assert len(files) >= 8  # money, credit, references, calendar, identity, rules, errors...
    for path in files:
        for name in imported_modules(path):
            root = name.split(".")[0]
            assert root not in FORBIDDEN, f"{path.name} imports {name}"
            inside = name == "kassa.core" or name.startswith("kassa.core.")
            assert root != "kassa" or inside, f"{path.name} imports {name}, outside the core"


def test_the_purity_check_catches_a_forbidden_import(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import current_app\n")
    assert "flask" in imported_modules(bad)
