"""Fixtures for "pay now" tests: localstripe, and a Kassa app pointed at it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests import localstripe_server as stand_in
from tests.localstripe_server import LocalStripe
from tests.payments.support import WEBHOOK_SECRET

# localstripe's fixtures (see tests/localstripe_server.py), for every test in this folder
localstripe_server = stand_in.localstripe_server
localstripe = stand_in.localstripe


@pytest.fixture
def stripe_app(make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe) -> Flask:
    """A migrated Kassa app (SQLite and PostgreSQL) whose Stripe is localstripe."""
    return make_app(db_url, **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET))
