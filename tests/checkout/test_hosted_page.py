"""The hosted checkout page: what the shopper is shown, and how a confirmation is accepted or
refused (refusals change nothing and keep the shopper's choices)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import CheckoutSession, Invoice, Order
from kassa.i18n import catalog, format_money, format_numeric_day, format_percent
from kassa.invoicing.pdf import invoice_pdf
from kassa.services.checkout import session_offers
from tests.invoicing.support import pdf_text

from .support import (
    CANCEL_URL,
    PREFIX,
    RETURN_URL,
    SE_ID,
    Page,
    count,
    csrf_token,
    open_session,
    swedish_number,
    years_ago,
)


def translated(locale: str, message: str) -> str:
    """``message`` as the page in ``locale`` shows it (English until translators run)."""
    return catalog(locale).ugettext(message)


def confirm_form(page: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf_token(page),
        "offer": "se-invoice-14",
        "channel": "email",
        "personal_id": SE_ID,
        "consent": "y",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_page_lists_other_methods_first_then_invoice_then_installments_none_chosen(
    app: Flask,
) -> None:
    session_id = open_session(app)
    response = app.test_client().get(f"{PREFIX}/{session_id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    page = Page(text)
    assert 'lang="sv"' in text
    # the shop's own methods (the cancel URL) come before any credit option
    assert text.index(f'href="{CANCEL_URL}"') < text.index('data-offer="se-invoice-14"')
    assert page.offers == ["se-invoice-14", "se-3", "se-12"]
    assert [i["value"] for i in page.named("offer")] == page.offers
    assert all(i.get("type") == "radio" for i in page.named("offer"))
    assert [i for i in page.inputs if "checked" in i] == []
    assert "<details" in text  # the full schedule is one click away


def test_disclosures_on_the_page_equal_the_offers(app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    page = Page(app.test_client().get(f"{PREFIX}/{session_id}").get_data(as_text=True))
    state = get_state(app)
    with state.db.session() as db:
        offers = session_offers(state.config, db.get(CheckoutSession, session_id), date.today())
    installments = [o for o in offers if o.method == "installments"]
    assert len(installments) == 3
    for offer in installments:
        shown = page.terms[offer.id]
        assert shown["apr"] == format_percent(offer.apr, "sv")
        assert shown["nominal_rate"] == format_percent(offer.nominal_rate, "sv")
        assert shown["total_cost"] == format_money(offer.total_cost, "SEK", "sv")
        assert shown["total_payable"] == format_money(offer.total_payable, "SEK", "sv")
        assert shown["setup_fee"] == format_money(offer.setup_fee, "SEK", "sv")
        assert shown["monthly_fee"] == format_money(offer.monthly_fee, "SEK", "sv")
        assert shown["monthly_amount"] == format_money(offer.monthly_amount, "SEK", "sv")
        assert shown["months"] == str(offer.months)
    twelve = next(o for o in installments if o.months == 12)
    example = catalog("sv").ungettext(
        "Example: a purchase of %(amount)s over %(num)d month at %(rate)s nominal interest, "
        "with a set-up fee of %(setup_fee)s and a monthly fee of %(monthly_fee)s, has an APR "
        "of %(apr)s and a total of %(total)s to pay.",
        "Example: a purchase of %(amount)s over %(num)d months at %(rate)s nominal interest, "
        "with a set-up fee of %(setup_fee)s and a monthly fee of %(monthly_fee)s, has an APR "
        "of %(apr)s and a total of %(total)s to pay.", 12)
    filled = example % {
        "amount": format_money(twelve.credit_amount, "SEK", "sv"), "num": 12,
        "rate": format_percent(twelve.nominal_rate, "sv"),
        "setup_fee": format_money(twelve.setup_fee, "SEK", "sv"),
        "monthly_fee": format_money(twelve.monthly_fee, "SEK", "sv"),
        "apr": format_percent(twelve.apr, "sv"),
        "total": format_money(twelve.total_payable, "SEK", "sv")}
    assert filled in page.text  # the representative example, in Swedish, with these numbers


def test_lang_parameter_overrides_the_sessions_language(app: Flask) -> None:
    session_id = open_session(app)
    text = app.test_client().get(f"{PREFIX}/{session_id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in text
    assert f'action="{PREFIX}/{session_id}?lang=en"' in text


def test_post_without_csrf_token_is_refused(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    form = confirm_form(page)
    del form["csrf_token"]
    response = client.post(f"{PREFIX}/{session_id}", data=form)
    assert response.status_code == 400
    assert count(app, Order) == 0


def test_valid_confirmation_redirects_to_the_shop_with_one_invoice(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data=confirm_form(page))
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL
    assert parse_qs(target.query) == {"kassa_session": [session_id], "status": ["completed"]}
    with get_state(app).db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        assert cs.status == "completed" and cs.offer_id == "se-invoice-14"
        invoices = db.scalars(select(Invoice)).all()
        assert len(invoices) == 1 and invoices[0].amount_minor == 499000


def test_a_second_submit_does_not_make_a_second_order(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    form = confirm_form(page)
    first = client.post(f"{PREFIX}/{session_id}", data=form)
    second = client.post(f"{PREFIX}/{session_id}", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Order) == 1
    assert count(app, Invoice) == 1


def test_completed_checkout_shows_the_thank_you_page(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    client.post(f"{PREFIX}/{session_id}", data=confirm_form(page))
    again = client.get(f"{PREFIX}/{session_id}")
    assert again.status_code == 302
    assert urlsplit(again.headers["Location"]).path == f"{PREFIX}/{session_id}/done"
    done = client.get(f"{PREFIX}/{session_id}/done").get_data(as_text=True)
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice)).one()
        assert invoice.number in done
        assert invoice.due_date.strftime("%Y") in done


def test_the_thank_you_page_shows_personal_data_only_to_the_browser_that_completed_it(
        app: Flask) -> None:
    session_id = open_session(app)
    shopper, stranger = app.test_client(), app.test_client()
    page = shopper.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    shopper.post(f"{PREFIX}/{session_id}", data=confirm_form(page))
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice)).one()
    mine = shopper.get(f"{PREFIX}/{session_id}/done").get_data(as_text=True)
    assert invoice.number in mine and "/account/invoice/" in mine
    theirs = stranger.get(f"{PREFIX}/{session_id}/done")
    assert theirs.status_code == 200
    text = theirs.get_data(as_text=True)
    assert invoice.number not in text and "/account/invoice/" not in text
    assert "4\u00a0990" not in text and "4 990" not in text  # no amount either


def test_invalid_identity_number_is_refused_kindly_and_keeps_the_choices(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(
        f"{PREFIX}/{session_id}",
        data=confirm_form(page, offer="se-12", personal_id="19811218-9875"),
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert translated("sv", "The personal identity number is not valid. Please check it.") in text
    again = Page(text)
    assert again.checked("offer") == ["se-12"]
    assert again.named("personal_id")[0]["value"] == "19811218-9875"
    assert again.checked("consent") == ["y"]
    assert count(app, Order) == 0 and count(app, Invoice) == 0
    with get_state(app).db.session() as db:
        assert db.get(CheckoutSession, session_id).status == "open"


def test_a_shopper_under_18_is_refused(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    minor = swedish_number(years_ago(17, days=-30))
    response = client.post(f"{PREFIX}/{session_id}", data=confirm_form(page, personal_id=minor))
    assert response.status_code == 422
    assert translated(
        "sv", "You need to be 18 or older to pay by invoice or in instalments."
    ) in response.get_data(as_text=True)
    assert count(app, Order) == 0


def test_missing_answers_are_named_and_nothing_is_chosen_for_the_shopper(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for message in (
        "Please choose how you would like to pay.",
        "Please enter your personal identity number.",
        "Please accept the credit terms to continue.",
    ):
        assert translated("sv", message) in text
    assert Page(text).checked("offer") == []
    assert count(app, Order) == 0


def test_a_declined_shopper_is_pointed_to_other_payment_methods(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_OPEN_BALANCE_CAP={"SE": "100.00"})
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data=confirm_form(page))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    decline = text[text.index("data-kassa-decline") :]
    assert 'role="alert"' in text[text.rindex("<section", 0, text.index("data-kassa-decline")) :]
    assert f'href="{CANCEL_URL}"' in decline[: decline.index("</section>")]
    assert translated("sv", "Choose another payment method") in decline
    assert count(app, Order) == 0


def test_an_expired_checkout_says_so(app: Flask) -> None:
    session_id = open_session(app, now=datetime.now(UTC) - timedelta(days=1))
    client = app.test_client()
    response = client.get(f"{PREFIX}/{session_id}")
    assert response.status_code == 410
    assert translated("sv", "This checkout has expired") in response.get_data(as_text=True)
    assert client.get(f"{PREFIX}/cs_unknown").status_code == 404


@pytest.mark.parametrize("channels", [["email", "sms", "letter"]])
def test_delivery_channels_are_offered_without_a_default(
    make_app: Callable[..., Flask], db_url: str, channels: list[str]
) -> None:
    app = make_app(db_url, KASSA_CHANNELS=channels)
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert [i["value"] for i in Page(page).named("channel")] == channels
    assert Page(page).checked("channel") == []
    response = client.post(f"{PREFIX}/{session_id}", data=confirm_form(page, channel="sms"))
    assert response.status_code == 303
    with get_state(app).db.session() as db:
        assert db.scalars(select(Invoice.channel)).all() == ["sms"]


def test_the_plan_on_the_page_equals_the_api_and_the_pdf(app: Flask) -> None:
    """What the shopper confirms (the page), what the storefront reads (GET offers) and what
    the shopper keeps (the first instalment's PDF) show one plan: rates, totals, schedule."""
    session_id = open_session(app, total=1249900)
    client = app.test_client()
    html = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    shown = Page(html).terms["se-12"]
    api = client.get("/kassa/api/v1/offers?amount=1249900&currency=SEK&country=SE").get_json()
    offer = next(o for o in api["offers"] if o["id"] == "se-12")
    assert shown["apr"] == format_percent(Decimal(offer["apr"]), "sv")
    assert shown["total_cost"] == format_money(offer["total_cost"], "SEK", "sv")
    assert shown["total_payable"] == format_money(offer["total_payable"], "SEK", "sv")
    assert shown["monthly_amount"] == format_money(offer["monthly_amount"], "SEK", "sv")

    done = client.post(f"{PREFIX}/{session_id}", data=confirm_form(html, offer="se-12"))
    assert done.status_code == 303
    state = get_state(app)
    with state.db.session() as db:
        first = db.scalars(select(Invoice).where(Invoice.instalment_number == 1)).one()
        text = pdf_text(invoice_pdf(first, state.config, "sv"))
    plain = {key: value.replace("\u00a0", " ") for key, value in shown.items()}
    assert plain["apr"] in text and plain["nominal_rate"] in text
    assert plain["total_cost"] in text and plain["total_payable"] in text
    for item in offer["schedule"]:
        assert format_numeric_day(date.fromisoformat(item["due_date"]), "sv") in text
        assert format_money(item["amount"], "SEK", "sv").replace("\u00a0", " ") in text
