"""The OpenAPI 3.1 document of the storefront API, version 1.

Written by hand as a Python dict, next to the views it describes; a test checks that every
route of the blueprint is in it and that it names nothing the blueprint does not serve.
Amounts are integers in minor units (cents, öre, øre); rates are percent strings.
"""

from __future__ import annotations

import copy
from typing import Any

from ..config import CHANNELS, LOCALES
from ..services.holds import HOLD_REASONS, MAX_HOLD_DAYS
from ..services.order_input import (
    CONTROL_RANGES,
    CUSTOMER_FIELDS,
    MAX_CHOICE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_LOCALE_LENGTH,
    MAX_PERSONAL_ID_LENGTH,
    MAX_QUANTITY,
    MAX_REFERENCE_LENGTH,
    MAX_URL_LENGTH,
    MAX_VAT_RATE_LENGTH,
)

#: Every error code the API answers with. Identity codes come from
#: :mod:`kassa.core.identity` with a ``checkout.`` prefix.
ERROR_CODES = (
    "request.json",
    "request.field",
    "request.not_found",
    "request.method",
    "request.too_large",
    "request.invalid",
    "request.idempotency_key",
    "request.in_progress",
    "request.rate_limited",
    "auth.invalid_key",
    "auth.scope",
    "offers.amount",
    "offers.country",
    "offers.currency",
    "offers.amount_limit",
    "checkout.country",
    "checkout.currency",
    "checkout.totals",
    "checkout.amount_limit",
    "checkout.lines",
    "checkout.duplicate",
    "checkout.not_found",
    "checkout.secret",
    "checkout.offer",
    "checkout.channel",
    "checkout.channel_phone",
    "checkout.channel_address",
    "checkout.consent",
    "checkout.identification_required",
    "checkout.identity.empty",
    "checkout.identity.country",
    "checkout.identity.format",
    "checkout.identity.checksum",
    "checkout.identity.temporary",
    "checkout.identity.birth_date",
    "checkout.identity.age_day",
    "checkout.age",
    "checkout.declined",
    "checkout.expired",
    "checkout.cancelled",
    "checkout.completed",
    "checkout.conflict",
    "order.not_found",
    "invoice.not_found",
    "hold.reason",
    "hold.status",
    "hold.due_date",
    "hold.until",
    "hold.too_long",
)

#: The largest KASSA_MAX_ORDER_AMOUNT of the defaults, in minor units; the served document
#: carries the app's own (:func:`openapi_document`).
DEFAULT_MAX_AMOUNT = 100_000_000
#: Text without control characters (kassa.services.order_input.CONTROL_CHARACTERS), which every
#: text field and path parameter refuses with 400 ``request.field``.
TEXT_PATTERN = "^[^" + "".join(
    f"\\u{first:04x}-\\u{last:04x}" for first, last in CONTROL_RANGES
    if last < 0xD800  # a JSON Schema pattern cannot name lone surrogates; the API refuses them
) + "]*$"


def _text(max_length: int, *, min_length: int = 1, **extra: Any) -> dict[str, Any]:
    """A text field: its length and the refusal of control characters."""
    return {"type": "string", "minLength": min_length, "maxLength": max_length,
            "pattern": TEXT_PATTERN, **extra}


_MINOR = {"type": "integer", "description": "Amount in minor units (cents, öre, øre)."}
_RATE = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]+)?$",
    "description": 'Percent a year as a decimal string, e.g. "9.9".',
}
_DATE = {"type": "string", "format": "date"}
_MOMENT = {"type": "string", "format": "date-time"}
_COUNTRY = {"type": "string", "enum": ["FI", "SE", "NO"]}
_CURRENCY = {"type": "string", "enum": ["EUR", "SEK", "NOK"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*pairs: tuple[int, str]) -> dict[str, Any]:
    """Error responses: status and the codes it may carry."""
    return {
        str(status): _json(_ref("Error"), f"Refused; `code` is one of: {codes}.")
        for status, codes in pairs
    }


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _text(100),
    }


