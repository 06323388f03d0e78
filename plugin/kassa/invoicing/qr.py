"""The EPC QR code ("GiroCode", SEPA credit transfer) printed on euro invoices.

A banking app that scans it fills in payee, IBAN, BIC, amount and reference. The code can
carry euros only, so Swedish and Norwegian invoices have none.

The reference goes in the *structured* remittance field. The EPC guideline (EPC069-12)
names ISO 11649 RF references for it; Finnish banks also read the national reference
number there (Finance Finland's QR code guide for invoices), so a Finnish reference is put
there as it is rather than as free text, where a bank could not match it.
"""

from __future__ import annotations

import io
from decimal import Decimal

import segno
from segno import helpers

from ..core.money import minor_unit_exponent
from . import PaymentDetails

__all__ = ["epc_payload_amount", "epc_qr", "epc_qr_png", "epc_qr_svg"]

#: The EPC format's own limit on the payee name (characters).
_EPC_NAME_MAX = 70


def epc_payload_amount(details: PaymentDetails) -> Decimal:
    """The amount in the code: the balance in euros, two decimals (exact, no rounding)."""
    return Decimal(details.amount_minor).scaleb(-minor_unit_exponent(details.currency))


def epc_qr(details: PaymentDetails) -> segno.QRCode | None:
    """The EPC QR code of ``details``, or None where it does not apply (not euros, no
    account, nothing to pay)."""
    if not details.has_epc_qr or details.iban is None:
        return None
    return helpers.make_epc_qr(
        name=details.payee[:_EPC_NAME_MAX],
        iban=details.iban,
        amount=epc_payload_amount(details),
        reference=details.reference,
        bic=details.bic,
    )


def epc_qr_svg(details: PaymentDetails, *, title: str = "") -> str | None:
    """The code as an SVG document (text) for the invoice page, or None where it does not
    apply. ``title`` becomes the SVG's accessible name."""
    code = epc_qr(details)
    if code is None:
        return None
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, title=title or None,
              svgclass="kassa-qr", lineclass=None, encoding="utf-8")
    return out.getvalue().decode("utf-8")


def epc_qr_png(details: PaymentDetails, *, scale: int = 8) -> bytes | None:
    """The code as a black-and-white PNG of ``scale`` pixels per module, for the PDF; None
    where it does not apply."""
    code = epc_qr(details)
    if code is None:
        return None
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
