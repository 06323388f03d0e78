"""A real SMTP server on loopback (aiosmtpd) and an app that sends its e-mail there."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


def free_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    """What the server received; set ``refuse`` to an SMTP reply to refuse messages."""

    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: str | None = None
    controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
                for _from, _to, raw in self.received]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on a free loopback port."""
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str, smtp_server: SmtpServer) -> Flask:
    """A migrated Kassa app (SQLite and PostgreSQL) whose e-mail goes to ``smtp_server``."""
    return make_app(db_url, KASSA_SMTP_PORT=smtp_server.port, KASSA_MAIL_FROM="laskut@shop.test")
