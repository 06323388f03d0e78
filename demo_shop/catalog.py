"""The demo shop's products: a handful of Nordic things, priced per country, VAT included."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .text import N_


@dataclass(frozen=True)
class Product:
    """One product with its price in minor units per currency and its VAT rate per country."""

    sku: str
    #: The English name, a message of the ``demo`` catalog: translate it where it is shown.
    name: str
    prices: dict[str, int]


PRODUCTS: tuple[Product, ...] = (
    Product("sauna-bucket", N_("Sauna bucket and ladle, Finnish pine"),
            {"EUR": 6990, "SEK": 79900, "NOK": 82900}),
    Product("wool-blanket", N_("Wool blanket, 130 × 180 cm"), {"EUR": 12900, "SEK": 149900,
                                                               "NOK": 152900}),
    Product("coffee-set", N_("Kuksa cup and coffee set"),
            {"EUR": 4490, "SEK": 49900, "NOK": 52900}),
    Product("lamp", N_("Pendant lamp, birch veneer"),
            {"EUR": 34900, "SEK": 399900, "NOK": 409900}),
    Product("ski-set", N_("Cross-country ski set"), {"EUR": 59900, "SEK": 689900, "NOK": 699900}),
)

#: Standard VAT rate per country (percent).
VAT_RATES: dict[str, Decimal] = {"FI": Decimal("25.5"), "SE": Decimal("25"), "NO": Decimal("25")}
#: Currency per country.
CURRENCIES: dict[str, str] = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}


def product(sku: str) -> Product | None:
    """The product with ``sku``, or None."""
    return next((p for p in PRODUCTS if p.sku == sku), None)
