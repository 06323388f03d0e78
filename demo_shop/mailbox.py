"""The demo's mailbox: a real SMTP server on loopback that keeps what it receives in memory,
and pages to read it, so that the invoice e-mail Kassa sends can be seen without any mail
account.

Usage (the demo's ``run.py``)::

    mailbox = start_mailbox()                      # 127.0.0.1, a free port
    app = create_app(..., KASSA_SMTP_HOST="127.0.0.1", KASSA_SMTP_PORT=mailbox.port)
    register_mailbox(app, mailbox)                 # /mailbox, /mailbox/<n>, attachments
    ...
    mailbox.stop()
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask, Response, abort, render_template, session
from markupsafe import Markup, escape

from .text import COUNTRY_LOCALE, template_words

__all__ = ["Mailbox", "ReceivedMessage", "register_mailbox", "start_mailbox"]

_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a received message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it."""

    #: 1, 2, 3 ... in the order received.
    number: int
    received_at: datetime
    mail_from: str
    recipients: tuple[str, ...]
    #: The message exactly as sent (RFC 5322 bytes).
    raw: bytes
    parsed: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.parsed.get("To", "")) or ", ".join(self.recipients)

    @property
    def text(self) -> str:
        """The plain-text body ("" when there is none)."""
        body = self.parsed.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""  # type: ignore[attr-defined]

    @property
    def html(self) -> str | None:
        """The HTML alternative, if any."""
        body = self.parsed.get_body(preferencelist=("html",))
        return body.get_content() if body is not None else None  # type: ignore[attr-defined]

    @property
    def attachments(self) -> list[Attachment]:
        return [Attachment(part.get_filename() or f"attachment-{i}",
                           part.get_content_type(), part.get_payload(decode=True) or b"")
                for i, part in enumerate(self.parsed.iter_attachments(), start=1)]


class _Handler:
    """aiosmtpd handler: accept every message and keep it."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.mailbox._store(envelope.mail_from or "", tuple(envelope.rcpt_tos),
                            bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on a loopback address that keeps the messages it receives.

    Safe to read from any thread while the server's thread receives.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server (the messages stay readable)."""
        self._controller.stop()

    def messages(self) -> list[ReceivedMessage]:
        """Every message received so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def message(self, number: int) -> ReceivedMessage | None:
        """Message ``number`` (1 is the first received), or None."""
        with self._lock:
            return self._messages[number - 1] if 1 <= number <= len(self._messages) else None

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def _store(self, mail_from: str, recipients: tuple[str, ...], raw: bytes) -> None:
        parsed = message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self._messages.append(ReceivedMessage(len(self._messages) + 1, datetime.now(UTC),
                                                  mail_from, recipients, raw,
                                                  parsed))  # type: ignore[arg-type]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_mailbox(host: str = "127.0.0.1", port: int = 0) -> Mailbox:
    """Start a mailbox on ``host`` (loopback) and ``port`` (0: a free one); read ``.port``."""
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise ValueError(f"the demo mailbox listens on loopback only, not {host!r}")
    for _attempt in range(5):
        mailbox = Mailbox(host, port)
        try:
            return mailbox.start()
        except (OSError, RuntimeError):
            if port:  # a fixed port that is taken: nothing else to try
                raise
    raise RuntimeError(f"could not find a free port on {host} for the demo mailbox")


def linkify(text: str) -> Markup:
    """``text`` HTML-escaped, with its http(s) links made clickable."""
    out, position = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        out += [escape(text[position:match.start()]),
                Markup('<a href="{0}">{0}</a>').format(url)]
        position = match.start() + len(url)
    out.append(escape(text[position:]))
    return Markup("").join(out)


def register_mailbox(app: Flask, mailbox: Mailbox) -> None:
    """Add the mailbox pages to ``app``: ``/mailbox`` (endpoint ``mailbox``),
    ``/mailbox/<n>`` and ``/mailbox/<n>/attachment/<i>``."""

    def page(template: str, **values: Any) -> str:
        country = str(session.get("country") or "FI").upper()
        country = country if country in COUNTRY_LOCALE else "FI"
        locale = COUNTRY_LOCALE[country]
        return render_template(template, country=country, locale=locale,
                               **template_words(locale), url_map_endpoints=app.view_functions,
                               **values)

    def mailbox_list() -> str:
        return page("mailbox.html", messages=list(reversed(mailbox.messages())),
                    address=f"{mailbox.host}:{mailbox.port}")

    def mailbox_message(n: int) -> str:
        message = mailbox.message(n)
        if message is None:
            abort(404)
        return page("mailbox_message.html", message=message, body=linkify(message.text))

    def mailbox_attachment(n: int, i: int) -> Response:
        message = mailbox.message(n)
        attachments = message.attachments if message is not None else []
        if not 1 <= i <= len(attachments):
            abort(404)
        item = attachments[i - 1]
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", item.filename)
        return Response(item.data, mimetype=item.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'})

    app.add_url_rule("/mailbox", "mailbox", mailbox_list)
    app.add_url_rule("/mailbox/<int:n>", "mailbox_message", mailbox_message)
    app.add_url_rule("/mailbox/<int:n>/attachment/<int:i>", "mailbox_attachment",
                     mailbox_attachment)
    app.extensions["demo_mailbox"] = mailbox
