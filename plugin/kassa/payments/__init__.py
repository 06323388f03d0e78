"""The "pay now" card payment through Stripe.

- :mod:`kassa.payments.gateway`: PaymentIntents per payment attempt, with idempotency keys;
  :class:`~kassa.payments.gateway.PaymentUnavailable` when Stripe cannot be used.
- :mod:`kassa.payments.webhooks`: Stripe's webhook events, verified and handled once.
- :mod:`kassa.payments.views`: the ``kassa_payments`` blueprint (pay page, return page,
  webhook endpoint), mounted at ``KASSA_URL_PREFIX + "/pay"``.

Money is booked only through :func:`kassa.services.payments.record_payment`.
"""
