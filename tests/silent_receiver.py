"""A receiver that never answers, and a way to prove that a request does not wait on it.

:class:`SilentReceiver` listens on ``127.0.0.1`` and a free port, accepts every TCP
connection, reads nothing and never replies: a hook, SMS provider or print service that
hangs. An HTTP client talking to it waits for its whole read timeout (15 s in Kassa).

:func:`finishes_without_contacting` runs a request in a thread and waits for whichever
comes first: the request returning, or the receiver being contacted. Either way the test
is over in moments and never measures time: a request that calls the receiver fails the
test at once, and stopping the receiver closes the connection the request waits on, so
its thread ends without waiting out the client's timeout.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["SilentReceiver", "finishes_without_contacting"]

_T = TypeVar("_T")


class SilentReceiver:
    """Accepts connections on loopback and never answers; use as a context manager."""

    def __init__(self) -> None:
        #: Set at the first connection.
        self.contacted = threading.Event()
        #: Every connection accepted (kept open, unanswered, until :meth:`stop`).
        self.connections: list[socket.socket] = []
        self._watchers: list[threading.Event] = [self.contacted]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SilentReceiver:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> SilentReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "start the receiver first"
        return int(self._listener.getsockname()[1])

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def notify(self, event: threading.Event) -> None:
        """Also set ``event`` when the receiver is contacted (at once if it was)."""
        with self._lock:
            self._watchers.append(event)
            if self.connections:
                event.set()

    def stop(self) -> None:
        """Stop listening and close every connection: a client still waiting for an answer
        gets its connection closed at once. Idempotent."""
        if self._listener is None or self._stopping.is_set():
            return
        self._stopping.set()
        try:  # wake the blocking accept(); the loop sees the flag and ends
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for connection in self.connections:
                connection.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                connection.close()
                return
            with self._lock:
                self.connections.append(connection)
                watchers = list(self._watchers)
            for event in watchers:
                event.set()


def finishes_without_contacting(
    receiver: SilentReceiver, request: Callable[[], _T], *, bound: float = 60.0
) -> _T:
    """Run ``request`` in a thread and return what it returns, asserting that it returned
    before ``receiver`` was ever contacted.

    ``bound`` (seconds) only keeps a broken run from hanging the suite; the outcome never
    depends on how fast anything is. The receiver is stopped before this returns.
    """
    settled = threading.Event()
    receiver.notify(settled)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = request()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc
        finally:
            settled.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert settled.wait(bound), f"the request neither returned nor called out in {bound} s"
        assert not receiver.contacted.is_set(), (
            "the request called a receiver that never answers: it made its caller wait on a "
            "third party"
        )
    finally:
        receiver.stop()  # what the request still waits on fails at once
        thread.join(bound)
    assert not thread.is_alive(), "the request did not end after the receiver stopped"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
