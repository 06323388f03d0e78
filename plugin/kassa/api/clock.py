"""The API's clock: the moment and the business date of a request. Tests replace :func:`now`."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> tuple[datetime, date]:
    """The moment (UTC) and the business date of this request."""
    return datetime.now(UTC), date.today()
