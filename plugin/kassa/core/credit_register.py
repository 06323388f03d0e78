"""What a credit register says about a person, and what a register adapter promises.

A register answers one question before a credit decision: what does the country's credit
information say about this person right now? Finland's positive credit register
(Positiivinen luottotietorekisteri, kept by the Incomes Register Unit), a Norwegian debt
information company or credit bureau, a Swedish credit bureau (UC and others): each is reached
through an adapter that implements :class:`CreditRegister` and answers with a
:class:`RegisterReport`. What each field means and which register reports it is in
``docs/consumer-credit.md`` ("Creditworthiness assessment").

A field a register does not report is None, never 0: "no ban reported" (False) and "this
register cannot tell" (None) are different answers, and the decision records which it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .errors import KassaError
from .identity import PersonalId

__all__ = ["CreditRegister", "RegisterReport", "RegisterUnavailable"]


@dataclass(frozen=True)
class RegisterReport:
    """One register's answer about one person. Amounts in minor units of ``currency``."""

    #: The register's name as configured, e.g. ``"fi-positive-credit-register"``.
    register: str
    #: The currency the amounts are in (the country's).
    currency: str
    #: True when the person has set a voluntary credit ban (FI: vapaaehtoinen luottokielto;
    #: NO: kredittsperre at the credit bureaus); None when this register does not report bans.
    credit_ban: bool | None
    #: Unsecured consumer credit outstanding (loans, credit lines, card balances, instalment
    #: purchases), without loans secured by a home; None when not reported.
    unsecured_debt: int | None
    #: Registered payment defaults or payment delays (FI: delays of 60 days or more; SE:
    #: betalningsanmärkningar); None when not reported.
    payment_defaults: int | None
    #: Gross annual income as the register knows it (FI: from the Incomes Register; SE: the
    #: last taxed income); None when not reported.
    annual_income: int | None
    #: The register's own id of this enquiry, kept with the decision for the audit trail.
    reference: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON, as the decision record keeps it."""
        return {"register": self.register, "currency": self.currency,
                "credit_ban": self.credit_ban, "unsecured_debt": self.unsecured_debt,
                "payment_defaults": self.payment_defaults,
                "annual_income": self.annual_income, "reference": self.reference}


class RegisterUnavailable(KassaError):
    """The register could not answer (no connection, a timeout, an error, an answer that does
    not follow the protocol). The message never contains the register's URL or credentials."""

    code = "register.unavailable"


class CreditRegister(Protocol):
    """A country's credit register, as Kassa asks it.

    :meth:`report` is called once per credit decision, with the identity number in clear
    (it exists only in memory while the request runs). It returns a :class:`RegisterReport`
    or raises :class:`RegisterUnavailable`; it never returns a report it is unsure of.
    """

    #: The register's name as the decision record keeps it.
    name: str

    def report(self, person: PersonalId, *, amount: int, currency: str) -> RegisterReport:
        """What the register says about ``person``, who applies for credit of ``amount``
        minor units of ``currency`` (some registers log the purpose and amount)."""
        ...
