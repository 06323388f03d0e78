"""Checkout pages for shoppers: the payment options page, the hosted checkout and its bank-ID
identification round trip.

The hosted page works without JavaScript. It lists the shop's own payment methods first (as a
link back to the shop), then the invoice and the instalment offers with every figure the
law asks for, none preselected. Views stay thin: the checkout service decides, the page shows
its decision, and a refused confirmation changes nothing in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from ..config import COUNTRY_CURRENCY
from ..db.models import Agreement, CheckoutSession
from ..errors import KassaHTTPError
from ..i18n import document_filename, format_money, normalize_locale
from ..i18n import gettext as _
from ..notify.outbox import deliver_now
from ..pages import page_blueprint, public_url_for
from ..services.checkout import (
    confirm_checkout,
    find_checkout_session,
    record_verified_identity,
    refresh_expiry,
    session_offers,
)
from ..services.credit_assessment import find_reviewable_decision, request_review
from ..services.credit_documents import (
    agreement_documents,
    needs_credit_documents,
    precontract_for_session,
)
from ..services.links import invoice_token
from ..services.offers import offers_for_amount
from ..services.reminder_policy import late_payment_terms
from ..state import get_state, request_session, transaction
from .advertising import credit_warning, representative_example
from .forms import (
    AUTOMATED_DECISION_MESSAGE,
    CheckoutForm,
    CreditReviewForm,
    error_placement,
    identification_message,
)
from .identity_provider import IdentificationError, IdentityProvider, OidcIdentityProvider
from .widget import widget_json

# Shops listed in KASSA_FRAME_ANCESTORS may embed these pages; the options page and the
# widget's texts are public.
checkout = page_blueprint("kassa_checkout", __name__, framable=True,
                          public=("payment_options", "widget_json"))
checkout.add_url_rule("/widget.json", view_func=widget_json)

#: Flask-session key of the identification in progress (state, nonce, checkout, choices).
_PENDING_KEY = "kassa_identification"
#: Flask-session key of the choices a shopper made before leaving to identify.
_CHOICES_KEY = "kassa_checkout_choices"
#: This browser's random id (its digest is kept with a bank-ID sign-in made in it).
_BROWSER_KEY = "kassa_browser"
#: The checkout sessions this browser completed (the newest few): its thank-you pages.
_COMPLETED_KEY = "kassa_completed"
_COMPLETED_KEPT = 5
#: Where a host app may put its own :class:`IdentityProvider`.
IDENTITY_PROVIDER_KEY = "kassa_identity_provider"


def clock() -> tuple[datetime, date]:
    """The moment (UTC) and the business date of this request; tests may replace it."""
    return datetime.now(UTC), date.today()


@checkout.get("/options")
def payment_options():
    """Every payment option for an amount, with the disclosures the law asks for."""
    config = get_state().config
    country = request.args.get("country", config.countries[0]).upper()
    error = None
    offers = []
    try:
        amount = int(request.args.get("amount", ""))
        offers = offers_for_amount(
            config, amount, COUNTRY_CURRENCY.get(country, ""), country, date.today()
        )
    except ValueError:
        error = _("Please give the amount in cents, for example 12990.")
    except KassaHTTPError:
        error = _("We cannot offer invoice or instalments for this purchase.")
    status = 400 if error else 200
    examples = {offer.id: representative_example(offer, date.today()) for offer in offers}
    return render_template(
        "kassa/checkout/options.html", offers=offers, error=error, country=country,
        examples=examples, credit_warning=credit_warning(offers),
    ), status


# -- the hosted page -------------------------------------------------------------------------


@checkout.route("/<session_id>", methods=["GET", "POST"])
def hosted(session_id: str) -> Any:
    """The hosted checkout: GET shows the offers, POST confirms the shopper's choice."""
    cs = _open_session(session_id)
    if not isinstance(cs, CheckoutSession):
        return cs
    state = get_state()
    strong = _needs_strong_auth(cs)
    form = CheckoutForm(needs_typed_identity=not strong, country=cs.country)
    if request.method == "GET":
        _restore_choices(form, cs)
        errors = {}
        why = identification_message(request.args.get("identification", ""), cs.country)
        if why:
            errors["personal_id"] = why
        return _page(cs, form, errors, 200)

    valid = form.validate_on_submit()
    if form.csrf_failed:
        return _stale_form(cs)
    if cs.status == "completed":  # a second click on the button: the order exists once
        return _after_confirmation(cs)
    if cs.status != "open":
        return _closed(cs)
    if not valid:
        return _page(cs, form, form.field_errors(), 422)
    if strong and not _verified_here(cs):  # signed in in another browser, or not at all
        field, message = error_placement("checkout.identification_required", cs.country)
        return _page(cs, form, {field or "notice": message}, 422)
    now, today = _clock()
    try:
        with transaction() as db:
            result = confirm_checkout(
                db,
                state,
                cs,
                offer_id=form.offer.data or "",
                channel=form.channel.data or "",
                personal_id=None if strong else form.personal_id.data,
                consent=bool(form.consent.data),
                today=today,
                now=now,
                base_url=get_state().config.public_url,
            )
            issued = [invoice.id for invoice in result.invoices]
    except KassaHTTPError as exc:
        cs = _reload(session_id)
        if exc.code in ("checkout.expired", "checkout.cancelled"):
            return _closed(cs)
        field, message = error_placement(exc.code, cs.country)
        errors = {field or "notice": message}
        if exc.code == "checkout.register_unavailable":
            return _page(cs, form, errors, 503, declined=True, unavailable=True)
        decision = exc.params.get("decision_id") if exc.code == "checkout.declined" else None
        return _page(cs, form, errors, 422, declined=exc.code == "checkout.declined",
                     review_url=url_for(".credit_review", session_id=cs.id,
                                        decision_id=decision, **_lang_arg())
                     if decision else None)
    session.pop(_PENDING_KEY, None)
    session.pop(_CHOICES_KEY, None)
    _remember_completed(cs.id)
    # This order's invoice e-mail, while the shopper is still here; nothing else (hooks, SMS,
    # hand-overs wait for the outbox worker, so no slow receiver holds up this page).
    deliver_now(state, now=now, invoice_ids=issued)
    return _after_confirmation(_reload(session_id))


