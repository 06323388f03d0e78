"""The OpenAPI 3.1 document of the storefront API, version 1.

Written by hand as a Python dict, next to the views it describes; a test checks that every
route of the blueprint is in it and that it names nothing the blueprint does not serve.
Amounts are integers in minor units (cents, öre, øre); rates are percent strings.
"""

from __future__ import annotations

import copy
from typing import Any

from ..config import CHANNELS, LOCALES
from ..core.early_repayment import KEEP_CHOICES
from ..services.conversations import MAX_FILES
from ..services.credit_assessment import MAX_REVIEW_NOTE_LENGTH
from ..services.customer_service import DISPUTE_REASONS, MAX_TEXT
from ..services.early_repayment import MAX_EXTERNAL_ID_LENGTH
from ..services.holds import (
    HOLD_REASONS,
    MAX_HOLD_DAYS,
    MAX_INSTALMENT_MINOR,
    MAX_PLAN_INSTALMENTS,
)
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
from .customer_service import (
    BUDGET_FIELDS,
    MAX_CITY_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_FILENAME_LENGTH,
    MAX_LIST,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_PHONE_LENGTH,
    MAX_PLAN_INVOICES,
    MAX_POSTAL_CODE_LENGTH,
    MAX_SLOT_LENGTH,
    MAX_STREET_LENGTH,
    MAX_SUBJECT_LENGTH,
    MAX_TOPIC_LENGTH,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    SHOPPER_HEADER,
    SURVEY_STATES,
    THREAD_STATUSES,
    base64_length,
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
    "checkout.register_unavailable",
    "checkout.expired",
    "checkout.cancelled",
    "checkout.completed",
    "checkout.conflict",
    "credit_review.not_found",
    "order.not_found",
    "invoice.not_found",
    "hold.reason",
    "hold.status",
    "hold.due_date",
    "hold.until",
    "hold.too_long",
    "agreement.not_found",
    "withdrawal.notice_day",
    "withdrawal.received_day",
    "withdrawal.too_late",
    "withdrawal.done",
    "withdrawal.not_credit",
    "early_repayment.method",
    "early_repayment.withdrawn",
    "early_repayment.not_issued",
    "early_repayment.day",
    "early_repayment.nothing_left",
    "early_repayment.amount",
    "early_repayment.duplicate",
    "early_repayment.conflict",
    "hold.plan",
    "shopper.not_found",
    "thread.not_found",
    "attachment.not_found",
    "service_request.not_found",
    "service_request.kind",
    "service.invalid",
    "service.not_found",
    "service.not_open",
    "service.on_hold",
    "service.days",
    "service.conflict",
    "service.consent",
    "service.plan_invoices",
    "service.plan_months",
    "service.plan_too_small",
    "service.identification",
    "service.plan_caps",
    "service.reason",
    "service.slot",
    "service.phone",
    "service.address",
    "service.channel",
    "service.no_phone",
    "service.too_long",
    "service.characters",
    "service.file_count",
    "service.file_empty",
    "service.file_size",
    "service.file_type",
    "service.file_virus",
    "service.message_empty",
    "service.decided",
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
            "decision_id": {
                "type": "string",
                "description": "With `checkout.declined` and `checkout.register_unavailable`: "
                "the recorded credit decision.",
            },
            "review_url": {
                "type": "string",
                "format": "uri",
                "description": "With `checkout.declined`: the page where the shopper asks a "
                "person to review the automated decision (or use reviewCreditDecision).",
            },
            "review_message": {
                "type": "string",
                "description": "With `checkout.declined`: tells the shopper, in the request's "
                "language, that the decision was automated and a person can review it.",
            },
        },
    },
    "CreditReviewRequest": {
        "type": "object",
        "properties": {
            "note": _text(MAX_REVIEW_NOTE_LENGTH, min_length=0,
                          description="What the shopper wants the reviewer to know."),
            "client_secret": {
                "type": "string",
                "description": "Instead of the Authorization header.",
            },
        },
    },
    "CreditReview": {
        "type": "object",
        "required": ["decision_id", "status"],
        "properties": {
            "decision_id": {"type": "string"},
            "status": {"type": "string", "enum": ["review_requested"]},
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
            "consumer_credit",
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
            "consumer_credit": {
                "type": "boolean",
                "description": "Whether the offer is consumer credit under the country's law "
                "(it carries interest or fees, or defers payment longer than the law exempts for "
                "the merchant's size): advertise it with the representative example and the "
                "warning that borrowing money costs money, and expect the pre-contract "
                "information, the credit agreement and the right of withdrawal to follow.",
            },
            "schedule": {
                "type": "array",
                "items": _ref("Instalment"),
                "description": "Every payment; the amounts add up to `total_payable` exactly.",
            },
        },
    },
    "LatePayment": {
        "type": "object",
        "description": "What paying late costs, for every offer: part of the credit terms "
        "to show beside the consent. The confirmed agreement keeps it as shown.",
        "required": ["currency", "reminder_fee", "late_interest_rate",
                     "reminder_fee_needs_agreement"],
        "properties": {
            "currency": _CURRENCY,
            "reminder_fee": {**_MINOR, "minimum": 0,
                             "description": "Fee of each fee-bearing payment reminder, minor "
                             "units; 0 when the shop charges none."},
            "late_interest_rate": {**_RATE, "description": "Late-payment interest in force "
                                   "today, percent a year (reference rate + the legal margin); "
                                   "it follows the legal rate as that changes."},
            "reminder_fee_needs_agreement": {
                "type": "boolean",
                "description": "True where a reminder fee may be charged only if agreed at "
                "the purchase (SE): show it so that confirming agrees to it.",
            },
        },
    },
    "Offers": {
        "type": "object",
        "required": ["currency", "country", "amount", "offers", "late_payment"],
        "properties": {
            "currency": _CURRENCY,
            "country": _COUNTRY,
            "amount": _MINOR,
            "offers": {
                "type": "array",
                "items": _ref("Offer"),
                "description": "Invoice first; options the amount does not qualify for are absent.",
            },
            "late_payment": _ref("LatePayment"),
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
                        "`checkout.identity.*`, `checkout.age`, `checkout.declined` (with "
                        "`decision_id`, `review_url` and `review_message`)",
                    ),
                    (503, "`checkout.register_unavailable` (with `decision_id`): the credit "
                     "register did not answer; try again later"),
                ),
            },
        }
    },
    "/checkout-sessions/{session_id}/credit-decisions/{decision_id}/review": {
        "post": {
            "operationId": "reviewCreditDecision",
            "summary": "Ask a person to review an automated decline",
            "description": "With the `decision_id` of a `checkout.declined` answer and the "
            "session's client secret. One support task (`credit_review`) per decision; asking "
            "again answers the same.",
            "security": [{"clientSecret": []}, {}],
            "parameters": [_SESSION_ID, _path_parameter(
                "decision_id", "The `decision_id` of the `checkout.declined` answer.")],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("CreditReviewRequest")}},
            },
            "responses": {
                "202": _json(_ref("CreditReview"), "A person will review the decision."),
                **_errors(
                    (400, "`request.json`, `request.field`"),
                    (403, "`checkout.secret`"),
                    (404, "`checkout.not_found`, `credit_review.not_found`"),
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
                    "until": _DATE, "due_date": _DATE,
                    "instalments": {
                        "type": "array", "minItems": 2, "maxItems": MAX_PLAN_INSTALMENTS,
                        "description": "A plan's instalments (reason `plan`): they add up "
                        "to the balance; the shopper gets a confirmation with the schedule.",
                        "items": {"type": "object", "required": ["due_date", "amount"],
                                  "properties": {"due_date": _DATE,
                                                 "amount": {
                                                     "type": "integer", "minimum": 1,
                                                     "maximum": MAX_INSTALMENT_MINOR}}}}}}}}},
            "responses": {
                "200": _json(_ref("Invoice"), "The invoice, with the hold in its trail."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.json`, `request.field`"),
                          (404, "`invoice.not_found`"),
                          (422, "`hold.reason`, `hold.status`, `hold.due_date`, `hold.until`, "
                           "`hold.too_long`, `hold.plan`")),
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

# -- a credit agreement after the purchase: withdrawal and early repayment ------------------

#: A business day in a request: ISO, nothing else.
_DAY = {**_DATE, "maxLength": 10, "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_AGREEMENT_ID = {
    "name": "agreement_id", "in": "path", "required": True,
    "description": "The credit agreement's id: `agreement_id` of the confirmed checkout "
    "session.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 18, "pattern": "^[0-9]{1,18}$"},
}
_REPAYMENT_AMOUNT = {**_MINOR, "minimum": 1, "maximum": MAX_INSTALMENT_MINOR}
_KEEP = {"type": "string", "enum": list(KEEP_CHOICES), "default": "instalments",
         "description": "What a part repayment keeps: the number of instalments (each gets "
         "lower) or their amount (the plan gets shorter and the dropped instalments' fees "
         "fall)."}
_INSTALMENTS = {"type": "array", "items": _ref("Instalment")}
_SCHEMAS.update({
    "WithdrawalNotice": {
        "type": "object",
        "properties": {
            "notice_on": {**_DAY, "description": "The day the shopper sent the notice; "
                          "default today."},
            "terms_received_on": {**_DAY, "description": "The day the agreement's terms "
                                  "reached the shopper, if later than the agreement: the "
                                  "period then counts from it."},
        },
    },
    "Withdrawal": {
        "type": "object",
        "required": ["agreement_id", "currency", "notice_on", "last_day", "due_date",
                     "principal", "interest", "owed", "paid", "to_pay", "refund", "invoice",
                     "cancelled_invoices"],
        "properties": {
            "agreement_id": {"type": "integer"},
            "currency": _CURRENCY,
            "notice_on": _DATE,
            "last_day": {**_DATE, "description": "The last day a notice was in time."},
            "drawn_on": {**_DATE, "description": "The day of the agreement (the drawdown)."},
            "due_date": {**_DATE, "description": "Repay by this day: 30 days after the "
                         "notice."},
            "principal": {**_MINOR, "description": "The credit amount."},
            "nominal_rate": _RATE,
            "interest_days": {"type": "integer", "minimum": 0},
            "interest": {**_MINOR, "description": "At the borrowing rate, for the days "
                         "after the agreement up to the notice day."},
            "interest_per_day": {**_MINOR, "description": "Interest of one more day on the "
                                 "capital still owed."},
            "fees_waived": {**_MINOR, "description": "The plan's fees, none of which are "
                            "owed."},
            "owed": {**_MINOR, "description": "Principal + interest."},
            "paid": _MINOR,
            "to_pay": {**_MINOR, "description": "Still to pay by `due_date`."},
            "refund": {**_MINOR, "description": "Paid beyond what is owed: to pay back to "
                       "the shopper."},
            "invoice": {"type": ["string", "null"], "description": "The invoice that asks "
                        "for `to_pay` (the plan's first, with its reference); null when "
                        "nothing is left to pay."},
            "cancelled_invoices": {"type": "array", "items": {"type": "string"}},
        },
    },
    "EarlyRepaymentPayment": {
        "type": "object",
        "required": ["amount", "external_id"],
        "properties": {
            "amount": {**_REPAYMENT_AMOUNT, "description": "Money received, minor units. With "
                       "what was paid ahead on the remaining instalments, at least `payoff` "
                       "repays everything (beyond it: a surplus to refund); less repays part."},
            "external_id": _text(MAX_EXTERNAL_ID_LENGTH, description="The payment's own id "
                                 "(bank entry, receipt); registered once."),
            "received_on": {**_DAY, "description": "When the money came; default today."},
            "keep": _KEEP,
        },
    },
    "EarlyRepayment": {
        "type": "object",
        "required": ["agreement_id", "currency", "on", "full", "keep", "payoff", "to_pay",
                     "prepaid", "also_due", "paid_now", "principal_repaid", "saving",
                     "schedule", "revision"],
        "properties": {
            "agreement_id": {"type": "integer"},
            "currency": _CURRENCY,
            "on": _DATE,
            "full": {"type": "boolean", "description": "Whether it repays the whole plan."},
            "keep": _KEEP,
            "payoff": {**_MINOR, "description": "What repaying everything costs that day: "
                       "the remaining capital, the current period's interest and monthly fee "
                       "for the days used, less the set-up fee's part for the remaining "
                       "time."},
            "to_pay": {**_MINOR, "description": "`payoff` less `prepaid`."},
            "prepaid": {**_MINOR, "description": "Already paid on the instalments it "
                        "replaces."},
            "also_due": {**_MINOR, "description": "Unpaid on instalments already due: owed "
                         "besides."},
            "paid_now": _MINOR,
            "principal_before": _MINOR,
            "principal_repaid": _MINOR,
            "interest": _MINOR,
            "interest_carried": {**_MINOR, "description": "A part repayment: the interest "
                                 "the repaid amount earned this period, in the next "
                                 "instalment."},
            "fees": _MINOR,
            "setup_fee_rebate": _MINOR,
            "surplus": {**_MINOR, "description": "Beyond the payoff: to refund."},
            "saving": {**_MINOR, "description": "Interest and fees no longer paid."},
            "replaced": {**_INSTALMENTS, "description": "The remaining instalments as they "
                         "were."},
            "schedule": {**_INSTALMENTS, "description": "The whole schedule from now on; a "
                         "full repayment is its last instalment, due on `on`."},
            "revision": {"type": ["integer", "null"], "description": "The plan's revision "
                         "this made; null for a quote."},
        },
    },
})
_CREDIT_KEY_ERRORS = (_AUTH_ERROR, _SCOPE_ERROR, (404, "`agreement.not_found`"))
_REPAYMENT_REFUSALS = ("`early_repayment.method`, `early_repayment.withdrawn`, "
                       "`early_repayment.day`, `early_repayment.nothing_left`, "
                       "`early_repayment.amount`")
_PATHS.update({
    "/agreements/{agreement_id}/withdrawal": {
        "post": {
            "operationId": "withdrawFromAgreement",
            "summary": "The shopper withdrew from the credit (14 days, CCD2 Art. 26)",
            "description": "Within the withdrawal period the shopper owes the credit amount "
            "and interest at the borrowing rate up to the notice day, within 30 days, and no "
            "fee. The plan's first invoice asks for it by then; the others are cancelled; "
            "money paid counts and any excess is refunded. The purchase itself stands.",
            "security": _SUPPORT_KEY,
            "parameters": [_AGREEMENT_ID],
            "requestBody": {"required": False, "content": {"application/json": {
                "schema": _ref("WithdrawalNotice")}}},
            "responses": {
                "200": _json(_ref("Withdrawal"), "Recorded; the invoices are changed."),
                **_errors(*_CREDIT_KEY_ERRORS, (400, "`request.json`, `request.field`"),
                          (409, "`withdrawal.done`"),
                          (422, "`withdrawal.too_late`, `withdrawal.notice_day`, "
                           "`withdrawal.received_day`, `withdrawal.not_credit`")),
            },
        }
    },
    "/agreements/{agreement_id}/early-repayment": {
        "get": {
            "operationId": "quoteEarlyRepayment",
            "summary": "What repaying an instalment plan early takes and saves",
            "description": "Nothing is written. Without `amount`: everything.",
            "security": _SUPPORT_KEY,
            "parameters": [
                _AGREEMENT_ID,
                {"name": "on", "in": "query", "required": False, "schema": _DAY,
                 "description": "The day of the repayment; default today, at most a year "
                 "ahead."},
                {"name": "amount", "in": "query", "required": False,
                 "schema": _REPAYMENT_AMOUNT},
                {"name": "keep", "in": "query", "required": False, "schema": _KEEP},
            ],
            "responses": {
                "200": _json(_ref("EarlyRepayment"), "The figures and the schedule after."),
                **_errors(*_CREDIT_KEY_ERRORS, (400, "`request.field`"),
                          (422, _REPAYMENT_REFUSALS)),
            },
        },
        "post": {
            "operationId": "registerEarlyRepayment",
            "summary": "Money received as an early repayment (CCD2 Art. 29)",
            "description": "Books the money on the next instalment's invoice, appends the new "
            "schedule and changes the later invoices (lower, or cancelled when the plan is "
            "shorter or repaid); every change is in the invoices' trails.",
            "security": _SUPPORT_KEY,
            "parameters": [_AGREEMENT_ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("EarlyRepaymentPayment")}}},
            "responses": {
                "200": _json(_ref("EarlyRepayment"), "Applied."),
                **_errors(*_CREDIT_KEY_ERRORS, (400, "`request.json`, `request.field`"),
                          (409, "`early_repayment.duplicate`, `early_repayment.conflict`"),
                          (422, _REPAYMENT_REFUSALS + ", `early_repayment.not_issued`")),
            },
        },
    },
})

# -- customer service: the shop acting for its shopper, and the team's side ------------------

#: Text that may have line breaks and tabs but no other control character (a message).
MULTILINE_PATTERN = "^[^" + "".join(
    f"\\u{first:04x}-\\u{last:04x}"
    for first, last in ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), *CONTROL_RANGES[1:])
    if last < 0xD800
) + "]*$"


def _multiline(max_length: int, **extra: Any) -> dict[str, Any]:
    """A multi-line text field; blank or too long texts are the service's to refuse."""
    return {"type": "string", "maxLength": max_length, "pattern": MULTILINE_PATTERN, **extra}


_SHOPPER = {
    "name": SHOPPER_HEADER,
    "in": "header",
    "required": True,
    "description": "The shopper the shop acts for: the e-mail address it knows them by (its "
    "signed-in customer). A storefront key reaches only a shopper who bought from it, and "
    "only what belongs to its own orders; a back-office key reaches every record of the "
    "address. Sent again with the same `Idempotency-Key` for another shopper, a POST is "
    "another request (`request.idempotency_key`).",
    "schema": {"type": "string", "minLength": 3, "maxLength": MAX_EMAIL_LENGTH,
               "pattern": "^[!-?A-~]+@[!-?A-~]+$", "examples": ["maija@example.fi"]},
}
_RECORD_ID_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 18,
                     "pattern": "^[0-9]{1,18}$"}
_THREAD_ID = {"name": "thread_id", "in": "path", "required": True,
              "description": "The conversation's `id`.", "schema": _RECORD_ID_SCHEMA}
_REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
               "description": "The request's `id`.", "schema": _RECORD_ID_SCHEMA}
_INVOICE_NUMBER = _path_parameter("number", "The invoice number.")
_ATTACHMENT_ID = {"name": "attachment_id", "in": "path", "required": True,
                  "description": "The file's `id` (an `Attachment`'s).",
                  "schema": _RECORD_ID_SCHEMA}
#: A stored file as sent: one of the accepted types, always as an attachment to save.
_FILE_DOWNLOAD = {
    "description": "The file, with `Content-Disposition: attachment` and its name.",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("application/pdf", "image/jpeg", "image/png", "text/plain")},
}
#: KASSA_UPLOAD_MAX_BYTES of the defaults; the served document carries the app's own.
DEFAULT_UPLOAD_MAX_BYTES = 5_000_000
_BASE64 = {"type": "string", "contentEncoding": "base64",
           "maxLength": base64_length(DEFAULT_UPLOAD_MAX_BYTES),
           "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"}
_ATTACHMENTS = {
    "type": "array",
    "maxItems": MAX_FILES,
    "items": _ref("Upload"),
    "description": f"At most {MAX_FILES} files (`service.file_count`), each a PDF, JPEG, PNG "
    "or plain UTF-8 text by its content, whatever its name says (`service.file_type`: HTML "
    "dressed as a PDF is refused), up to KASSA_UPLOAD_MAX_BYTES (`service.file_size`), and "
    "clean by the app's virus scanner if one is plugged in (`service.file_virus`).",
}
_MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_SERVICE_REQUEST_KINDS = ["extension", "plan", "dispute", "callback"]
_TEXT_REFUSALS = "`service.too_long`, `service.characters`"
_FILE_REFUSALS = ("`service.file_count`, `service.file_empty`, `service.file_size`, "
                  "`service.file_type`, `service.file_virus`")
_SHOPPER_ERRORS = (_AUTH_ERROR, _SCOPE_ERROR, (400, f"`request.field` (the `{SHOPPER_HEADER}` "
                   "header)"))
_PLAN_INVOICES = {"type": "array", "minItems": 1, "maxItems": MAX_PLAN_INVOICES,
                  "items": _text(MAX_NUMBER_LENGTH),
                  "description": "The shopper's open invoices, of one currency."}
_INVOICE_CONFLICTS = (409, "`service.not_open`, `service.on_hold`, `service.conflict`")

_SCHEMAS.update({
    "Upload": {
        "type": "object",
        "required": ["filename", "content_base64"],
        "properties": {
            "filename": _text(MAX_FILENAME_LENGTH, description="The file's name on the "
                              "shopper's device; stored with the extension of its content."),
            "content_base64": {**_BASE64, "description": "The file's bytes, base64 "
                               "(RFC 4648, with padding): at most KASSA_UPLOAD_MAX_BYTES "
                               "bytes (`service.file_size`)."},
        },
    },
    "AttachmentInfo": {
        "type": "object",
        "required": ["id", "filename", "content_type", "size", "sha256", "scan",
                     "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "content_type": {"type": "string", "enum": ["application/pdf", "image/jpeg",
                                                        "image/png", "text/plain"]},
            "size": {"type": "integer", "minimum": 1, "description": "Bytes."},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "scan": {"type": "string", "enum": ["clean", "refused"]},
            "created_at": _MOMENT,
        },
    },
    "MoreTimeOption": {
        "type": ["object", "null"],
        "description": "What asking for more time would do today; null when the invoice "
        "is closed or already paused.",
        "required": ["days", "new_due_date", "fee", "within_policy"],
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 60},
            "new_due_date": _DATE,
            "fee": {**_MINOR, "description": "Added to the invoice when granted at once."},
            "within_policy": {"type": "boolean", "description": "Granted at once; otherwise "
                              "the request waits for the team."},
        },
    },
    "ShopperInvoice": {
        "type": "object",
        "required": ["number", "status", "country", "currency", "amount", "fees", "interest",
                     "paid", "balance", "issue_date", "due_date", "channel", "open", "holds",
                     "more_time"],
        "properties": {
            "number": {"type": "string"},
            "status": {"type": "string", "examples": ["open", "overdue", "paid"]},
            "country": _COUNTRY,
            "currency": _CURRENCY,
            "amount": _MINOR,
            "fees": _MINOR,
            "interest": _MINOR,
            "paid": _MINOR,
            "balance": {**_MINOR, "description": "Still to pay."},
            "issue_date": _DATE,
            "due_date": _DATE,
            "channel": {"type": "string"},
            "instalment_number": {"type": ["integer", "null"]},
            "open": {"type": "boolean", "description": "Something is still to pay and the "
                     "shopper may ask for more time, a plan or dispute it."},
            "holds": {"type": "array", "items": {"type": "string", "enum": list(HOLD_REASONS)},
                      "description": "What pauses the reminders today."},
            "more_time": _ref("MoreTimeOption"),
        },
    },
    "PlanFigures": {
        "type": "object",
        "description": "The plan's credit figures (EU CCD Annex I) as agreed or asked for.",
        "required": ["invoices", "currency", "months", "credit_amount", "apr", "total_cost",
                     "total_payable", "monthly_amount", "schedule"],
        "properties": {
            "invoices": {"type": "array", "items": {"type": "string"}},
            "currency": {**_CURRENCY, "type": ["string", "null"],
                         "enum": [*_CURRENCY["enum"], None]},
            "months": {"type": "integer"},
            "credit_amount": _MINOR,
            "apr": {**_RATE, "description": "Annual percentage rate of charge."},
            "total_cost": {**_MINOR, "description": "Interest and fees of the plan."},
            "total_payable": _MINOR,
            "monthly_amount": _MINOR,
            "schedule": {"type": "array", "items": _ref("Instalment")},
        },
    },
    "ServiceCustomer": {
        "type": ["object", "null"],
        "description": "Whose request or conversation it is; the team's calls only.",
        "required": ["id", "name", "email", "phone", "country", "locale"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "phone": {"type": ["string", "null"]},
            "country": _COUNTRY,
            "locale": {"type": "string"},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "required": ["id", "kind", "status", "invoice", "details", "decision", "source",
                     "created_at", "decided_at", "attachments"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": _SERVICE_REQUEST_KINDS},
            "status": {"type": "string", "enum": list(REQUEST_STATUSES[:-1]),
                       "description": "`granted`: within the policy, done at once; "
                       "`pending`: a person decides; `refused`; `done`: a callback made."},
            "invoice": {"type": ["string", "null"], "description": "The invoice it is about "
                        "(a plan's first); null for a callback about nothing in particular."},
            "details": {"type": "object", "description": "What was asked: `days`, "
                        "`new_due_date`, `note` (more time); the plan's figures and `budget` "
                        "(plan); `reason`, `text` (dispute); `slot`, `phone`, `topic` "
                        "(callback)."},
            "decision": {"type": ["object", "null"], "description": "`granted`, `note` and "
                         "`by` (the deciding person) once decided by the team.",
                         "properties": {"granted": {"type": "boolean"},
                                        "note": {"type": "string"},
                                        "by": {"type": "string"}}},
            "source": {"type": "string", "description": "`pages` (Kassa's own pages), "
                       "`api:<storefront>` or `api` (a back-office key)."},
            "created_at": _MOMENT,
            "decided_at": _MOMENT_OR_NULL,
            "attachments": {"type": "array", "items": _ref("AttachmentInfo"),
                            "description": "A dispute's files."},
            "plan": _ref("PlanFigures"),
            "customer": _ref("ServiceCustomer"),
            "support_task_id": {"type": ["integer", "null"],
                                "description": "The team's calls only."},
        },
    },
    "ShopperInvoices": {
        "type": "object",
        "required": ["invoices", "balances", "requests"],
        "properties": {
            "invoices": {"type": "array", "items": _ref("ShopperInvoice"),
                         "description": f"Newest first, at most {MAX_LIST}."},
            "balances": {"type": "object", "additionalProperties": _MINOR,
                         "description": "Still to pay, per currency."},
            "requests": {"type": "array", "items": _ref("ServiceRequest"),
                         "description": "Requests waiting for the team (`pending`)."},
        },
    },
    "Budget": {
        "type": "object",
        "description": "The budget helper, minor units a month: the affordable payment is "
        "half of what is left once rent, electricity, food and other debts are paid.",
        "properties": {name: {**_MINOR, "minimum": 0, "maximum": MAX_INSTALMENT_MINOR}
                       for name in BUDGET_FIELDS},
    },
    "PlanQuoteRequest": {
        "type": "object",
        "required": ["invoices"],
        "properties": {
            "invoices": _PLAN_INVOICES,
            "months": {"type": "integer", "minimum": 2, "maximum": 12,
                       "description": "Default: what the budget affords, else the longest "
                       "plan the policy grants at once."},
            "budget": _ref("Budget"),
        },
    },
    "PlanQuote": {
        "type": "object",
        "description": "`offer` holds the credit's figures (EU CCD Annex I): APR, total "
        "cost, total payable and every instalment; show them before the shopper consents.",
        "required": ["invoices", "currency", "months", "within_policy", "beyond", "offer",
                     "split", "budget_suggestion", "policy_max_months"],
        "properties": {
            "invoices": {"type": "array", "items": {"type": "string"}},
            "currency": _CURRENCY,
            "months": {"type": "integer"},
            "within_policy": {"type": "boolean", "description": "Agreed at once; otherwise "
                              "the request waits for the team."},
            "beyond": {"type": "array", "items": {"type": "string", "enum": [
                "months", "min_instalment"]}, "description": "Why the team must agree."},
            "offer": _ref("Offer"),
            "split": {"type": "array", "items": {"type": "object",
                                                 "additionalProperties": _MINOR},
                      "description": "Per instalment: invoice number to the part of it paid "
                      "that month, oldest invoice first."},
            "budget_suggestion": {"type": ["integer", "null"], "description": "With a "
                                  "budget: the affordable monthly payment."},
            "policy_max_months": {"type": "integer"},
        },
    },
    "PlanAgreement": {
        "type": "object",
        "required": ["invoices", "months", "consent"],
        "properties": {
            "invoices": _PLAN_INVOICES,
            "months": {"type": "integer", "minimum": 2, "maximum": 12},
            "consent": {"type": "boolean", "const": True, "description": "The shopper saw "
                        "the quote's figures and agrees (`service.consent`)."},
            "budget": _ref("Budget"),
        },
    },
    "MoreTimeRequest": {
        "type": "object",
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 60, "description": "Default: "
                     "the policy's; within it granted at once, beyond it a request."},
            "note": _multiline(MAX_NOTE_LENGTH),
        },
    },
    "DisputeRequest": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "enum": list(DISPUTE_REASONS)},
            "text": _multiline(MAX_TEXT),
            "attachments": _ATTACHMENTS,
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "author", "author_name", "body", "created_at", "attachments"],
        "properties": {
            "id": {"type": "integer"},
            "author": {"type": "string", "enum": ["shopper", "staff"]},
            "author_name": {"type": ["string", "null"], "description": "The agent's name as "
                            "the shopper sees it; null for the shopper."},
            "body": {"type": "string"},
            "created_at": _MOMENT,
            "attachments": {"type": "array", "items": _ref("AttachmentInfo")},
        },
    },
    "Thread": {
        "type": "object",
        "required": ["id", "subject", "status", "invoice", "created_at", "resolved_at",
                     "message_count", "last_message_at"],
        "properties": {
            "id": {"type": "integer"},
            "subject": {"type": "string"},
            "status": {"type": "string", "enum": list(THREAD_STATUSES[:-1]),
                       "description": "`open`: waiting for the team; `answered`: for the "
                       "shopper; `resolved`."},
            "invoice": {"type": ["string", "null"]},
            "created_at": _MOMENT,
            "resolved_at": _MOMENT_OR_NULL,
            "message_count": {"type": "integer", "minimum": 0},
            "last_message_at": _MOMENT_OR_NULL,
            "messages": {"type": "array", "items": _ref("Message"),
                         "description": "Oldest first; not in lists."},
            "customer": _ref("ServiceCustomer"),
            "support_task_id": {"type": ["integer", "null"],
                                "description": "The team's calls only."},
            "survey_id": {"type": ["integer", "null"], "description": "Resolving only: the "
                          "survey sent, null when none was."},
        },
    },
    "NewThread": {
        "type": "object",
        "required": ["subject", "body"],
        "properties": {
            "subject": _text(MAX_SUBJECT_LENGTH),
            "body": _multiline(MAX_TEXT, minLength=1),
            "invoice": _text(MAX_NUMBER_LENGTH, description="The invoice it is about; "
                             "required with a storefront key (a storefront's conversations "
                             "are about its own invoices)."),
            "attachments": _ATTACHMENTS,
        },
    },
    "NewMessage": {
        "type": "object",
        "required": ["body"],
        "properties": {"body": _multiline(MAX_TEXT, minLength=1),
                       "attachments": _ATTACHMENTS},
    },
    "CallbackSlots": {
        "type": "object",
        "required": ["country", "slots"],
        "properties": {
            "country": _COUNTRY,
            "slots": {"type": "array", "items": _MOMENT, "description": "Free half hours in "
                      "the team's opening hours, in its time zone; book one by sending it "
                      "back exactly as given."},
        },
    },
    "CallbackBooking": {
        "type": "object",
        "required": ["slot", "phone"],
        "properties": {
            "slot": _text(MAX_SLOT_LENGTH, description="One of `slots`, as given "
                          "(`service.slot`)."),
            "phone": _text(MAX_PHONE_LENGTH, description="6 to 20 digits, `+` first if "
                           "international (`service.phone`)."),
            "topic": _multiline(MAX_TOPIC_LENGTH),
            "invoice": _text(MAX_NUMBER_LENGTH, description="The invoice the call is about."),
        },
    },
    "Address": {
        "type": "object",
        "required": ["street", "postal_code", "city"],
        "properties": {
            "street": _text(MAX_STREET_LENGTH),
            "postal_code": _text(MAX_POSTAL_CODE_LENGTH),
            "city": _text(MAX_CITY_LENGTH),
        },
    },
    "Channels": {
        "type": "object",
        "required": ["delivery", "reminders"],
        "properties": {
            "delivery": {"type": "string", "enum": list(CHANNELS), "description": "For "
                         "invoices still to be sent: `email` or one of KASSA_CHANNELS "
                         "(`service.channel`)."},
            "reminders": {"type": "string", "enum": list(CHANNELS), "description": "For "
                          "reminders: also `sms`, with a phone number (`service.no_phone`)."},
        },
    },
    "Decision": {
        "type": "object",
        "required": ["grant", "by"],
        "properties": {
            "grant": {"type": "boolean"},
            "note": _multiline(MAX_TEXT, description="Why; the shopper is told."),
            "by": _text(MAX_NAME_LENGTH, description="The deciding person's name."),
            "survey": {"type": "boolean", "default": True,
                       "description": "Send the shopper the survey for this contact."},
        },
    },
    "CallbackDone": {
        "type": "object",
        "required": ["by"],
        "properties": {
            "note": _multiline(MAX_TEXT),
            "by": _text(MAX_NAME_LENGTH, description="Who called."),
            "survey": {"type": "boolean", "default": True},
        },
    },
    "Decided": {
        "type": "object",
        "required": ["request", "survey_id"],
        "properties": {
            "request": _ref("ServiceRequest"),
            "survey_id": {"type": ["integer", "null"], "description": "The survey sent; "
                          "null when none was (not asked, or this contact had one)."},
        },
    },
    "Reply": {
        "type": "object",
        "required": ["body", "author_name"],
        "properties": {
            "body": _multiline(MAX_TEXT, minLength=1),
            "author_name": _text(MAX_NAME_LENGTH, description="The agent's name as the "
                                 "shopper sees it, e.g. a first name."),
            "attachments": _ATTACHMENTS,
        },
    },
    "Resolve": {
        "type": "object",
        "properties": {
            "agent": _text(MAX_NAME_LENGTH, min_length=0, description="Who handled it, for "
                           "the survey's figures."),
            "survey": {"type": "boolean", "default": True},
        },
    },
    "Survey": {
        "type": "object",
        "required": ["id", "contact_kind", "contact_id", "country", "locale", "channel",
                     "agent", "sent_at", "answered_at", "resolved", "recommend", "advisor",
                     "overall", "comment"],
        "properties": {
            "id": {"type": "integer"},
            "contact_kind": {"type": "string", "enum": ["thread", "request", "callback"]},
            "contact_id": {"type": "integer", "description": "The conversation's or the "
                           "request's `id`."},
            "country": _COUNTRY,
            "locale": {"type": "string"},
            "channel": {"type": "string", "examples": ["message", "phone", "self_service"]},
            "agent": {"type": ["string", "null"]},
            "sent_at": _MOMENT,
            "answered_at": _MOMENT_OR_NULL,
            "resolved": {"type": ["boolean", "null"], "description": "Was the matter "
                         "resolved?"},
            "recommend": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
            "advisor": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
            "overall": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
            "comment": {"type": ["string", "null"]},
        },
    },
})


def _body_of(name: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(name)}}}


def _list_of(key: str, name: str, description: str) -> dict[str, Any]:
    return _json({"type": "object", "required": [key], "properties": {
        key: {"type": "array", "items": _ref(name)}}}, description)


_PATHS.update({
    "/shopper/invoices": {
        "get": {
            "operationId": "listShopperInvoices",
            "summary": "The shopper's invoices with their balances, and requests waiting",
            "description": "For the shop's own customer-service page: every invoice of the "
            "shopper (a storefront key: of its own orders), what is still to pay, what more "
            "time would do, and the requests the team has not decided yet.",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "responses": {
                "200": _json(_ref("ShopperInvoices"), "The invoices and requests."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`")),
            },
        }
    },
    "/shopper/invoices/{number}/more-time": {
        "post": {
            "operationId": "askForMoreTime",
            "summary": "More time to pay an invoice",
            "description": "Within the country's self-service policy it is granted at once "
            "(the due date moves, reminders pause until it, a confirmation is sent); beyond "
            "it the request waits for the team (`pending`).",
            "security": _SUPPORT_KEY,
            "parameters": [_INVOICE_NUMBER, _SHOPPER],
            "requestBody": _body_of("MoreTimeRequest", required=False),
            "responses": {
                "201": _json(_ref("ServiceRequest"), "The request, `granted` or `pending`."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          _INVOICE_CONFLICTS,
                          (422, f"`service.days`, {_TEXT_REFUSALS}, `hold.too_long`")),
            },
        }
    },
    "/shopper/invoices/{number}/disputes": {
        "post": {
            "operationId": "openDispute",
            "summary": "The shopper disputes an invoice, with files",
            "description": "Collection pauses (replacing more time or a plan while the "
            "dispute lasts) and the team gets a task.",
            "security": _SUPPORT_KEY,
            "parameters": [_INVOICE_NUMBER, _SHOPPER],
            "requestBody": _body_of("DisputeRequest"),
            "responses": {
                "201": _json(_ref("ServiceRequest"), "The dispute, `pending`."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          _INVOICE_CONFLICTS,
                          (422, f"`service.reason`, {_TEXT_REFUSALS}, {_FILE_REFUSALS}")),
            },
        }
    },
    "/shopper/plans/quote": {
        "post": {
            "operationId": "quotePaymentPlan",
            "summary": "What a payment plan would be: APR, total cost, schedule",
            "description": "Nothing is written. The plan's figures as the pre-contract "
            "information shows them, how each month is split over the invoices, whether the "
            "team must agree, and with a budget the affordable monthly payment.",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("PlanQuoteRequest"),
            "responses": {
                "200": _json(_ref("PlanQuote"), "The quote."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          (409, "`service.not_open`"),
                          (422, "`service.plan_invoices`, `service.plan_months`, "
                           "`service.plan_too_small`, `service.plan_caps`")),
            },
        }
    },
    "/shopper/plans": {
        "post": {
            "operationId": "agreePaymentPlan",
            "summary": "The shopper agrees to a payment plan",
            "description": "With `consent` after the quote's figures were shown. Within the "
            "policy the plan starts at once (each invoice's reminders pause until its last "
            "instalment, a confirmation with the schedule is sent); beyond it the request "
            "waits for the team. The answer carries the figures (`plan`).",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("PlanAgreement"),
            "responses": {
                "201": _json(_ref("ServiceRequest"), "The plan request, `granted` or "
                             "`pending`, with `plan`."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          (403, "`auth.scope`; `service.identification` where a plan needs the "
                           "shopper's bank identification (`KASSA_STRONG_AUTH_COUNTRIES` with an "
                           "identity broker): they agree to it on Kassa's pages"),
                          _INVOICE_CONFLICTS,
                          (422, "`service.consent`, `service.plan_invoices`, "
                           "`service.plan_months`, `service.plan_too_small`, "
                           "`service.plan_caps`, `hold.plan`, `hold.too_long`")),
            },
        }
    },
    "/shopper/threads": {
        "get": {
            "operationId": "listShopperThreads",
            "summary": "The shopper's conversations with the team",
            "description": f"Newest first, at most {MAX_LIST}, without their messages.",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "responses": {
                "200": _list_of("threads", "Thread", "The conversations."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`")),
            },
        },
        "post": {
            "operationId": "startThread",
            "summary": "A new conversation with the team",
            "description": "A secure message with files; the team gets a task.",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("NewThread"),
            "responses": {
                "201": _json(_ref("Thread"), "The conversation with its first message."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          (422, f"`service.message_empty`, {_TEXT_REFUSALS}, "
                           f"{_FILE_REFUSALS}")),
            },
        },
    },
    "/shopper/threads/{thread_id}": {
        "get": {
            "operationId": "getShopperThread",
            "summary": "One of the shopper's conversations with its messages",
            "description": "With each file's metadata (name, type, size, checksum).",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID, _SHOPPER],
            "responses": {
                "200": _json(_ref("Thread"), "The conversation."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `thread.not_found`")),
            },
        }
    },
    "/shopper/threads/{thread_id}/attachments/{attachment_id}": {
        "get": {
            "operationId": "getShopperThreadFile",
            "summary": "A file of a message in one of the shopper's conversations",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID, _ATTACHMENT_ID, _SHOPPER],
            "responses": {
                "200": _FILE_DOWNLOAD,
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `thread.not_found`, "
                                                  "`attachment.not_found`")),
            },
        }
    },
    "/shopper/threads/{thread_id}/messages": {
        "post": {
            "operationId": "addShopperMessage",
            "summary": "The shopper writes in a conversation",
            "description": "Reopens it for the team.",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID, _SHOPPER],
            "requestBody": _body_of("NewMessage"),
            "responses": {
                "201": _json(_ref("Message"), "The message."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `thread.not_found`"),
                          (422, f"`service.message_empty`, {_TEXT_REFUSALS}, "
                           f"{_FILE_REFUSALS}")),
            },
        }
    },
    "/shopper/callback-slots": {
        "get": {
            "operationId": "listCallbackSlots",
            "summary": "When the team can call the shopper",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER, {
                "name": "invoice", "in": "query", "required": False,
                "schema": _text(MAX_NUMBER_LENGTH),
                "description": "A call about this invoice: its country's team."}],
            "responses": {
                "200": _json(_ref("CallbackSlots"), "The free times."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`")),
            },
        }
    },
    "/shopper/callbacks": {
        "post": {
            "operationId": "bookCallback",
            "summary": "Book a call from the team",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("CallbackBooking"),
            "responses": {
                "201": _json(_ref("ServiceRequest"), "The callback, `pending` until made."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`, `service.not_found`"),
                          (409, "`service.conflict`"),
                          (422, f"`service.slot`, `service.phone`, {_TEXT_REFUSALS}")),
            },
        }
    },
    "/shopper/address": {
        "post": {
            "operationId": "changeShopperAddress",
            "summary": "A new postal address",
            "description": "On the shopper's customer records and their open invoices (a "
            "storefront key: those of its own orders), for the letters still to come.",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("Address"),
            "responses": {
                "200": _json(_ref("Address"), "The address now."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`"),
                          (422, f"`service.address`, {_TEXT_REFUSALS}")),
            },
        }
    },
    "/shopper/channels": {
        "post": {
            "operationId": "setShopperChannels",
            "summary": "How invoices and reminders reach the shopper",
            "security": _SUPPORT_KEY,
            "parameters": [_SHOPPER],
            "requestBody": _body_of("Channels"),
            "responses": {
                "200": _json(_ref("Channels"), "The channels now."),
                **_errors(*_SHOPPER_ERRORS, (404, "`shopper.not_found`"),
                          (422, "`service.channel`, `service.no_phone`")),
            },
        }
    },
    "/service-requests": {
        "get": {
            "operationId": "listServiceRequests",
            "summary": "The shoppers' requests for the team: more time, plans, disputes, "
            "callbacks",
            "description": f"Oldest first, at most {MAX_LIST}; a storefront key sees those "
            "about its own orders (and the callbacks it booked).",
            "security": _SUPPORT_KEY,
            "parameters": [
                {"name": "status", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(REQUEST_STATUSES),
                            "default": "pending"}},
                {"name": "kind", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(REQUEST_KINDS)}},
            ],
            "responses": {
                "200": _list_of("requests", "ServiceRequest", "The requests, with the "
                                "customer."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.field`")),
            },
        }
    },
    "/service-requests/{request_id}/attachments/{attachment_id}": {
        "get": {
            "operationId": "getServiceRequestFile",
            "summary": "A file the shopper sent with a request (a dispute's photo)",
            "security": _SUPPORT_KEY,
            "parameters": [_REQUEST_ID, _ATTACHMENT_ID],
            "responses": {
                "200": _FILE_DOWNLOAD,
                **_errors(_AUTH_ERROR, _SCOPE_ERROR,
                          (404, "`service_request.not_found`, `attachment.not_found`")),
            },
        }
    },
    "/service-requests/{request_id}/decision": {
        "post": {
            "operationId": "decideServiceRequest",
            "summary": "The team's decision on a pending request",
            "description": "More time and plans granted are applied as asked; a dispute "
            "granted keeps collection paused for the correction, refused lets reminders "
            "resume; a callback is `done` either way. The shopper is told by their channel "
            "and gets the survey unless `survey` is false.",
            "security": _SUPPORT_KEY,
            "parameters": [_REQUEST_ID],
            "requestBody": _body_of("Decision"),
            "responses": {
                "200": _json(_ref("Decided"), "Decided."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`service_request.not_found`"),
                          (409, "`service.decided`"),
                          (422, f"{_TEXT_REFUSALS}, `service.plan_caps`, `hold.status`, "
                           "`hold.due_date`, `hold.plan`, `hold.too_long`")),
            },
        }
    },
    "/callbacks/{request_id}/done": {
        "post": {
            "operationId": "markCallbackDone",
            "summary": "The team made the call the shopper booked",
            "description": "The callback request (`kind` `callback`) is `done`; the shopper "
            "gets the survey unless `survey` is false.",
            "security": _SUPPORT_KEY,
            "parameters": [_REQUEST_ID],
            "requestBody": _body_of("CallbackDone"),
            "responses": {
                "200": _json(_ref("Decided"), "Done."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`service_request.not_found`"),
                          (409, "`service.decided`, `service_request.kind`"),
                          (422, _TEXT_REFUSALS)),
            },
        }
    },
    "/message-threads": {
        "get": {
            "operationId": "listMessageThreads",
            "summary": "The conversations for the team",
            "description": f"Oldest first, at most {MAX_LIST}, without their messages; a "
            "storefront key sees those about its own orders.",
            "security": _SUPPORT_KEY,
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": list(THREAD_STATUSES),
                                       "default": "open"}}],
            "responses": {
                "200": _list_of("threads", "Thread", "The conversations, with the customer."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.field`")),
            },
        }
    },
    "/message-threads/{thread_id}": {
        "get": {
            "operationId": "getMessageThread",
            "summary": "A conversation with its messages and files' metadata",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID],
            "responses": {
                "200": _json(_ref("Thread"), "The conversation, with the customer."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`thread.not_found`")),
            },
        }
    },
    "/message-threads/{thread_id}/attachments/{attachment_id}": {
        "get": {
            "operationId": "getMessageThreadFile",
            "summary": "A file of a message in a conversation",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID, _ATTACHMENT_ID],
            "responses": {
                "200": _FILE_DOWNLOAD,
                **_errors(_AUTH_ERROR, _SCOPE_ERROR,
                          (404, "`thread.not_found`, `attachment.not_found`")),
            },
        }
    },
    "/message-threads/{thread_id}/replies": {
        "post": {
            "operationId": "replyToThread",
            "summary": "The team answers in a conversation",
            "description": "Signed with `author_name`, which the shopper sees; the shopper "
            "is told by their channel.",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID],
            "requestBody": _body_of("Reply"),
            "responses": {
                "201": _json(_ref("Message"), "The reply."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`thread.not_found`"),
                          (422, f"`service.message_empty`, {_TEXT_REFUSALS}, "
                           f"{_FILE_REFUSALS}")),
            },
        }
    },
    "/message-threads/{thread_id}/resolve": {
        "post": {
            "operationId": "resolveThread",
            "summary": "Close a conversation",
            "description": "The shopper gets the survey unless `survey` is false.",
            "security": _SUPPORT_KEY,
            "parameters": [_THREAD_ID],
            "requestBody": _body_of("Resolve", required=False),
            "responses": {
                "200": _json(_ref("Thread"), "Resolved, with `survey_id`."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (404, "`thread.not_found`"),
                          (409, "`service.decided`")),
            },
        }
    },
    "/surveys": {
        "get": {
            "operationId": "listSurveys",
            "summary": "The surveys after contacts and their answers, for the figures",
            "description": f"Newest first, at most {MAX_LIST}; a storefront key sees those "
            "about its own orders' contacts.",
            "security": _SUPPORT_KEY,
            "parameters": [
                {"name": "answered", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(SURVEY_STATES),
                            "default": "answered"}},
                {"name": "since", "in": "query", "required": False, "schema": _DAY,
                 "description": "Sent that day (UTC) or later."},
            ],
            "responses": {
                "200": _list_of("surveys", "Survey", "The surveys."),
                **_errors(_AUTH_ERROR, _SCOPE_ERROR, (400, "`request.field`")),
            },
        }
    },
})

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
        "description": "Pay by invoice and instalments for Nordic shops. Amounts are integers "
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


