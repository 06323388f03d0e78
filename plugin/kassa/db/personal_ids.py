"""Personal identity numbers at rest: encrypted, digested for lookup, masked for display.

The clear number exists only in memory while a request handles it. The database holds a
Fernet token (key from ``KASSA_ENCRYPTION_KEY``), an HMAC-SHA256 digest keyed from the same
secret (so a returning customer is found without decrypting every row) and the masked form.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet

from ..core.identity import PersonalId
from .models import Customer


class PersonalIdVault:
    """Encrypts, digests and decrypts identity numbers with one app's key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._digest_key = hashlib.sha256(b"kassa-personal-id-digest:" + key).digest()

    def __repr__(self) -> str:
        return "<PersonalIdVault>"

    def digest(self, person: PersonalId) -> str:
        """The lookup digest of a number (hex); equal numbers give equal digests."""
        message = f"{person.country}:{person.compact}".encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()

    def store(self, customer: Customer, person: PersonalId) -> None:
        """Put the encrypted number, its digest, mask and birth date on ``customer``."""
        customer.personal_id_encrypted = self._fernet.encrypt(person.compact.encode())
        customer.personal_id_digest = self.digest(person)
        customer.personal_id_masked = person.masked
        customer.birth_date = person.birth_date

    def seal(self, person: PersonalId) -> str:
        """An encrypted token of ``person`` to keep for a short while (e.g. on a checkout)."""
        return self._fernet.encrypt(f"{person.country}:{person.compact}".encode()).decode()

    def unseal(self, token: str) -> tuple[str, str]:
        """``(country, compact number)`` from a token made by :meth:`seal`."""
        country, _, compact = self._fernet.decrypt(token.encode()).decode().partition(":")
        return country, compact

    def reveal(self, customer: Customer) -> str | None:
        """The clear number, for the rare case the law needs it (e.g. a collection hand-off)."""
        if customer.personal_id_encrypted is None:
            return None
        return self._fernet.decrypt(customer.personal_id_encrypted).decode()