@checkout.get("/<session_id>/done")
def done(session_id: str) -> Any:
    """The thank-you page: what was bought and where to find the invoice, to the browser that
    completed the checkout; anyone else with the address gets the thanks without personal
    data (no name, amounts or invoice links)."""
    cs = _open_session(session_id, allow_completed=True)
    if not isinstance(cs, CheckoutSession):
        return cs
    if cs.status != "completed":
        return _closed(cs) if cs.status != "open" else redirect(_hosted_url(cs))
    shop_url = (_with_params(cs.return_url, kassa_session=cs.id, status="completed")
                if cs.return_url else None)
    if cs.id not in session.get(_COMPLETED_KEY, ()):
        return render_template("kassa/checkout/done.html", cs=cs, agreement=None, invoices=[],
                               links={}, shop_url=shop_url, private=False)
    agreement = request_session().scalar(select(Agreement).where(Agreement.order_id == cs.order_id))
    invoices = sorted(agreement.invoices, key=lambda i: i.due_date) if agreement else []
    links = {invoice.id: _invoice_link(invoice.id) for invoice in invoices}
    kept = agreement_documents(request_session(), agreement.id) if agreement else []
    documents = {d.kind: url_for(".credit_document", session_id=cs.id, kind=d.kind)
                 for d in kept}
    return render_template(
        "kassa/checkout/done.html",
        cs=cs,
        agreement=agreement,
        invoices=invoices,
        links=links,
        documents=documents,
        shop_url=shop_url,
        private=True,
    )


