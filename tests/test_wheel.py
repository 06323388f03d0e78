"""The wheel installs the package ``kassa`` with everything it needs: templates, static files,
catalogs, migrations; and nothing named ``plugin``.

Builds the wheel from this checkout, installs it into a fresh virtualenv (not the editable
install the other tests use), migrates a SQLite database and renders a Finnish page.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

SMOKE = textwrap.dedent("""
    import importlib.util, secrets, sys, tempfile
    from cryptography.fernet import Fernet
    from flask import Flask
    import kassa
    from kassa import Kassa, get_state
    from kassa.db import migrate

    assert "site-packages" in kassa.__file__, kassa.__file__
    assert importlib.util.find_spec("plugin") is None, "a top-level 'plugin' module is installed"
    app = Flask("shop", instance_path=tempfile.mkdtemp())
    app.config.update(KASSA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                      SECRET_KEY=secrets.token_urlsafe(32), KASSA_PUBLIC_URL="https://shop.test")
    Kassa(app)
    migrate.upgrade(get_state(app).db)
    page = app.test_client().get("/kassa/checkout/options?amount=12990&country=FI&lang=fi")
    assert page.status_code == 200, page.status_code
    css = app.test_client().get("/kassa/static/kassa.css")
    assert css.status_code == 200
    sys.stdout.write(page.get_data(as_text=True))
""")


def test_wheel_installs_into_a_fresh_virtualenv_and_renders_finnish(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A copy of the tree, so that no build/ folder left by an earlier build leaks into the wheel.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".mypy_cache", ".ruff_cache", ".hypothesis", "instance", "test-artifacts"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(dist), str(source)], check=True, capture_output=True)
    wheel = next(dist.glob("kassa-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("kassa/translations/fi/LC_MESSAGES/kassa.mo",
                     "kassa/templates/kassa/base.html", "kassa/static/kassa/kassa.css",
                     "kassa/db/migrations/env.py"):
        assert expected in names, f"{expected} missing from the wheel"
    assert any(n.startswith("kassa/db/migrations/versions/0001") for n in names)
    assert not any(n.startswith("plugin/") for n in names), "the wheel ships a 'plugin' package"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True)
    result = subprocess.run([str(python), "-c", SMOKE], check=True, capture_output=True,
                            text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    assert 'lang="fi"' in result.stdout
    assert "Maksa laskulla" in result.stdout