_SESSION_ID = _path_parameter("session_id", "The checkout session's `id`.")
_AUTH_ERROR = (401, "`auth.invalid_key`")
_API_KEY = [{"storefrontKey": []}]
#: The support and review calls: a storefront key (its own data) or a back-office key.
_SUPPORT_KEY = [{"storefrontKey": []}, {"backofficeKey": []}]
_SCOPE_ERROR = (403, "`auth.scope`")

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {
                "type": "string",
                "enum": list(ERROR_CODES),
                "description": "Stable, machine-readable; never changes once released.",
            },
            "message": {
                "type": "string",
                "description": "For people, in the request's "
                "language (`?lang=` or `Accept-Language`: fi, sv, nb, en).",
            },
        },
    },
    "Instalment": {
        "type": "object",
        "required": ["number", "due_date", "amount", "principal", "interest", "fee"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "due_date": _DATE,
            "amount": _MINOR,
            "principal": _MINOR,
            "interest": _MINOR,
            "fee": _MINOR,
        },
    },
    "Offer": {
        "type": "object",
        "required": [
            "method",
            "id",
            "months",
            "nominal_rate",
            "apr",
            "setup_fee",
            "monthly_fee",
            "monthly_amount",
            "total_cost",
            "total_payable",
            "schedule",
        ],
        "properties": {
            "method": {"type": "string", "enum": ["invoice", "installments"]},
            "id": {"type": "string", "description": "Pass as `offer_id` to confirm."},
            "currency": _CURRENCY,
            "credit_amount": _MINOR,
            "months": {"type": "integer", "minimum": 0, "description": "0 for an invoice."},
            "nominal_rate": _RATE,
            "apr": {**_RATE, "description": "Annual percentage rate, one decimal (EU CCD)."},
            "setup_fee": _MINOR,
            "monthly_fee": _MINOR,
            "monthly_amount": _MINOR,
            "total_cost": _MINOR,
            "total_payable": _MINOR,
            "schedule": {
                "type": "array",
                "items": _ref("Instalment"),
                "description": "Every payment; the amounts add up to `total_payable` exactly.",
            },
        },
    },
    "Offers": {
        "type": "object",
        "required": ["currency", "country", "amount", "offers"],
        "properties": {
            "currency": _CURRENCY,
            "country": _COUNTRY,
            "amount": _MINOR,
            "offers": {
                "type": "array",
                "items": _ref("Offer"),
                "description": "Invoice first; options the amount does not qualify for are absent.",
            },
        },
    },
    "OrderLine": {
        "type": "object",
        "required": ["description", "quantity", "unit_price", "vat_rate"],
        "properties": {
            "description": _text(MAX_DESCRIPTION_LENGTH),
            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
            "unit_price": {
                **_MINOR,
                "minimum": 0,
                "maximum": DEFAULT_MAX_AMOUNT,
                "description": "Gross unit price in minor units; at most the country's "
                "KASSA_MAX_ORDER_AMOUNT (`checkout.amount_limit`).",
            },
            "vat_rate": {**_RATE, "maxLength": MAX_VAT_RATE_LENGTH,
                         "description": 'VAT percent, e.g. "25.5".'},
        },
    },
    "Customer": {
        "type": "object",
        "required": [name for name, (_longest, required) in CUSTOMER_FIELDS.items() if required],
        "properties": {
            name: _text(longest, min_length=1 if required else 0,
                        **({"format": "email"} if name == "email" else {}))
            for name, (longest, required) in CUSTOMER_FIELDS.items()
        },
    },
    "CheckoutSessionCreate": {
        "type": "object",
        "required": ["order", "customer", "return_url", "cancel_url"],
        "properties": {
            "order": {
                "type": "object",
                "required": ["reference", "currency", "country", "total", "lines"],
                "properties": {
                    "reference": _text(
                        MAX_REFERENCE_LENGTH,
                        description="The storefront's order id; one session per order.",
                    ),
                    "currency": _CURRENCY,
                    "country": _COUNTRY,
                    "total": {
                        **_MINOR,
                        "minimum": 1,
                        "maximum": DEFAULT_MAX_AMOUNT,
                        "description": "Must equal the sum of the lines; at most the "
                        "country's KASSA_MAX_ORDER_AMOUNT (`checkout.amount_limit`).",
                    },
                    "lines": {"type": "array", "minItems": 1, "items": _ref("OrderLine")},
                },
            },
            "customer": _ref("Customer"),
            "locale": {
                **_text(MAX_LOCALE_LENGTH, min_length=0),
                "examples": list(LOCALES),
                "description": "A language tag; fi, sv, nb (or no) and en are used, any other "
                "gives KASSA_DEFAULT_LOCALE.",
            },
            "return_url": _text(MAX_URL_LENGTH, format="uri"),
            "cancel_url": _text(MAX_URL_LENGTH, format="uri"),
        },
    },
    "CheckoutSessionCreated": {
        "type": "object",
        "required": ["id", "url", "client_secret", "status", "expires_at"],
        "properties": {
            "id": {"type": "string"},
            "url": {
                "type": "string",
                "format": "uri",
                "description": "The hosted checkout page; send the shopper there.",
            },
            "client_secret": {
                "type": "string",
                "description": "Give it to the embedded "
                "widget only; it authorizes the confirmation.",
            },
            "status": {"type": "string", "enum": ["open"]},
            "expires_at": _MOMENT,
        },
    },
    "CheckoutSession": {
        "type": "object",
        "required": [
            "id",
            "status",
            "order_reference",
            "country",
            "currency",
            "total",
            "expires_at",
            "invoices",
        ],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "completed", "cancelled", "expired"]},
            "order_reference": {"type": "string"},
            "country": _COUNTRY,
            "currency": _CURRENCY,
            "total": _MINOR,
            "locale": {"type": "string"},
            "expires_at": _MOMENT,
            "method": {"type": ["string", "null"], "enum": ["invoice", "installments", None]},
            "offer_id": {"type": ["string", "null"]},
            "channel": {"type": ["string", "null"]},
            "agreement_id": {"type": ["integer", "null"]},
            "invoices": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Numbers of the invoices issued so far.",
            },
            "return_url": {
                "type": "string",
                "format": "uri",
                "description": "Only in the answer to confirm.",
            },
        },
    },
    "Confirm": {
        "type": "object",
        "required": ["offer_id", "consent"],
        "properties": {
            "offer_id": _text(MAX_CHOICE_LENGTH),
            "channel": {
                "type": "string",
                "description": "Invoice delivery channel, one of "
                "KASSA_CHANNELS; default the first of them.",
                "enum": list(CHANNELS),
            },
            "personal_id": {
                "type": ["string", "null"],
                "maxLength": MAX_PERSONAL_ID_LENGTH,
                "pattern": TEXT_PATTERN,
                "description": "Personal identity "
                "number; omit where strong identification (OIDC) applies.",
            },
            "consent": {"type": "boolean", "const": True},
            "client_secret": {
                "type": "string",
                "description": "Instead of the Authorization header.",
            },
        },
    },
    "InvoiceEvent": {
        "type": "object",
        "required": ["kind", "at", "data"],
        "properties": {
            "kind": {"type": "string", "examples": ["issued", "sent", "paid"]},
            "at": _MOMENT,
            "data": {"type": "object"},
        },
    },
    "Invoice": {
        "type": "object",
        "required": [
            "number",
            "reference",
            "status",
            "amount",
            "balance",
            "currency",
            "due_date",
            "channel",
            "virtual_barcode",
            "events",
        ],
        "properties": {
            "number": {"type": "string"},
            "reference": {
                "type": "string",
                "description": "National payment reference (FI viitenumero or RF, SE OCR, NO KID).",
            },
            "status": {"type": "string"},
            "amount": _MINOR,
            "fees": _MINOR,
            "interest": _MINOR,
            "paid": _MINOR,
            "balance": _MINOR,
            "currency": _CURRENCY,
            "issue_date": _DATE,
            "due_date": _DATE,
            "channel": {"type": "string"},
            "instalment_number": {"type": ["integer", "null"]},
            "virtual_barcode": {
                "type": ["string", "null"],
                "description": "Finnish virtual bar code; null elsewhere.",
            },
            "events": {"type": "array", "items": _ref("InvoiceEvent")},
        },
    },
    "Fulfilment": {
        "type": "object",
        "required": ["order_reference", "invoices"],
        "properties": {
            "order_reference": {"type": "string"},
            "invoices": {"type": "array", "items": _ref("Invoice")},
        },
    },
}