# -- credit documents ------------------------------------------------------------------------


@checkout.get("/<session_id>/precontract/<offer_id>.pdf")
def precontract(session_id: str, offer_id: str) -> Any:
    """The pre-contract information of one of the session's credit offers, as a PDF in the
    page's language: for an open session only, to whoever may see its page."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None:
        return _document_missing()
    _use_locale(cs)
    now, today = _clock()
    with transaction() as db:
        refresh_expiry(db, cs, now)
    config = get_state().config
    offer = next((o for o in session_offers(config, cs, today)
                  if o.id == offer_id and needs_credit_documents(o)), None)
    if cs.status != "open" or offer is None:
        return _document_missing()
    data = precontract_for_session(config, cs, offer, g.kassa_locale, today)
    return _pdf(data, document_filename("precontract", offer.id, g.kassa_locale))


@checkout.get("/<session_id>/documents/<kind>.pdf")
def credit_document(session_id: str, kind: str) -> Any:
    """A credit document kept at confirmation (the agreement, the pre-contract information),
    exactly as sent, to the browser that completed the checkout."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None or cs.status != "completed" or cs.id not in session.get(_COMPLETED_KEY, ()):
        return _document_missing()
    _use_locale(cs)
    db = request_session()
    agreement = db.scalar(select(Agreement).where(Agreement.order_id == cs.order_id))
    kept = agreement_documents(db, agreement.id) if agreement is not None else []
    document = next((d for d in kept if d.kind == kind), None)
    if document is None:
        return _document_missing()
    return _pdf(document.content, document_filename(kind, cs.external_id, document.locale))


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _document_missing() -> tuple[str, int]:
    return render_template(
        "kassa/checkout/state.html",
        cs=None,
        heading=_("Document not found"),
        message=_("This document is not available. Please go back to the checkout page."),
        retry=False,
    ), 404


@checkout.route("/<session_id>/review/<decision_id>", methods=["GET", "POST"])
def credit_review(session_id: str, decision_id: str) -> Any:
    """Ask a person to review an automated decline: GET shows the request, the form's POST
    makes it (once per decision) and thanks the shopper. The decision's id is only shown to
    the browser that was declined, and in the storefront API's answer."""
    db = request_session()
    cs = find_checkout_session(db, session_id)
    decision = find_reviewable_decision(db, cs, decision_id) if cs is not None else None
    if cs is not None:
        _use_locale(cs)
    if cs is None or decision is None:
        return render_template(
            "kassa/checkout/state.html", cs=cs, retry=False,
            heading=_("We could not find this decision"),
            message=_("Please contact the shop's customer service, and we will help you."),
        ), 404
    form = CreditReviewForm()
    if request.method == "POST":
        valid = form.validate_on_submit()
        if form.csrf_failed:
            return _stale_form(cs)
        if valid:
            now, _today = _clock()
            with transaction() as db:
                request_review(db, cs, decision_id, now=now, via="hosted_page",
                               note=form.note.data)
            return _state_page(cs, _(
                "A person from our customer service will go through the decision and contact "
                "you at %(email)s. You are welcome to complete your purchase with another "
                "payment method in the meantime.", email=cs.customer.get("email", "")), 200,
                heading=_("Thank you, we will look at the decision again"))
    return render_template(
        "kassa/checkout/review.html", cs=cs, form=form,
        automated_message=AUTOMATED_DECISION_MESSAGE,
        errors=_review_errors(form) if request.method == "POST" else {},
        form_action=url_for(".credit_review", session_id=cs.id, decision_id=decision_id,
                            **_lang_arg()),
    ), 422 if request.method == "POST" else 200


def _review_errors(form: CreditReviewForm) -> dict[str, str]:
    return {name: str(errors[0]) for name, errors in form.errors.items()
            if name != "csrf_token" and errors}


# -- strong identification -------------------------------------------------------------------


