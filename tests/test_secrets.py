"""Secrets: a strong SECRET_KEY, the right encryption key, and rotating it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from demo_shop.app import create_app
from kassa import get_state
from kassa.core.identity import parse_personal_id
from kassa.db import Customer
from kassa.db.personal_ids import store_check_value
from kassa.errors import ConfigurationError

from .conftest import TEST_KEY, base_config

SE_ID = "19811218-9876"


@pytest.mark.parametrize("secret", [None, "", "dev", "test-secret", "a" * 64])
def test_kassa_refuses_to_start_without_a_strong_secret_key(secret: str | None) -> None:
    app = Flask("weak_secret")
    app.config.update(base_config("sqlite://", SECRET_KEY=secret))
    from kassa import Kassa

    with pytest.raises(ConfigurationError, match="SECRET_KEY: .*at least 32 characters"):
        Kassa(app)


def store_customer(app: Flask, number: str = SE_ID) -> None:
    """A customer whose number is encrypted, as the checkout stores one."""
    state = get_state(app)
    person = parse_personal_id("SE", number, today=date(2026, 12, 1))
    with state.db.session() as session:
        customer = Customer(country="SE", name="Sven", email="sven@example.se", locale="sv")
        state.vault.store(customer, person)
        store_check_value(session, state.vault)
        session.add(customer)


def test_another_encryption_key_on_an_encrypted_database_stops_start_up(
        make_app: Callable[..., Flask], db_url: str) -> None:
    store_customer(make_app(db_url))
    other = Fernet.generate_key().decode()
    with pytest.raises(ConfigurationError, match="KASSA_ENCRYPTION_KEY: is not the key"):
        make_app(db_url, upgrade=False, KASSA_ENCRYPTION_KEY=other)
    make_app(db_url, upgrade=False)  # the right key starts
    make_app(db_url, upgrade=False, KASSA_ENCRYPTION_KEY=f"{other},{TEST_KEY}")  # and a new one


def test_any_key_starts_while_nothing_is_encrypted(make_app: Callable[..., Flask],
                                                   db_url: str) -> None:
    make_app(db_url)
    make_app(db_url, upgrade=False, KASSA_ENCRYPTION_KEY=Fernet.generate_key().decode())


def test_rotate_key_re_encrypts_so_that_the_old_key_can_go(
        make_app: Callable[..., Flask], db_url: str) -> None:
    store_customer(make_app(db_url))
    new = Fernet.generate_key().decode()
    both = make_app(db_url, upgrade=False, KASSA_ENCRYPTION_KEY=f"{new},{TEST_KEY}")
    result = both.test_cli_runner().invoke(args=["kassa", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 identity numbers" in result.output

    only_new = make_app(db_url, upgrade=False, KASSA_ENCRYPTION_KEY=new)
    state = get_state(only_new)
    person = parse_personal_id("SE", SE_ID, today=date(2026, 12, 1))
    with state.db.session() as session:
        customer = session.scalars(select(Customer).where(
            Customer.personal_id_digest == state.vault.digest(person))).one()
        assert state.vault.reveal(customer) == person.compact
    with pytest.raises(ConfigurationError, match="KASSA_ENCRYPTION_KEY"):
        make_app(db_url, upgrade=False)  # the old key alone no longer opens it


def test_rotate_key_needs_a_new_key_in_front(make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url)
    result = app.test_cli_runner().invoke(args=["kassa", "rotate-key"])
    assert result.exit_code != 0
    assert "lists one key" in result.output


def test_the_demo_generates_its_secret_key_once_and_keeps_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop = {"KASSA_ENCRYPTION_KEY": TEST_KEY, "KASSA_PUBLIC_URL": "http://127.0.0.1:5000"}
    first = create_app(str(tmp_path), **shop)
    second = create_app(str(tmp_path), **shop)
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert create_app(str(tmp_path / "other"), **shop).config[
        "SECRET_KEY"] != first.config["SECRET_KEY"]
