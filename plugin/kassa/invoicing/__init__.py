"""The invoice as a document: what the shopper needs to pay it, in their language.

:func:`payment_details` gathers, once, what every rendering of an invoice shows (the PDF,
the e-mail, the invoice page): the merchant's account, the reference as printed, the
amount still to pay, the Finnish virtual bar code and whether an EPC QR code applies.
Documents are written in the shopper's language outside any request with
:func:`kassa.i18n.translator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..config import KassaConfig
from ..core.barcode import fi_virtual_barcode
from ..core.errors import KassaError
from ..core.references import display_reference
from ..db.models import Invoice

__all__ = ["PaymentDetails", "format_bankgiro", "format_iban", "format_plusgiro",
           "norwegian_account", "payment_details"]

#: The only currency an EPC (SEPA credit transfer) QR code can carry.
EPC_CURRENCY = "EUR"


@dataclass(frozen=True)
class PaymentDetails:
    """How to pay one invoice by bank transfer."""

    #: The payee: the merchant's name as on the account.
    payee: str
    #: The merchant's IBAN (compact), or None when no account is configured for the country.
    iban: str | None
    #: The merchant's BIC, or None with ``iban``.
    bic: str | None
    #: The reference, compact, as banks read it.
    reference: str
    #: The reference as printed (Finnish: groups of five from the right).
    reference_display: str
    #: What is still to pay, in minor units of ``currency``.
    amount_minor: int
    #: ISO 4217 code.
    currency: str
    #: The day the payment must arrive.
    due_date: date
    #: Finland: the 54-digit virtual bar code; None elsewhere or when it cannot be made.
    virtual_barcode: str | None
    #: Sweden: the merchant's Bankgiro and Plusgiro numbers as printed, where configured.
    bankgiro: str | None = None
    plusgiro: str | None = None
    #: Norway: the account number as Norwegians write it (``8601.11.17947``), paid with the KID.
    domestic_account: str | None = None

    @property
    def iban_display(self) -> str | None:
        """The IBAN in groups of four, as printed."""
        return format_iban(self.iban) if self.iban else None

    @property
    def has_epc_qr(self) -> bool:
        """Whether an EPC QR code applies: euros, an account, and something left to pay."""
        return self.currency == EPC_CURRENCY and self.iban is not None and self.amount_minor > 0


def format_iban(iban: str) -> str:
    """An IBAN in the printed form: groups of four characters (``FI37 1590 3000 0007 76``)."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def format_bankgiro(number: str) -> str:
    """A Bankgiro number as printed: the last four digits after a hyphen (``5050-1055``)."""
    return f"{number[:-4]}-{number[-4:]}"


def format_plusgiro(number: str) -> str:
    """A Plusgiro number as printed: the check digit after a hyphen (``412345`` →
    ``41234-5``)."""
    return f"{number[:-1]}-{number[-1]}"


def norwegian_account(iban: str) -> str:
    """The 11-digit Norwegian account number inside a Norwegian IBAN, as printed
    (``NO93 8601 1117 947`` → ``8601.11.17947``)."""
    bban = "".join(iban.split())[4:]
    return f"{bban[:4]}.{bban[4:6]}.{bban[6:]}"


def payment_details(invoice: Invoice, config: KassaConfig, *, amount_minor: int | None = None,
                    due_date: date | None = None) -> PaymentDetails:
    """The bank-transfer details of ``invoice``: the amount is its balance (amount, fees and
    interest less payments), so a reprint after a part payment asks only for the rest.

    A notice about the invoice (a reminder, more time) passes its own ``amount_minor`` and
    ``due_date``: its bar code and QR code then carry that amount and deadline.
    """
    account = config.bank_accounts.get(invoice.country)
    amount = invoice.balance_minor if amount_minor is None else amount_minor
    due = invoice.due_date if due_date is None else due_date
    barcode = None
    if invoice.country == "FI" and account is not None and amount > 0:
        try:
            barcode = fi_virtual_barcode(account.iban, amount, invoice.reference, due)
        except KassaError:
            barcode = None  # a million euros or more: the bar code has no room for it
    sweden = invoice.country == "SE"
    try:
        shown = display_reference(invoice.country, invoice.reference, invoice.reference_scheme)
    except KassaError:
        shown = invoice.reference  # an imported reference we cannot validate: print as is
    return PaymentDetails(
        payee=config.shop_name,
        iban=account.iban if account else None,
        bic=account.bic if account else None,
        reference="".join(invoice.reference.split()),
        reference_display=shown,
        amount_minor=amount,
        currency=invoice.currency,
        due_date=due,
        virtual_barcode=barcode,
        bankgiro=format_bankgiro(config.bankgiro) if sweden and config.bankgiro else None,
        plusgiro=format_plusgiro(config.plusgiro) if sweden and config.plusgiro else None,
        domestic_account=(norwegian_account(account.iban)
                          if invoice.country == "NO" and account is not None else None),
    )
