"""Per-app state: transactions that nest, senders that belong to one app."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from kassa.db.models import StaffUser
from kassa.notify.outbox import register_sender, sender_for
from kassa.state import get_state, transaction


def _staff(email: str) -> StaffUser:
    return StaffUser(email=email, name="Aino", role="agent", password_hash="x")


def _count(app: Flask) -> int:
    with get_state(app).db.session() as session:
        return session.scalar(select(func.count()).select_from(StaffUser)) or 0


def test_an_inner_transaction_joins_the_outer_one_which_alone_commits(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(RuntimeError), transaction() as outer:
            outer.add(_staff("a@shop.test"))
            with transaction() as inner:
                assert inner is outer
                inner.add(_staff("b@shop.test"))
            assert _count(app) == 0  # the inner block committed nothing
            raise RuntimeError("the outer block fails")
    assert _count(app) == 0  # and the outer rollback undid the inner block's rows too

    with app.test_request_context():
        with transaction() as outer:
            with transaction() as inner:
                inner.add(_staff("c@shop.test"))
            outer.add(_staff("d@shop.test"))
    assert _count(app) == 2


def test_an_inner_failure_caught_outside_it_leaves_the_outer_transaction_open(
        app: Flask) -> None:
    with app.test_request_context():
        with transaction() as outer:
            outer.add(_staff("e@shop.test"))
            with pytest.raises(ValueError), transaction():
                raise ValueError("refused")
            outer.add(_staff("f@shop.test"))
    assert _count(app) == 2


def test_each_app_has_its_own_outbox_senders(make_app: Callable[..., Flask]) -> None:
    first, second = make_app("sqlite://"), make_app("sqlite://")
    kassas_own = sender_for(get_state(second), "invoice", "email")
    assert kassas_own is not None

    def shop_mailer(*_args: object) -> None:
        return None

    register_sender(get_state(first), "invoice", "email", shop_mailer)
    assert sender_for(get_state(first), "invoice", "email") is shop_mailer
    assert sender_for(get_state(second), "invoice", "email") is kassas_own
