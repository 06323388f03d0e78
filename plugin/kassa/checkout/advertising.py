"""What every place that advertises credit says besides the offer: the representative
example and the warning that borrowing money costs money.

Directive (EU) 2023/2225 Art. 8 asks advertising that names a cost of credit for standard
information by way of a representative example (borrowing rate, charges, amount of credit,
APR, duration, cash price, total payable, instalment) and a clear and prominent warning that
borrowing money costs money. The widget, the payment options page and the hosted checkout
show both for every offer that is consumer credit (``Offer.consumer_credit``); an offer the
law exempts (a free deferral) is not advertised as credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..core.credit import Offer
from ..i18n import format_money, format_percent, ngettext
from ..i18n import gettext as _


def credit_warning(offers: Iterable[Offer]) -> str | None:
    """The warning, in the request's language, when any of ``offers`` is consumer credit;
    None when none is."""
    if not any(offer.consumer_credit for offer in offers):
        return None
    return _("Borrowing money costs money.")


def representative_example(offer: Offer, purchase_date: date) -> str | None:
    """The representative example of ``offer`` in one sentence, in the request's language:
    the purchase (cash price and credit amount), the duration, the nominal rate and every
    fee, the APR and the total to pay. None for an offer that is not consumer credit."""
    if not offer.consumer_credit:
        return None
    currency = offer.currency
    if offer.method == "invoice":
        days = max((offer.schedule[-1].due_date - purchase_date).days, 1)
        return ngettext(
            "Example: a purchase of %(amount)s paid in one payment after %(num)d day, with "
            "an invoice fee of %(fee)s, has an APR of %(apr)s and a total of %(total)s to pay.",
            "Example: a purchase of %(amount)s paid in one payment after %(num)d days, with "
            "an invoice fee of %(fee)s, has an APR of %(apr)s and a total of %(total)s to pay.",
            days, amount=format_money(offer.credit_amount, currency),
            fee=format_money(offer.setup_fee, currency), apr=format_percent(offer.apr),
            total=format_money(offer.total_payable, currency))
    return ngettext(
        "Example: a purchase of %(amount)s over %(num)d month at %(rate)s nominal interest, "
        "with a set-up fee of %(setup_fee)s and a monthly fee of %(monthly_fee)s, has an APR "
        "of %(apr)s and a total of %(total)s to pay.",
        "Example: a purchase of %(amount)s over %(num)d months at %(rate)s nominal interest, "
        "with a set-up fee of %(setup_fee)s and a monthly fee of %(monthly_fee)s, has an APR "
        "of %(apr)s and a total of %(total)s to pay.",
        offer.months, amount=format_money(offer.credit_amount, currency),
        rate=format_percent(offer.nominal_rate),
        setup_fee=format_money(offer.setup_fee, currency),
        monthly_fee=format_money(offer.monthly_fee, currency),
        apr=format_percent(offer.apr), total=format_money(offer.total_payable, currency))
