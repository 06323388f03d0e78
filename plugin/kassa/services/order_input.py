"""A storefront's checkout request, read field by field.

Each reader returns the field's value or raises :class:`~kassa.errors.KassaHTTPError` naming
the field (``customer.name``, ``order.lines[0].description``): ``request.field`` for a missing
or malformed one (400 for control characters, else 422), ``checkout.lines`` and
``checkout.amount_limit`` for order lines. Nothing is written before every field is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import MoneyError
from ..core.money import Money
from ..core.money import OrderLine as LineValue
from ..errors import KassaHTTPError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Code points refused in every text field: C0 and C1 control characters (NUL, CR, LF, TAB,
#: ESC...), DEL, the Unicode line and paragraph separators, and lone surrogates. None belongs
#: in a name, an address, a URL or an id, and each can split a header, a log line or a letter,
#: or break the database's encoding. The API document describes the same ranges.
CONTROL_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), (0xD800, 0xDFFF))
#: Any of :data:`CONTROL_RANGES`.
CONTROL_CHARACTERS = re.compile(
    "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in CONTROL_RANGES) + "]")
#: Most units of one order line: far beyond any basket, far below what could overflow.
MAX_QUANTITY = 100_000
#: Longest return or cancel URL accepted.
MAX_URL_LENGTH = 2000
#: Longest order reference, line description, VAT rate text and language tag.
MAX_REFERENCE_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 300
MAX_VAT_RATE_LENGTH = 12
MAX_LOCALE_LENGTH = 35
#: Longest offer id or channel name, and typed identity number, in a confirmation.
MAX_CHOICE_LENGTH = 100
MAX_PERSONAL_ID_LENGTH = 40
#: The customer's fields: name -> (longest, required). The checkout reads them by this table
#: and the API document (kassa.api.openapi) describes them by it, so the two cannot drift.
CUSTOMER_FIELDS: dict[str, tuple[int, bool]] = {
    "name": (200, True),
    "email": (320, True),
    "phone": (40, False),
    "street": (200, False),
    "postal_code": (20, False),
    "city": (100, False),
}


def read_lines(raw: Any, currency: str, max_unit_price: int | None = None) -> list[LineValue]:
    """The order lines: 1 to :data:`MAX_QUANTITY` units each, unit prices in minor units of
    ``currency`` up to ``max_unit_price``, a description and a VAT rate in percent."""
    if not isinstance(raw, list) or not raw:
        raise KassaHTTPError("checkout.lines", "the order needs at least one line")
    lines = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise KassaHTTPError("checkout.lines", f"line {index + 1} must be an object")
        quantity, price = item.get("quantity"), item.get("unit_price")
        if isinstance(quantity, bool) or not isinstance(quantity, int) \
                or not 0 < quantity <= MAX_QUANTITY:
            raise KassaHTTPError("checkout.lines", f"line {index + 1}: quantity must be a "
                                 f"whole number from 1 to {MAX_QUANTITY}",
                                 line=index + 1)
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise KassaHTTPError("checkout.lines", f"line {index + 1}: unit_price must be a "
                                 "whole number of minor units",
                                 line=index + 1)
        if max_unit_price is not None and price > max_unit_price:
            raise KassaHTTPError("checkout.amount_limit", f"line {index + 1}: unit_price "
                                 f"{price} is above KASSA_MAX_ORDER_AMOUNT ({max_unit_price} "
                                 "minor units)", line=index + 1)
        description = read_text(item, "description", MAX_DESCRIPTION_LENGTH,
                                f"order.lines[{index}].description")
        try:
            if len(str(item.get("vat_rate"))) > MAX_VAT_RATE_LENGTH:  # "25.5", not 1 000 digits
                raise ValueError("vat_rate must be a percent such as '25.5'")
            rate = Decimal(str(item.get("vat_rate")))
            lines.append(LineValue(description=description,
                                   quantity=quantity, unit_price=Money(price, currency),
                                   vat_rate=rate))
        except (InvalidOperation, MoneyError, ValueError) as exc:
            raise KassaHTTPError("checkout.lines", f"line {index + 1}: {exc}",
                                 line=index + 1) from None
    return lines


def read_mapping(value: Any, name: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else ``request.field`` naming ``name``."""
    if not isinstance(value, Mapping):
        raise KassaHTTPError("request.field", f"{name} must be an object", field=name)
    return value


def refuse_control_characters(value: Any, field: str) -> None:
    """Raise 400 ``request.field`` naming ``field`` if ``value`` is text with a control
    character (:data:`CONTROL_CHARACTERS`); anything else passes to the caller's checks."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise KassaHTTPError("request.field", f"{field} must not contain control characters "
                             "(line breaks, tabs, NUL and the like)", status=400, field=field)


def read_text(data: Mapping[str, Any], name: str, limit: int, field: str | None = None) -> str:
    """``data[name]`` as text of 1 to ``limit`` characters, trimmed; ``field`` names it in
    the refusal (default ``name``)."""
    value = data.get(name)
    refuse_control_characters(value, field or name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise KassaHTTPError("request.field", f"{field or name} must be text of 1 to {limit} "
                             "characters", field=field or name)
    return value.strip()


def read_optional_text(data: Mapping[str, Any], name: str, limit: int,
                       field: str | None = None) -> str | None:
    """Like :func:`read_text`, but None for a missing or empty value."""
    return read_text(data, name, limit, field) if data.get(name) not in (None, "") else None


def read_email(value: Any) -> str:
    """An e-mail address no longer than :data:`CUSTOMER_FIELDS` allows, trimmed."""
    refuse_control_characters(value, "customer.email")
    longest = CUSTOMER_FIELDS["email"][0]
    if not isinstance(value, str) or len(value) > longest or not EMAIL.match(value.strip()):
        raise KassaHTTPError("request.field", "customer.email must be an e-mail address",
                             field="customer.email")
    return value.strip()


def read_url(value: Any, name: str) -> str:
    """An absolute http(s) URL of at most :data:`MAX_URL_LENGTH` characters."""
    # urlsplit drops tabs and line breaks without a word: look at the text as given first.
    refuse_control_characters(value, name)
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # an unbalanced [ in the host, a port that is not a number
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc \
            or len(value) > MAX_URL_LENGTH:
        raise KassaHTTPError("request.field", f"{name} must be an http(s) URL of at most "
                             f"{MAX_URL_LENGTH} characters", field=name)
    return str(value)


def read_customer(data: Mapping[str, Any]) -> dict[str, str | None]:
    """The customer's fields of :data:`CUSTOMER_FIELDS`, each checked and trimmed; an optional
    field that is missing or empty is None."""
    customer: dict[str, str | None] = {}
    for name, (longest, required) in CUSTOMER_FIELDS.items():
        if name == "email":
            customer[name] = read_email(data.get(name))
        elif required:
            customer[name] = read_text(data, name, longest, f"customer.{name}")
        else:
            customer[name] = read_optional_text(data, name, longest, f"customer.{name}")
    return customer
