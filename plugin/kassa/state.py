"""Per-app state and the request's database session: the leaf that every layer may import.

:class:`KassaState` is what ``init_app`` puts in ``app.extensions["kassa"]``; services take it
as an argument, views reach it through :func:`get_state`. :func:`transaction` is the one way a
view opens a unit of work on the request's session; inner calls join the outer one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import stripe
    from flask_limiter import Limiter

    from .config import KassaConfig
    from .db.database import Database
    from .db.personal_ids import PersonalIdVault

EXTENSION_KEY = "kassa"

#: An outbox sender: ``sender(session, state, message)`` delivers one outbox message and
#: returns None or a :class:`~kassa.notify.http.DeliveryResult`.
Sender = Callable[..., Any]


@dataclass(frozen=True)
class KassaState:
    """What one app's Kassa needs at run time."""

    #: The Flask app this state belongs to; the sender of every Kassa signal.
    app: Flask
    #: The parsed ``KASSA_*`` settings.
    config: KassaConfig
    #: Kassa's own database (engine and sessions).
    db: Database
    #: Encrypts and digests personal identity numbers.
    vault: PersonalIdVault
    #: Decides whether a shopper may buy on credit; None uses the default rules.
    credit_decider: Callable[..., Any] | None
    #: The one Stripe client of this app, or None when "pay now" is off.
    stripe: stripe.StripeClient | None
    #: Outbox senders by ``(kind, channel)``; ``("*", channel)`` serves every kind. Filled by
    #: ``init_app``; :func:`kassa.notify.outbox.register_sender` adds or replaces one.
    senders: MutableMapping[tuple[str, str], Sender] = field(default_factory=dict)
    #: Counts requests against ``KASSA_RATE_LIMITS`` on Kassa's own blueprints (Flask-Limiter,
    #: one per app); set by ``init_app``.
    limiter: Limiter | None = None
    #: Each country's credit register (:class:`~kassa.core.credit_register.CreditRegister`),
    #: asked before a credit offer is granted; a country left out has none. Set by
    #: ``init_app`` from ``KASSA_CREDIT_REGISTERS`` and ``Kassa(credit_registers=...)``.
    credit_registers: Mapping[str, Any] = field(default_factory=dict)


def get_state(app: Flask | None = None) -> KassaState:
    """The Kassa state of ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("Kassa is not initialized on this app: call Kassa(app)") from None


def request_session() -> Session:
    """The SQLAlchemy session of the current app context, closed when the context ends."""
    session: Session | None = g.get("_kassa_session")
    if session is None:
        session = get_state().db.sessionmaker()
        g._kassa_session = session
    return session


@contextmanager
def transaction() -> Iterator[Session]:
    """The request session inside a transaction: commit at the end, roll back on error.

    Safe to nest: an inner ``transaction()`` joins the outer one, which alone commits or
    rolls back, so no inner block can end a transaction it did not open. An error whose
    ``keep_changes`` is true (a wrong one-time code, whose spent try must count) is raised
    after a commit instead.
    """
    session = request_session()
    depth = g.get("_kassa_transaction_depth", 0)
    g._kassa_transaction_depth = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException as exc:
        if depth == 0:
            if getattr(exc, "keep_changes", False):
                session.commit()
            else:
                session.rollback()
        raise
    finally:
        g._kassa_transaction_depth = depth


def close_request_session(_exc: BaseException | None) -> None:
    """Teardown of the app context: close the request's session, if one was opened."""
    session: Session | None = g.pop("_kassa_session", None)
    if session is not None:
        session.close()
