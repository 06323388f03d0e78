"""A Kassa app served on loopback for the browser tests, on SQLite or PostgreSQL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import _PG_PROBLEM, IN_CI, POSTGRES_URL, _reset_postgres


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(kind: str, folder: Path) -> str:
    """A SQLite file in ``folder``, or the tests' PostgreSQL emptied (skipped without it on a
    developer's machine, failed in CI)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'kassa.sqlite3'}"
    if _PG_PROBLEM:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not reachable: {_PG_PROBLEM}")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@contextmanager
def serving(app: Flask, port: int = 0, name: str = "kassa-live-server") -> Iterator[str]:
    """``app`` on ``127.0.0.1:port`` (0: any free port) in a thread until the block ends;
    yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name=name)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
