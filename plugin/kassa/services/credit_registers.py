"""The credit registers Kassa asks before granting credit: the HTTP adapter and the registry.

Every register is reached through one small JSON protocol (docs/consumer-credit.md, "The
register protocol"), so that a merchant puts a thin service of its own, or its credit bureau's
gateway, in front of the real register (Finland's positive credit register, a Norwegian credit
bureau, a Swedish credit bureau) and names it in ``KASSA_CREDIT_REGISTERS``. An integrator
can also hand Kassa any object that implements
:class:`~kassa.core.credit_register.CreditRegister` (``Kassa(credit_registers={...})``).

:class:`HttpCreditRegister` sends one POST and reads one answer. Anything but a 200 with a
well-formed body is :class:`~kassa.core.credit_register.RegisterUnavailable`: a register
that half-answers is not trusted with a credit decision. Error texts never contain the URL
or the token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from ..config import COUNTRY_CURRENCY, CreditRegisterSetting, KassaConfig
from ..core.credit_register import CreditRegister, RegisterReport, RegisterUnavailable
from ..core.identity import PersonalId
from ..errors import ConfigurationError

__all__ = ["HttpCreditRegister", "registers_from_config"]

_USER_AGENT = "Kassa-credit-register/1"
#: The answer's fields that hold a count or an amount: a whole number >= 0, or null.
_NUMBERS = ("unsecured_debt", "payment_defaults", "annual_income")
#: Larger answers are not a register's answer about one person.
_MAX_ANSWER_BYTES = 64 * 1024


class HttpCreditRegister:
    """A register behind Kassa's JSON protocol at ``setting.url``."""

    def __init__(self, setting: CreditRegisterSetting) -> None:
        self.name = setting.name
        self._setting = setting

    def __repr__(self) -> str:
        return f"<HttpCreditRegister {self.name} {self._setting.country}>"

    def report(self, person: PersonalId, *, amount: int, currency: str) -> RegisterReport:
        """Ask the register about ``person``; see the module docstring for what fails."""
        setting = self._setting
        body = {"country": person.country, "personal_id": person.compact,
                "purpose": "credit_application", "amount": amount, "currency": currency}
        headers = {"User-Agent": _USER_AGENT, "Content-Type": "application/json",
                   "Accept": "application/json"}
        if setting.token:
            headers["Authorization"] = f"Bearer {setting.token}"
        try:
            response = requests.post(setting.url, data=json.dumps(body), headers=headers,
                                     timeout=setting.timeout_seconds, allow_redirects=False)
        except requests.Timeout:
            raise self._unavailable(f"no answer within {setting.timeout_seconds} s") from None
        except requests.RequestException as exc:
            # str(exc) names the URL: only the kind of failure is kept.
            raise self._unavailable(f"request failed ({type(exc).__name__})") from None
        with response:
            if response.status_code != 200:
                raise self._unavailable(f"HTTP {response.status_code}")
            raw = response.content
        if len(raw) > _MAX_ANSWER_BYTES:
            raise self._unavailable("the answer is too large")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise self._unavailable("the answer is not JSON") from None
        return self._read(answer, currency)

    def _read(self, answer: Any, currency: str) -> RegisterReport:
        if not isinstance(answer, Mapping):
            raise self._unavailable("the answer is not a JSON object")
        ban = answer.get("credit_ban")
        if ban is not None and not isinstance(ban, bool):
            raise self._unavailable("credit_ban must be true, false or null")
        numbers: dict[str, int | None] = {}
        for name in _NUMBERS:
            value = answer.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise self._unavailable(f"{name} must be a whole number >= 0 or null")
            numbers[name] = value
        answered_currency = answer.get("currency", currency)
        if answered_currency != currency:
            raise self._unavailable(f"the amounts are in {answered_currency!r}, not {currency}")
        reference = answer.get("reference")
        return RegisterReport(
            register=self.name, currency=currency, credit_ban=ban,
            unsecured_debt=numbers["unsecured_debt"],
            payment_defaults=numbers["payment_defaults"],
            annual_income=numbers["annual_income"],
            reference=str(reference)[:100] if reference not in (None, "") else None)

    def _unavailable(self, why: str) -> RegisterUnavailable:
        return RegisterUnavailable(f"credit register {self.name!r} ({self._setting.country}): "
                                   f"{why}", register=self.name)


def registers_from_config(config: KassaConfig,
                          custom: Mapping[str, CreditRegister] | None = None
                          ) -> dict[str, CreditRegister]:
    """The register of each country: ``KASSA_CREDIT_REGISTERS`` as HTTP adapters, replaced by
    the integrator's own objects in ``custom`` (by country code). Raises
    :class:`~kassa.errors.ConfigurationError` for a country Kassa does not serve."""
    registers: dict[str, CreditRegister] = {
        country: HttpCreditRegister(setting)
        for country, setting in config.credit_registers.items()}
    for country, register in (custom or {}).items():
        if country.upper() not in COUNTRY_CURRENCY:
            raise ConfigurationError("Kassa(credit_registers=...)",
                                     f"unknown country {country!r}; Kassa supports FI, SE and NO")
        registers[country.upper()] = register
    return registers
