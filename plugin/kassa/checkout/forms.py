"""The hosted checkout's form: CSRF-protected, nothing preselected.

The form only checks what the shopper must fill in; whether an offer, a channel or an identity
number is acceptable is the checkout service's decision (:func:`confirm_checkout`), so that the
hosted page and the JSON API refuse the same things with the same codes.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, StopValidation

from ..i18n import lazy_gettext, pgettext
from ..services.credit_assessment import MAX_REVIEW_NOTE_LENGTH
from ..services.order_input import CONTROL_CHARACTERS


def no_control_characters(form: Form, field: Field) -> None:
    """Refuse a value with a line break, NUL or another control character, as the JSON API
    does (400 ``request.field``), with a message the shopper can act on."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise StopValidation(str(lazy_gettext(
            "This field contains characters we cannot accept, such as line breaks. Please "
            "check it and try again.")))



class CheckoutForm(FlaskForm):
    """Offer, delivery channel, identity number (unless verified by a bank ID) and consent."""

    #: The chosen offer's id. Radio buttons with no default: Finnish and Swedish law forbid
    #: preselecting a credit option.
    offer = RadioField(
        validate_choice=False,
        validators=[InputRequired(lazy_gettext("Please choose how you would like to pay.")),
                    no_control_characters],
    )
    #: How the invoice is delivered; one of ``KASSA_CHANNELS``.
    channel = RadioField(
        validate_choice=False,
        validators=[
            InputRequired(lazy_gettext("Please choose how you would like to receive the invoice.")),
            no_control_characters,
        ],
    )
    #: Typed identity number; ignored where strong identification applies.
    personal_id = StringField(filters=[lambda value: value.strip() if value else value],
                              validators=[no_control_characters])
    #: The credit consent checkbox.
    consent = BooleanField(
        validators=[InputRequired(lazy_gettext("Please accept the credit terms to continue."))]
    )

    def __init__(self, *args: Any, needs_typed_identity: bool = True,
                 country: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: False where strong identification replaces the typed number.
        self.needs_typed_identity = needs_typed_identity
        #: The checkout's country, which names the identity number in the messages.
        self.country = country

    def validate_personal_id(self, field: StringField) -> None:
        """The typed number is required unless a bank ID verifies the shopper."""
        if self.needs_typed_identity and not field.data:
            raise StopValidation(identity_message("checkout.identity.empty", self.country)
                                 or str(lazy_gettext("Please enter your personal identity "
                                                     "number.")))

    @property
    def csrf_failed(self) -> bool:
        """Whether the form's CSRF token is missing, expired or wrong."""
        return bool(self.meta.csrf and "csrf_token" in self.errors)

    def field_errors(self) -> dict[str, str]:
        """The first error of each field, keyed by field name (CSRF left out)."""
        return {
            name: str(errors[0])
            for name, errors in self.errors.items()
            if name != "csrf_token" and errors
        }


class CreditReviewForm(FlaskForm):
    """A declined shopper asks a person to review the decision, with an optional note."""

    #: What the shopper wants the reviewer to know; line breaks become spaces, and the
    #: service keeps the first MAX_REVIEW_NOTE_LENGTH characters (the field says so too).
    note = TextAreaField(filters=[lambda value: " ".join(value.split()) if value else value],
                         validators=[no_control_characters])
    max_note_length = MAX_REVIEW_NOTE_LENGTH

    @property
    def csrf_failed(self) -> bool:
        """Whether the form's CSRF token is missing, expired or wrong."""
        return bool(self.meta.csrf and "csrf_token" in self.errors)


#: A credit offer while the credit register does not answer (``checkout.register_unavailable``).
REGISTER_UNAVAILABLE_MESSAGE = lazy_gettext(
    "We cannot check the details needed for invoice and instalments right now. Please try "
    "again in a few minutes, or choose another way to pay.")
#: Beside every automated decline: it was automatic, and a person can look at it again.
AUTOMATED_DECISION_MESSAGE = lazy_gettext(
    "This decision was made automatically. You can ask a person from our customer service to "
    "look at it again.")

#: Where each checkout error code is shown on the page and what it says. ``None`` as the
#: field means the page-level notice (the decline block). Codes not listed fall back to their
#: prefix (``checkout.identity.*`` → ``checkout.identity``), then to the generic message.
_ERRORS: dict[str, tuple[str | None, Any]] = {
    "checkout.offer": (
        "offer",
        lazy_gettext(
            "This payment option is not available for this order. Please choose another one."
        ),
    ),
    "checkout.channel": (
        "channel",
        lazy_gettext("Please choose how you would like to receive the invoice."),
    ),
    "checkout.channel_phone": ("channel", lazy_gettext("Delivery by SMS needs a phone number.")),
    "checkout.channel_address": (
        "channel",
        lazy_gettext("Delivery by letter needs a postal address."),
    ),
    "checkout.consent": ("consent", lazy_gettext("Please accept the credit terms to continue.")),
    "checkout.identification_required": (
        "personal_id",
        lazy_gettext("Please identify yourself with your bank ID first."),
    ),
    "checkout.identity": (
        "personal_id",
        lazy_gettext("The personal identity number is not valid. Please check it."),
    ),
    "checkout.identity.empty": (
        "personal_id",
        lazy_gettext("Please enter your personal identity number."),
    ),
    "checkout.identity.format": (
        "personal_id",
        lazy_gettext("The personal identity number is not in the right format. Please check it."),
    ),
    "checkout.identity.temporary": (
        "personal_id",
        lazy_gettext(
            "A temporary identity number cannot be used. Please use your permanent personal "
            "identity number."
        ),
    ),
    "checkout.identity.birth_date": (
        "personal_id",
        lazy_gettext(
            "The birth date in the personal identity number is not valid. Please check it."
        ),
    ),
    "checkout.age": (
        "personal_id",
        lazy_gettext("You need to be 18 or older to pay by invoice or in instalments."),
    ),
    "checkout.declined": (
        None,
        lazy_gettext(
            "We are sorry, but we cannot offer invoice or instalments for this purchase this "
            "time. You are welcome to complete your purchase with another payment method at the "
            "shop."
        ),
    ),
    "checkout.conflict": (
        None,
        lazy_gettext("The checkout changed in the meantime. Please try again."),
    ),
    "checkout.register_unavailable": (None, REGISTER_UNAVAILABLE_MESSAGE),
}
_GENERIC = lazy_gettext("Something went wrong with your choice. Please check it and try again.")

#: Why identification with a bank ID did not give an identity (``?identification=`` on the
#: hosted page after the round trip).
IDENTIFICATION_MESSAGES: dict[str, Any] = {
    "denied": lazy_gettext(
        "The identification was cancelled. To pay by invoice or in "
        "instalments, please identify with your bank ID."
    ),
    "failed": lazy_gettext("We could not complete the identification. Please try again."),
    "invalid": lazy_gettext(
        "Your bank ID did not give us a personal identity number we can "
        "use for this purchase. Please choose another payment method."
    ),
    "unavailable": lazy_gettext(
        "Identification with a bank ID is not available right now. "
        "Please try again later or choose another payment method."
    ),
}


def error_placement(code: str, country: str | None = None) -> tuple[str | None, str]:
    """``(field name or None for the page notice, translated message)`` of an error code;
    ``country`` (the checkout's) names the identity number and the bank identification."""
    found = _ERRORS.get(code) or _ERRORS.get(code.rsplit(".", 1)[0])
    if found is None:
        return None, str(_GENERIC)
    field, message = found
    return field, identity_message(code, country) or str(message)


def identification_message(reason: str, country: str | None) -> str | None:
    """Why identification with the bank ID of ``country`` gave no identity (a reason of
    :data:`IDENTIFICATION_MESSAGES`), in the request's language; None for another reason."""
    if reason not in IDENTIFICATION_MESSAGES:
        return None
    return _country_messages(country).get(f"identification.{reason}") or str(
        IDENTIFICATION_MESSAGES[reason])


def identity_message(code: str, country: str | None) -> str | None:
    """The message of an identity error ``code`` (``checkout.identity.*``,
    ``checkout.identification_required``) naming ``country``'s own identity number and bank
    identification, in the request's language; None for other codes and countries.

    Each country's sentence is its own message (context: the country code), as the words
    change their form inside a sentence: "Anna henkilötunnuksesi", "Ange ditt personnummer".
    """
    if code == "checkout.identity.checksum":
        code = "checkout.identity"
    return _country_messages(country).get(code)


def _country_messages(country: str | None) -> dict[str, str]:
    if country == "FI":
        return {
            "checkout.identity.empty": pgettext("FI", "Please enter your personal identity code."),
            "checkout.identity": pgettext(
                "FI", "The personal identity code is not valid. Please check it."),
            "checkout.identity.format": pgettext(
                "FI", "The personal identity code is not in the right format. Please check it."),
            "checkout.identity.temporary": pgettext(
                "FI", "A temporary identity code cannot be used. Please use your permanent "
                "personal identity code."),
            "checkout.identity.birth_date": pgettext(
                "FI", "The birth date in the personal identity code is not valid. Please "
                "check it."),
            "checkout.identification_required": pgettext(
                "FI", "Please identify yourself with your online banking codes first."),
            "identification.denied": pgettext(
                "FI", "The identification was cancelled. To pay by invoice or in instalments, "
                "please identify yourself with your online banking codes."),
            "identification.invalid": pgettext(
                "FI", "The identification did not give us a personal identity code we can use "
                "for this purchase. Please choose another payment method."),
            "identification.unavailable": pgettext(
                "FI", "Identification with online banking codes is not available right now. "
                "Please try again later or choose another payment method."),
        }
    if country == "SE":
        return {
            "checkout.identity.empty": pgettext(
                "SE", "Please enter your personal identity number."),
            "checkout.identity": pgettext(
                "SE", "The personal identity number is not valid. Please check it."),
            "checkout.identity.format": pgettext(
                "SE", "The personal identity number is not in the right format. Please check "
                "it."),
            "checkout.identity.temporary": pgettext(
                "SE", "A temporary identity number cannot be used. Please use your personal "
                "identity number or coordination number."),
            "checkout.identity.birth_date": pgettext(
                "SE", "The birth date in the personal identity number is not valid. Please "
                "check it."),
            "checkout.identification_required": pgettext(
                "SE", "Please identify yourself with BankID first."),
            "identification.denied": pgettext(
                "SE", "The identification was cancelled. To pay by invoice or in instalments, "
                "please identify yourself with BankID."),
            "identification.invalid": pgettext(
                "SE", "BankID did not give us a personal identity number we can use for this "
                "purchase. Please choose another payment method."),
            "identification.unavailable": pgettext(
                "SE", "Identification with BankID is not available right now. Please try "
                "again later or choose another payment method."),
        }
    if country == "NO":
        return {
            "checkout.identity.empty": pgettext(
                "NO", "Please enter your national identity number."),
            "checkout.identity": pgettext(
                "NO", "The national identity number is not valid. Please check it."),
            "checkout.identity.format": pgettext(
                "NO", "The national identity number is not in the right format. Please check "
                "it."),
            "checkout.identity.temporary": pgettext(
                "NO", "A help number (H-number or FH-number) cannot be used. Please use your "
                "national identity number or D-number."),
            "checkout.identity.birth_date": pgettext(
                "NO", "The birth date in the national identity number is not valid. Please "
                "check it."),
            "checkout.identification_required": pgettext(
                "NO", "Please identify yourself with BankID first."),
            "identification.denied": pgettext(
                "NO", "The identification was cancelled. To pay by invoice or in instalments, "
                "please identify yourself with BankID."),
            "identification.invalid": pgettext(
                "NO", "BankID did not give us a national identity number we can use for this "
                "purchase. Please choose another payment method."),
            "identification.unavailable": pgettext(
                "NO", "Identification with BankID is not available right now. Please try "
                "again later or choose another payment method."),
        }
    return {}
