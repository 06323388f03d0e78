"""The "pay now" card payment through Stripe.

- :mod:`plugin.payments.gateway`: PaymentIntents per payment attempt, with idempotency keys;
  :class:`~plugin.payments.gateway.PaymentUnavailable` when Stripe cannot be used.
- :mod:`plugin.payments.webhooks`: Stripe's webhook events, verified and handled once.
- :mod:`plugin.payments.views`: the ``kassa_payments`` blueprint (pay page, return page,
  webhook endpoint), mounted at ``KASSA_URL_PREFIX + "/pay"``.

Money is booked only through :func:`plugin.services.payments.record_payment`.
"""