_PATHS: dict[str, Any] = {
    "/offers": {
        "get": {
            "operationId": "listOffers",
            "summary": "Payment options for an amount",
            "description": "Public; no personal data; cacheable for 60 s.",
            "security": [],
            "parameters": [
                {
                    "name": "amount",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": DEFAULT_MAX_AMOUNT},
                    "description": "Minor units; at most the country's KASSA_MAX_ORDER_AMOUNT "
                    "(`offers.amount_limit`).",
                },
                {"name": "currency", "in": "query", "required": True, "schema": _CURRENCY},
                {"name": "country", "in": "query", "required": True, "schema": _COUNTRY},
            ],
            "responses": {
                "200": _json(_ref("Offers"), "The offers."),
                **_errors((400, "`offers.amount`, `offers.amount_limit`, `offers.country`, "
                           "`offers.currency`")),
            },
        }
    },
    "/checkout-sessions": {
        "post": {
            "operationId": "createCheckoutSession",
            "summary": "Open a checkout session",
            "security": _API_KEY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckoutSessionCreate")}},
            },
            "responses": {
                "201": _json(_ref("CheckoutSessionCreated"), "Opened."),
                **_errors(
                    (400, "`request.json`"),
                    _AUTH_ERROR,
                    (409, "`checkout.duplicate`"),
                    (413, "`request.too_large`"),
                    (
                        422,
                        "`checkout.totals`, `checkout.amount_limit`, `checkout.lines`, "
                        "`checkout.country`, `checkout.currency`, `request.field`",
                    ),
                ),
            },
        }
    },
    "/checkout-sessions/{session_id}": {
        "get": {
            "operationId": "getCheckoutSession",
            "summary": "A session's status and outcome",
            "security": _API_KEY,
            "parameters": [_SESSION_ID],
            "responses": {
                "200": _json(_ref("CheckoutSession"), "The session."),
                **_errors(_AUTH_ERROR, (404, "`checkout.not_found`")),
            },
        }
    },
    "/checkout-sessions/{session_id}/confirm": {
        "post": {
            "operationId": "confirmCheckoutSession",
            "summary": "Confirm the shopper's choice (idempotent)",
            "description": "Called by the hosted page and the embedded widget. A second call on "
            "a completed session answers as the first did; one order is made.",
            "security": [{"clientSecret": []}, {}],
            "parameters": [_SESSION_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Confirm")}},
            },
            "responses": {
                "200": _json(_ref("CheckoutSession"), "Confirmed."),
                **_errors(
                    (400, "`request.json`, `request.field`"),
                    (403, "`checkout.secret`"),
                    (404, "`checkout.not_found`"),
                    (
                        409,
                        "`checkout.expired`, `checkout.cancelled`, "
                        "`checkout.identification_required`, `checkout.conflict`",
                    ),
                    (
                        422,
                        "`checkout.offer`, `checkout.channel`, `checkout.consent`, "
                        "`checkout.identity.*`, `checkout.age`, `checkout.declined`",
                    ),
                ),
            },
        }
    },
    "/checkout-sessions/{session_id}/cancel": {
        "post": {
            "operationId": "cancelCheckoutSession",
            "summary": "Cancel an open session",
            "security": _API_KEY,
            "parameters": [_SESSION_ID],
            "responses": {
                "200": _json(_ref("CheckoutSession"), "Cancelled (or already over)."),
                **_errors(
                    _AUTH_ERROR, (404, "`checkout.not_found`"), (409, "`checkout.completed`")
                ),
            },
        }
    },
    "/orders/{external_id}/fulfil": {
        "post": {
            "operationId": "fulfilOrder",
            "summary": "The order shipped: issue its invoices",
            "description": "Issues the invoices when KASSA_ISSUE_INVOICE_ON is `fulfilment`; "
            "otherwise answers with those issued at confirmation. Idempotent.",
            "security": _API_KEY,
            "parameters": [_path_parameter("external_id", "The storefront's order reference.")],
            "responses": {
                "200": _json(_ref("Fulfilment"), "The order's invoices."),
                **_errors(_AUTH_ERROR, (404, "`order.not_found`")),
            },
        }
    },
    "/invoices/{number}": {
        "get": {
            "operationId": "getInvoice",
            "summary": "An invoice with its event trail",
            "security": _API_KEY,
            "parameters": [_path_parameter("number", "The invoice number.")],
            "responses": {
                "200": _json(_ref("Invoice"), "The invoice."),
                **_errors(_AUTH_ERROR, (404, "`invoice.not_found`")),
            },
        }
    },
    "/support-tasks": {
        "get": {
            "operationId": "listSupportTasks",
            "summary": "The support queue: overdue customers for the team to contact",
            "description": "Tasks the reminder engine created at the friendly contact, oldest "
            "deadline first (at most 500). Each carries the case the team's hooks receive: "
            "contact details, invoice, days overdue, segment, recommended channel and tone.",
            "security": _SUPPORT_KEY,
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["open", "done", "all"],
                                       "default": "open"}}],
            "responses": {
                "200": _json({"type": "object", "required": ["tasks"], "properties": {
                    "tasks": {"type": "array", "items": {"type": "object", "required": [
                        "id", "kind", "status", "segment", "due_at", "created_at", "case"],
                        "properties": {
                            "id": {"type": "integer"}, "kind": {"type": "string"},
                            "status": {"type": "string"},
                            "segment": {"type": ["string", "null"]},
                            "due_at": _MOMENT, "created_at": _MOMENT,
                            "case": {"type": "object"}}}}}}, "The tasks."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.field`")),
            },
        }
    },
    "/invoices/{number}/holds": {
        "post": {
            "operationId": "holdInvoice",
            "summary": "Pause the reminders: dispute, payment plan or more time",
            "description": "An extension moves the due date to `due_date` and pauses until "
            "it; a dispute or plan pauses until `until` or until the holds are ended. Neither "
            f"may lie more than {MAX_HOLD_DAYS} days ahead (`hold.too_long`).",
            "security": _SUPPORT_KEY,
            "parameters": [_path_parameter("number", "The invoice number.")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "properties": {
                    "reason": {"type": "string", "enum": list(HOLD_REASONS)},
                    "until": _DATE, "due_date": _DATE}}}}},
            "responses": {
                "200": _json(_ref("Invoice"), "The invoice, with the hold in its trail."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.json`, `request.field`"),
                          (404, "`invoice.not_found`"),
                          (422, "`hold.reason`, `hold.status`, `hold.due_date`, `hold.until`, "
                           "`hold.too_long`")),
            },
        }
    },
    "/invoices/{number}/holds/end": {
        "post": {
            "operationId": "endInvoiceHolds",
            "summary": "End the holds in force; reminders resume from the next run",
            "security": _SUPPORT_KEY,
            "parameters": [_path_parameter("number", "The invoice number.")],
            "responses": {
                "200": _json({"allOf": [_ref("Invoice"), {"type": "object", "properties": {
                    "holds_ended": {"type": "integer"}}}]}, "The invoice."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`invoice.not_found`")),
            },
        }
    },
    "/payments/unmatched": {
        "get": {
            "operationId": "listUnmatchedPayments",
            "summary": "Bank payments to review: no invoice has their reference",
            "description": "Payments read from bank statements (`flask kassa import-payments`) "
            "that were not booked: unknown reference, another currency than the invoice's, or "
            "a reversal of an earlier credit (negative amount). Oldest first.",
            "security": _SUPPORT_KEY,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["payments"],
                        "properties": {
                            "payments": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": [
                                        "id",
                                        "amount",
                                        "currency",
                                        "reference",
                                        "received_on",
                                        "external_id",
                                        "reason",
                                    ],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "amount": {
                                            **_MINOR,
                                            "description": "Minor units; negative for a reversal.",
                                        },
                                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                        "reference": {
                                            "type": ["string", "null"],
                                            "description": "The payment reference found, compact.",
                                        },
                                        "received_on": {
                                            **_DATE,
                                            "description": "The bank's booking day.",
                                        },
                                        "external_id": {
                                            "type": "string",
                                            "description": "`<account IBAN>:<bank's entry "
                                            "id>`; unique.",
                                        },
                                        "reason": {
                                            "type": "string",
                                            "enum": ["reference", "currency", "reversal"],
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "The review list (empty for a storefront key: bank payments belong to "
                    "no storefront).",
                ),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
}

#: Every POST takes an Idempotency-Key (kassa.api.idempotency).
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same POST again with the same key to get the first answer back "
    "(with `Idempotent-Replayed: true`) without doing anything twice; kept 24 hours. The same "
    "key with a different request is refused.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
for _item in _PATHS.values():
    if "post" in _item:
        _post = _item["post"]
        _post["parameters"] = [*_post.get("parameters", ()), _IDEMPOTENCY_KEY]
        _conflict = _post["responses"].get("409")
        _codes = "`request.idempotency_key`, `request.in_progress`"
        if _conflict is None:
            _post["responses"].update(_errors((409, _codes)))
        else:
            _conflict["description"] = _conflict["description"].rstrip(".") + ", " + _codes + "."



def _add_codes(responses: dict[str, Any], status: int, codes: list[str]) -> None:
    """Name ``codes`` among those ``status`` may carry, adding the response if it is new."""
    answer = responses.get(str(status))
    if answer is None:
        responses.update(_errors((status, ", ".join(f"`{c}`" for c in codes))))
        return
    missing = [f"`{c}`" for c in codes if f"`{c}`" not in answer["description"]]
    if missing:
        answer["description"] = answer["description"].rstrip(".") + ", " + ", ".join(missing) + "."


# What any request may be refused for before its operation runs (kassa.api.views): a path
# parameter with a control character or too long, a body nested too deep or too large, a
# malformed Idempotency-Key.
for _item in _PATHS.values():
    for _method, _operation in _item.items():
        _responses = _operation["responses"]
        if any(p["in"] == "path" for p in _operation.get("parameters", ())):
            _add_codes(_responses, 400, ["request.field"])
        if _method == "post":
            _add_codes(_responses, 400, ["request.json", "request.field"])
            _add_codes(_responses, 413, ["request.too_large"])

# Links from an opened session to what a storefront and its shopper do with it next, and from
# a confirmation to the invoices it issued: the paths a client walks (and stateful tests too).
_SESSION_LINK = {"session_id": "$response.body#/id"}
_PATHS["/checkout-sessions"]["post"]["responses"]["201"]["links"] = {
    "GetCheckoutSession": {"operationId": "getCheckoutSession", "parameters": _SESSION_LINK},
    "ConfirmCheckoutSession": {
        "operationId": "confirmCheckoutSession",
        "parameters": _SESSION_LINK,
        "requestBody": {"client_secret": "$response.body#/client_secret"},
        "description": "The shopper confirms, with the session's secret in the body.",
    },
    "CancelCheckoutSession": {"operationId": "cancelCheckoutSession",
                              "parameters": _SESSION_LINK},
}
_FIRST_INVOICE = {"number": "$response.body#/invoices/0"}
_PATHS["/checkout-sessions/{session_id}/confirm"]["post"]["responses"]["200"]["links"] = {
    "GetConfirmedSession": {"operationId": "getCheckoutSession", "parameters": _SESSION_LINK},
    "FulfilOrder": {"operationId": "fulfilOrder",
                    "parameters": {"external_id": "$response.body#/order_reference"}},
    "GetInvoice": {"operationId": "getInvoice", "parameters": _FIRST_INVOICE},
    "HoldInvoice": {"operationId": "holdInvoice", "parameters": _FIRST_INVOICE},
    "EndInvoiceHolds": {"operationId": "endInvoiceHolds", "parameters": _FIRST_INVOICE},
}

#: Every operation behind a credential may be refused over a rate limit (kassa.ratelimits):
#: API calls per storefront key, and the confirmation's identity and client-secret attempts.
_RATE_LIMITED = {
    **_json(_ref("Error"), "Over a rate limit; `code` is `request.rate_limited`. Wait the "
            "seconds in `Retry-After` before trying again."),
    "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer", "minimum": 1}}},
}
for _item in _PATHS.values():
    for _operation in _item.values():
        if _operation.get("security") != []:
            _operation["responses"]["429"] = _RATE_LIMITED

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Kassa storefront API",
        "version": "1",
        "description": "Pay by invoice and installments for Nordic shops. Amounts are integers "
        'in minor units; every error is `{"code", "message"}`.',
    },
    "servers": [{"url": "/kassa/api/v1"}],
    "security": _API_KEY,
    "paths": _PATHS,
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "storefrontKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "The storefront's key from KASSA_API_KEYS.",
            },
            "backofficeKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A merchant back-office key from KASSA_BACKOFFICE_KEYS; sees "
                "every storefront's data within its scopes (`support:read`, `support:write`, "
                "`payments:read`).",
            },
            "clientSecret": {
                "type": "http",
                "scheme": "bearer",
                "description": "The checkout session's `client_secret`.",
            },
        },
    },
}


def openapi_document(server_url: str, max_amount: int = DEFAULT_MAX_AMOUNT) -> dict[str, Any]:
    """The document, with ``server_url`` (the API's root, e.g. ``/kassa/api/v1``) as server
    and ``max_amount`` (the app's largest KASSA_MAX_ORDER_AMOUNT, minor units) as the
    ``maximum`` of every amount a client sends."""
    document = {**DOCUMENT, "servers": [{"url": server_url}]}
    if max_amount != DEFAULT_MAX_AMOUNT:
        document["paths"] = paths = copy.deepcopy(DOCUMENT["paths"])
        document["components"] = components = copy.deepcopy(DOCUMENT["components"])
        schemas = components["schemas"]
        for schema in (paths["/offers"]["get"]["parameters"][0]["schema"],
                       schemas["OrderLine"]["properties"]["unit_price"],
                       schemas["CheckoutSessionCreate"]["properties"]["order"]["properties"][
                           "total"]):
            schema["maximum"] = max_amount
    return document