def openapi_document(server_url: str, max_amount: int = DEFAULT_MAX_AMOUNT,
                     upload_max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES) -> dict[str, Any]:
    """The document, with ``server_url`` (the API's root, e.g. ``/kassa/api/v1``) as server,
    ``max_amount`` (the app's largest KASSA_MAX_ORDER_AMOUNT, minor units) as the
    ``maximum`` of every amount a client sends, and ``upload_max_bytes`` (the app's
    KASSA_UPLOAD_MAX_BYTES) as the largest file an attachment may carry."""
    document = {**DOCUMENT, "servers": [{"url": server_url}]}
    if upload_max_bytes != DEFAULT_UPLOAD_MAX_BYTES:
        document["components"] = components = copy.deepcopy(DOCUMENT["components"])
        components["schemas"]["Upload"]["properties"]["content_base64"]["maxLength"] = \
            base64_length(upload_max_bytes)
    if max_amount != DEFAULT_MAX_AMOUNT:
        document["paths"] = paths = copy.deepcopy(DOCUMENT["paths"])
        if document["components"] is DOCUMENT["components"]:
            document["components"] = copy.deepcopy(DOCUMENT["components"])
        schemas = document["components"]["schemas"]
        for schema in (paths["/offers"]["get"]["parameters"][0]["schema"],
                       schemas["OrderLine"]["properties"]["unit_price"],
                       schemas["CheckoutSessionCreate"]["properties"]["order"]["properties"][
                           "total"]):
            schema["maximum"] = max_amount
    return document