@checkout.route("/<session_id>/identify", methods=["GET", "POST"])
def identify(session_id: str) -> Any:
    """Send the shopper to the identity broker: only from the hosted form's CSRF-checked POST,
    in this browser's session (a GET, e.g. a link someone else sent, only shows the page).
    The offer and channel chosen so far are kept, so they are still chosen on return."""
    cs = _open_session(session_id)
    if not isinstance(cs, CheckoutSession):
        return cs
    if cs.status != "open" or not _needs_strong_auth(cs) or request.method != "POST":
        return redirect(_hosted_url(cs))
    form = CheckoutForm(needs_typed_identity=False)
    form.validate_on_submit()
    if form.csrf_failed:
        return _stale_form(cs)
    choices = {
        name: value
        for name, value in (("offer", form.offer.data), ("channel", form.channel.data))
        if value
    }
    provider = configured_identity_provider()
    if provider is None:
        return redirect(_hosted_url(cs, identification="unavailable"))
    pending = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "session_id": cs.id,
        "lang": normalize_locale(request.args.get("lang")),
        "choices": choices,
    }
    try:
        # Only with a hint configured: an integrator's own provider need not take one.
        hint = _purchase_hint(cs)
        target = provider.authorization_url(
            pending["state"], pending["nonce"], _callback_url(), g.kassa_locale,
            **({"login_hint": hint} if hint else {}),
        )
    except IdentificationError:
        current_app.logger.warning("Kassa: the identity broker is not reachable", exc_info=True)
        return redirect(_hosted_url(cs, identification="unavailable"))
    session[_PENDING_KEY] = pending
    return redirect(target)


@checkout.get("/identified")
def identified() -> Any:
    """The broker's answer: verify the ID token, keep the identity on the checkout session and
    go back to the hosted page (with a kind message if it did not work)."""
    pending = session.pop(_PENDING_KEY, None)
    cs = (
        find_checkout_session(request_session(), pending["session_id"])
        if isinstance(pending, dict) and pending.get("session_id")
        else None
    )
    if cs is None:
        return render_template(
            "kassa/checkout/state.html",
            cs=None,
            heading=_("Identification could not be completed"),
            message=_(
                "This identification is no longer valid. Please go back to the shop and start the "
                "checkout again."
            ),
            retry=False,
        ), 400
    lang = pending.get("lang")
    _use_locale(cs, lang)
    session[_CHOICES_KEY] = {"session_id": cs.id, **pending.get("choices", {})}
    now, _today = _clock()
    with transaction() as db:
        refresh_expiry(db, cs, now)
    if cs.status != "open":
        return redirect(_hosted_url(cs, lang=lang))
    provider = configured_identity_provider()
    if provider is None:
        return redirect(_hosted_url(cs, lang=lang, identification="unavailable"))
    try:
        identity = provider.verified_identity(
            request.args.to_dict(),
            state=pending["state"],
            nonce=pending["nonce"],
            redirect_uri=_callback_url(),
        )
        with transaction() as db:
            record_verified_identity(
                db, get_state(), cs, personal_id=identity.personal_id, name=identity.name,
                browser=_browser(),
            )
    except IdentificationError as exc:
        outcome = {"identification.denied": "denied", "identification.claim": "invalid"}.get(
            exc.code, "failed"
        )
        if outcome == "failed":
            current_app.logger.warning(
                "Kassa: identification failed: %s (%s)", exc.code, exc.message
            )
        return redirect(_hosted_url(cs, lang=lang, identification=outcome))
    except KassaHTTPError:  # the broker's number is not a valid number of the order's country
        return redirect(_hosted_url(cs, lang=lang, identification="invalid"))
    return redirect(_hosted_url(cs, lang=lang))


# -- helpers ---------------------------------------------------------------------------------


def _clock() -> tuple[datetime, date]:
    return clock()


