"""The shopper's signed invoice links: the fast token is itsdangerous's own token."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from itsdangerous import URLSafeSerializer

from kassa.services.links import (
    InvoiceLink,
    invoice_id_from_token,
    invoice_token,
    read_invoice_token,
)

#: Ids up to the largest the BIGINT id column holds.
IDS = [*range(0, 300), 4_095, 65_536, 1_234_567, 2**31 - 1, 2**53 + 7, 2**63 - 1]


def test_the_token_is_the_one_itsdangerous_makes_and_reads_back() -> None:
    made = datetime(2026, 12, 2, 15, 30, 12, 345000, tzinfo=UTC)
    for secret in ("s3cret", "another key with spaces and ä"):
        app = Flask(__name__)
        app.secret_key = secret
        reference = URLSafeSerializer(secret, salt="kassa-invoice-link")
        with app.app_context():
            for invoice_id in IDS:
                token = invoice_token(invoice_id, made)
                assert token == reference.dumps([invoice_id, round(made.timestamp() * 1000)])
                assert read_invoice_token(token) == InvoiceLink(invoice_id, made)
            # Far beyond any id itsdangerous would compress the payload; still a valid token.
            assert invoice_id_from_token(invoice_token(10**30)) == 10**30
            # A link made before links carried their moment still opens its invoice.
            assert read_invoice_token(reference.dumps(42)) == InvoiceLink(42, None)


def test_a_token_of_another_secret_or_salt_or_not_an_id_is_refused() -> None:
    app = Flask(__name__)
    app.secret_key = "s3cret"
    with app.app_context():
        token = invoice_token(42)
        for bad in (URLSafeSerializer("other", salt="kassa-invoice-link").dumps(42),
                    URLSafeSerializer("s3cret", salt="another-salt").dumps(42),
                    URLSafeSerializer("s3cret", salt="kassa-invoice-link").dumps("42"),
                    URLSafeSerializer("s3cret", salt="kassa-invoice-link").dumps(True),
                    token[:-1] + ("A" if token[-1] != "A" else "B")):
            assert invoice_id_from_token(bad) is None
    app.secret_key = "rotated"
    with app.app_context():  # a new secret key gives new tokens at once
        assert invoice_id_from_token(token) is None
        assert invoice_token(42) != token
