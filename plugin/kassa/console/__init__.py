"""The help console of the merchant's support staff: sign-in, the queue, the customer view
and the figures (``KASSA_URL_PREFIX + "/console"``)."""

from __future__ import annotations

from .views import console, install_staff_login

__all__ = ["console", "install_staff_login"]
