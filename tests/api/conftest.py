"""An app with two storefronts' API keys, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from .support import API_KEYS


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """A migrated Kassa app whose storefronts ``demo`` and ``other`` have API keys."""
    return make_app(db_url, KASSA_API_KEYS=API_KEYS)