def _open_session(session_id: str, *, allow_completed: bool = False) -> Any:
    """The checkout session in the page's locale, its expiry brought up to date; or the page
    to answer with (not found, or the thank-you page for a completed GET)."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None:
        return render_template(
            "kassa/checkout/state.html",
            cs=None,
            heading=_("Checkout not found"),
            message=_("We could not find this checkout. Please go back to the shop and try again."),
            retry=False,
        ), 404
    _use_locale(cs)
    now, _today = _clock()
    with transaction() as db:
        refresh_expiry(db, cs, now)
    if cs.status == "completed" and request.method == "GET" and not allow_completed:
        return redirect(url_for(".done", session_id=cs.id, **_lang_arg()))
    if cs.status in ("expired", "cancelled") and request.method == "GET":
        return _closed(cs)
    return cs


def _reload(session_id: str) -> CheckoutSession:
    cs = find_checkout_session(request_session(), session_id)
    assert cs is not None
    return cs


def _use_locale(cs: CheckoutSession, lang: str | None = None) -> None:
    """The session's language, unless the shopper chose another one with ``?lang=``."""
    g.kassa_locale = (
        normalize_locale(request.args.get("lang")) or normalize_locale(lang) or cs.locale
    )


def _lang_arg(chosen: str | None = None) -> dict[str, str]:
    """``{"lang": ...}`` when the shopper chose a language other than the session's."""
    lang = normalize_locale(request.args.get("lang")) or normalize_locale(chosen)
    return {"lang": lang} if lang else {}


def _hosted_url(cs: CheckoutSession, *, lang: str | None = None, **args: str) -> str:
    return url_for(".hosted", session_id=cs.id, **_lang_arg(lang), **args)


def _callback_url() -> str:
    return public_url_for(".identified")


def _needs_strong_auth(cs: CheckoutSession) -> bool:
    return cs.country in get_state().config.strong_auth_countries


def configured_identity_provider() -> IdentityProvider | None:
    """The host app's provider, else one built from ``KASSA_OIDC_*``; None if not set up."""
    custom = current_app.extensions.get(IDENTITY_PROVIDER_KEY)
    if custom is not None:
        return custom  # type: ignore[no-any-return]
    config = get_state().config
    if not (config.oidc_issuer and config.oidc_client_id):
        return None
    return OidcIdentityProvider(
        config.oidc_issuer,
        config.oidc_client_id,
        config.oidc_client_secret,
        config.oidc_personal_id_claim,
    )


def _restore_choices(form: CheckoutForm, cs: CheckoutSession) -> None:
    """Choices made before the bank-ID round trip are chosen again on return."""
    choices = session.get(_CHOICES_KEY)
    if isinstance(choices, dict) and choices.get("session_id") == cs.id:
        form.offer.data = choices.get("offer")
        form.channel.data = choices.get("channel")


def _usable_channels(cs: CheckoutSession) -> list[str]:
    """The merchant's channels this shopper can receive on (SMS needs a phone, a letter an
    address)."""
    customer = cs.customer
    usable = []
    for channel in get_state().config.channels:
        if channel == "sms" and not customer.get("phone"):
            continue
        if channel == "letter" and not (customer.get("street") and customer.get("city")):
            continue
        usable.append(channel)
    return usable


def _page(
    cs: CheckoutSession,
    form: CheckoutForm,
    errors: dict[str, str],
    status: int,
    *,
    declined: bool = False,
    unavailable: bool = False,
    review_url: str | None = None,
) -> tuple[str, int]:
    config = get_state().config
    _now, today = _clock()
    offers = session_offers(config, cs, today)
    strong = _needs_strong_auth(cs)
    return render_template(
        "kassa/checkout/hosted.html",
        cs=cs,
        form=form,
        errors=errors,
        declined=declined,
        unavailable=unavailable,
        review_url=review_url,
        review_form=CreditReviewForm() if review_url else None,
        automated_message=AUTOMATED_DECISION_MESSAGE,
        invoice_offers=[o for o in offers if o.method == "invoice"],
        installment_offers=[o for o in offers if o.method != "invoice"],
        channels=_usable_channels(cs),
        late_payment=late_payment_terms(config, cs.country, today),
        precontract_urls={o.id: url_for(".precontract", session_id=cs.id, offer_id=o.id,
                                        **_lang_arg())
                          for o in offers if needs_credit_documents(o)},
        strong_auth=strong,
        verified=cs.verified_identity if strong and _verified_here(cs) else None,
        form_action=_hosted_url(cs),
        identify_url=url_for(".identify", session_id=cs.id, **_lang_arg()),
    ), status


