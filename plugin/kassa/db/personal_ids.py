"""Personal identity numbers at rest: encrypted, digested for lookup, masked for display.

The clear number exists only in memory while a request handles it. The database holds a
Fernet token, an HMAC-SHA256 digest keyed from the same secret (so a returning customer is
found without decrypting every row) and the masked form.

``KASSA_ENCRYPTION_KEY`` may list several keys: the first encrypts and digests, every one
decrypts (a MultiFernet), and lookups try the digest under each, so a new key can be put in
front before ``flask kassa rotate-key`` re-encrypts the rows. The first number encrypted
records a check value in ``kassa_key_checks``; at start-up it tells whether the configured
keys are the ones the database was encrypted with.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..core.identity import PersonalId
from .bulk import insert_or_ignore
from .models import CheckoutSession, Customer, KeyCheck, StaffUser

#: What the check value encrypts; only whether it decrypts matters.
_CHECK_PLAINTEXT = b"kassa encryption key check"


class PersonalIdVault:
    """Encrypts, digests and decrypts identity numbers with one app's keys."""

    def __init__(self, keys: bytes | Sequence[bytes]) -> None:
        keys = [keys] if isinstance(keys, bytes) else list(keys)
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._digest_keys = [hashlib.sha256(b"kassa-personal-id-digest:" + key).digest()
                             for key in keys]

    def __repr__(self) -> str:
        return "<PersonalIdVault>"

    def digest(self, person: PersonalId) -> str:
        """The lookup digest of a number under the first key (hex), as stored."""
        return self._digest(self._digest_keys[0], person.country, person.compact)

    def digests(self, person: PersonalId) -> list[str]:
        """The number's digest under every configured key, the stored one first: look up
        with all of them until ``flask kassa rotate-key`` has rewritten the old ones."""
        return [self._digest(key, person.country, person.compact) for key in self._digest_keys]

    @staticmethod
    def _digest(key: bytes, country: str, compact: str) -> str:
        return hmac.new(key, f"{country}:{compact}".encode(), hashlib.sha256).hexdigest()

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

    def seal_secret(self, secret: str) -> str:
        """``secret`` (e.g. a staff member's one-time-code key) encrypted for storage."""
        return self._fernet.encrypt(secret.encode()).decode()

    def unseal_secret(self, token: str) -> str:
        """The secret :meth:`seal_secret` encrypted."""
        return self._fernet.decrypt(token.encode()).decode()

    def reveal(self, customer: Customer) -> str | None:
        """The clear number, for the rare case the law needs it (e.g. a collection hand-off)."""
        if customer.personal_id_encrypted is None:
            return None
        return self._fernet.decrypt(customer.personal_id_encrypted).decode()

    # -- the check value and rotation ---------------------------------------------------------

    def check_value(self) -> bytes:
        """A fresh check value under the first key."""
        return self._fernet.encrypt(_CHECK_PLAINTEXT)

    def opens(self, check_value: bytes) -> bool:
        """Whether one of the configured keys made ``check_value``."""
        try:
            return self._fernet.decrypt(check_value) == _CHECK_PLAINTEXT
        except InvalidToken:
            return False

    def rotate(self, session: Session) -> Rotation:
        """Re-encrypt every stored number and sealed identity with the first key, rewrite the
        digests under it and renew the check value. Run inside one transaction."""
        customers = 0
        for customer in session.scalars(select(Customer).where(
                Customer.personal_id_encrypted.is_not(None))).all():
            compact = self._fernet.decrypt(customer.personal_id_encrypted).decode()
            customer.personal_id_encrypted = self._fernet.rotate(customer.personal_id_encrypted)
            customer.personal_id_digest = self._digest(self._digest_keys[0], customer.country,
                                                       compact)
            customers += 1
        sealed = 0
        for checkout in session.scalars(select(CheckoutSession).where(
                CheckoutSession.verified_identity.is_not(None))).all():
            verified = dict(checkout.verified_identity or {})
            if "token" in verified:
                verified["token"] = self._fernet.rotate(verified["token"].encode()).decode()
                checkout.verified_identity = verified
                sealed += 1
        for staff in session.scalars(select(StaffUser).where(
                StaffUser.totp_secret.is_not(None))).all():
            staff.totp_secret = self._fernet.rotate((staff.totp_secret or "").encode()).decode()
        store_check_value(session, self, replace=True)
        return Rotation(customers=customers, sealed=sealed)


@dataclass(frozen=True)
class Rotation:
    """What :meth:`PersonalIdVault.rotate` re-encrypted."""

    customers: int
    sealed: int


def store_check_value(session: Session, vault: PersonalIdVault, *, replace: bool = False) -> None:
    """Record the check value of ``vault``'s first key, unless one is recorded already (the
    first number Kassa encrypts records it)."""
    if replace:
        row = session.get(KeyCheck, "encryption_key")
        if row is not None:
            row.value = vault.check_value()
            return
    session.execute(insert_or_ignore(session, KeyCheck).values(
        name="encryption_key", value=vault.check_value()))


def check_encryption_key(session: Session, vault: PersonalIdVault) -> bool | None:
    """Whether the configured keys are the ones this database's numbers were encrypted with.

    True when they open the recorded check value, or when nothing is encrypted yet; False
    when they do not. A database encrypted before check values existed is checked against
    one of its numbers, and the check value recorded. None when Kassa's tables do not exist
    yet (before ``flask kassa db upgrade``).
    """
    if not inspect(session.connection()).has_table(KeyCheck.__tablename__):
        return None
    row = session.get(KeyCheck, "encryption_key")
    if row is not None:
        return vault.opens(row.value)
    sample = session.scalar(select(Customer.personal_id_encrypted).where(
        Customer.personal_id_encrypted.is_not(None)).limit(1))
    if sample is None:
        return True
    try:
        vault.reveal(Customer(personal_id_encrypted=sample))
    except InvalidToken:
        return False
    store_check_value(session, vault)
    return True
