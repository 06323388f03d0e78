"""A local HTTP receiver for tests of outbound webhooks, helpdesk hooks, SMS and hand-overs.

:class:`HttpReceiver` runs a werkzeug server in a thread on ``127.0.0.1`` with a free port,
records every request (method, path, query, headers, raw body) and answers with a programmable
sequence of :class:`Reply` values (or plain status codes); the last one repeats. A reply with
a ``delay`` sleeps before answering, to force a client timeout; stopping the receiver wakes it.

Usage, as a fixture in a test module::

    @pytest.fixture
    def receiver() -> Iterator[HttpReceiver]:
        with HttpReceiver() as running:
            yield running

    def test_retry(receiver):
        receiver.replies = [500, 200]
        post(receiver.url("/hook"), ...)
        assert receiver.requests[0].headers["webhook-id"] == ...
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

__all__ = ["HttpReceiver", "RecordedRequest", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One programmed answer: status, body, headers, and seconds to wait before answering."""

    status: int = 200
    body: bytes | str | Mapping[str, Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the receiver saw it; ``headers`` look-ups ignore case."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class HttpReceiver:
    """A threaded HTTP server on loopback that records requests and answers as programmed."""

    def __init__(self, replies: Iterable[Reply | int] = (200,)) -> None:
        #: The answers, in order; the last repeats. Assign a new list at any time.
        self.replies: list[Reply | int] = list(replies)
        #: Every request received, in order.
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> HttpReceiver:
        self._server = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # a timed-out client leaves no thread to wait on
        # A short poll keeps shutdown() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HttpReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- use --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first"
        return self._server.server_port

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _record(self, recorded: RecordedRequest) -> Reply:
        """Keep ``recorded`` and pick its answer: the n-th request gets the n-th reply."""
        with self._lock:
            self.requests.append(recorded)
            index = len(self.requests) - 1
            chosen = self.replies[min(index, len(self.replies) - 1)] if self.replies else 200
        return chosen if isinstance(chosen, Reply) else Reply(status=chosen)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            headers=Headers(request.headers),
            body=request.get_data(cache=False),
        )
        reply = self._record(recorded)
        if reply.delay:
            self._stopping.wait(reply.delay)
        body = reply.body
        headers = dict(reply.headers)
        if isinstance(body, Mapping):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        response = Response(body, status=reply.status, headers=headers)
        return response(environ, start_response)