def _closed(cs: CheckoutSession) -> tuple[str, int]:
    if cs.status == "expired":
        return _state_page(
            cs,
            _("This checkout has expired. Please go back to the shop and start again."),
            410,
            heading=_("This checkout has expired"),
        )
    if cs.status == "cancelled":
        return _state_page(
            cs,
            _("This checkout was cancelled. Please go back to the shop to continue shopping."),
            410,
            heading=_("This checkout was cancelled"),
        )
    return _state_page(cs, _("This checkout cannot be continued. Please go back to the shop."), 409)


def _stale_form(cs: CheckoutSession) -> tuple[str, int]:
    """A form without a valid CSRF token (missing, from another browser, or too old)."""
    message = _(
        "This page was open for a long time, so we could not accept the form. "
        "Please check your choices and send it again."
    )
    return _state_page(cs, message, 400, retry=True)


def _state_page(
    cs: CheckoutSession,
    message: str,
    status: int,
    *,
    heading: str | None = None,
    retry: bool = False,
) -> tuple[str, int]:
    return render_template(
        "kassa/checkout/state.html",
        cs=cs,
        message=message,
        heading=heading or _("Checkout"),
        retry=retry,
        retry_url=_hosted_url(cs),
    ), status


def _after_confirmation(cs: CheckoutSession) -> Response:
    """Back to the shop with the session id, or Kassa's thank-you page without a return URL."""
    if cs.return_url:
        return redirect(_with_params(cs.return_url, kassa_session=cs.id, status="completed"), 303)
    return redirect(url_for(".done", session_id=cs.id, **_lang_arg()), 303)


def _with_params(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def _invoice_link(invoice_id: int) -> str | None:
    """The shopper's invoice page, if the account pages are mounted."""
    try:
        return url_for(
            "kassa_account.invoice_page", token=invoice_token(invoice_id), lang=g.kassa_locale
        )
    except BuildError:
        return None


def _browser() -> str:
    """The digest of this browser's random id, kept in its signed session cookie."""
    if _BROWSER_KEY not in session:
        session[_BROWSER_KEY] = secrets.token_urlsafe(24)
    return hashlib.sha256(str(session[_BROWSER_KEY]).encode()).hexdigest()


def _verified_here(cs: CheckoutSession) -> bool:
    """Whether the session's bank-ID sign-in was made in this browser."""
    browser = (cs.verified_identity or {}).get("browser")
    return isinstance(browser, str) and hmac.compare_digest(browser, _browser())


def _remember_completed(session_id: str) -> None:
    completed = [s for s in session.get(_COMPLETED_KEY, ()) if s != session_id]
    session[_COMPLETED_KEY] = [*completed, session_id][-_COMPLETED_KEPT:]


def _purchase_hint(cs: CheckoutSession) -> str | None:
    """``KASSA_OIDC_PURCHASE_HINT`` filled with the merchant and the amount, in the page's
    language, so that a broker that can show it tells the shopper what they sign in for."""
    config = get_state().config
    if not config.oidc_purchase_hint:
        return None
    text = f"{config.shop_name}: {format_money(cs.total_minor, cs.currency)}"
    encoded = base64.b64encode(text.encode()).decode("ascii")
    return config.oidc_purchase_hint.format(text=text, text_base64=encoded)
