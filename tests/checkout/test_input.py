"""The hosted checkout form refuses control characters as the JSON API does, with a kind
message in the shopper's language, and confirms nothing."""

from __future__ import annotations

import pytest
from flask import Flask

from kassa.db import Order
from kassa.i18n import catalog

from .support import PREFIX, SE_ID, count, csrf_token, open_session

MESSAGE = ("This field contains characters we cannot accept, such as line breaks. Please "
           "check it and try again.")
#: The message as a native speaker of each language writes it.
WRITTEN = {
    "fi": "Kentässä on merkkejä, joita emme valitettavasti voi ottaa vastaan, esimerkiksi "
    "rivinvaihtoja. Tarkistathan kentän ja yritä sitten uudelleen.",
    "sv": "Fältet innehåller tecken som vi tyvärr inte kan ta emot, till exempel radbrytningar. "
    "Kontrollera gärna fältet och försök igen.",
    "nb": "Feltet inneholder tegn vi dessverre ikke kan ta imot, for eksempel linjeskift. Se "
    "gjerne over feltet og prøv igjen.",
}


@pytest.mark.parametrize("locale", ["fi", "sv", "nb"])
def test_the_message_is_translated(locale: str) -> None:
    assert catalog(locale).ugettext(MESSAGE) == WRITTEN[locale]


@pytest.mark.parametrize(
    ("locale", "field", "value"),
    [
        ("sv", "personal_id", "19811218\x00-9876"),
        ("fi", "personal_id", "19811218\u2028-9876"),
        ("nb", "offer", "se-invoice-14\r\nX"),
        ("sv", "channel", "email\x1b"),
    ],
)
def test_a_control_character_in_the_form_is_refused_in_the_shoppers_language(
    app: Flask, locale: str, field: str, value: str
) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}?lang={locale}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "offer": "se-invoice-14", "channel": "email",
            "personal_id": SE_ID, "consent": "y", field: value}
    response = client.post(f"{PREFIX}/{session_id}?lang={locale}", data=form)
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert f'id="{field}-error">{WRITTEN[locale]}</p>' in shown
    assert count(app, Order) == 0


@pytest.mark.parametrize("path", ["cs_1%00", "cs_1%00/done", "cs_1%0D%0A", "cs_" + "x" * 200])
def test_a_session_id_no_session_can_have_is_simply_not_found(app: Flask, path: str) -> None:
    response = app.test_client().get(f"{PREFIX}/{path}")
    assert response.status_code == 404
    assert "Checkout not found" in response.get_data(as_text=True)
