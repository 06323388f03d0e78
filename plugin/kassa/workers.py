"""Work shared between threads of one process, each inside the Flask app's context: what
``--workers N`` runs for the reminder run and for the outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app

__all__ = ["run_in_threads"]


def run_in_threads(count: int, work: Callable[[int], None], *, name: str) -> None:
    """Call ``work(0)`` to ``work(count - 1)`` at once, each in a thread of its own (named
    ``name-0`` ...) inside the current app's context. Returns when every one has ended;
    then raises the first error one of them raised, if any. Needs the app context."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with app.app_context():
                work(index)
        except BaseException as error:  # handed to the caller below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,), name=f"{name}-{index}")
               for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
