"""localstripe, the fake Stripe from PyPI, as a subprocess on loopback, for the demo and tests.

localstripe's own command line has only ``--port`` and binds every interface (``::``); it
also pickles its state to ``/tmp/localstripe.pickle`` after each write, a file every
localstripe on the machine would share. So this module is also the program the subprocess
runs (``python demo_shop/local_stripe.py --port-file F --parent PID``): it imports
localstripe's aiohttp app and serves it on ``127.0.0.1`` on a free port (chosen by the
kernel, written to ``F``), from scratch, without the pickle file, until it is stopped or the
process ``PID`` (the demo, the test run) is gone, plus one extra route,
``DELETE /_config/webhooks``, that forgets every registered webhook (localstripe itself can
only add them).

:func:`start_localstripe` returns a running :class:`LocalStripe`; call ``stop()`` when done.
The tests' fixtures are in ``tests/localstripe_server.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import requests

__all__ = ["LocalStripe", "start_localstripe"]

#: Any ``sk_test_`` key works with localstripe; the demo and the tests use this one.
SECRET_KEY = "sk_test_kassa_localstripe"
PUBLISHABLE_KEY = "pk_test_kassa_localstripe"


class LocalStripe:
    """A running localstripe: its base URL and a few helpers around its ``/_config`` API."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: str) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        #: Base URL, e.g. ``http://127.0.0.1:41234``; use it as ``KASSA_STRIPE_API_BASE``.
        self.url = f"http://127.0.0.1:{port}"
        #: The fake Stripe.js; use it as ``KASSA_STRIPE_JS_URL``.
        self.js_url = f"{self.url}/js.stripe.com/v3/"
        self.secret_key = SECRET_KEY
        self.publishable_key = PUBLISHABLE_KEY

    def config(self, **extra: Any) -> dict[str, Any]:
        """``KASSA_STRIPE_*`` settings pointing a Kassa app at this localstripe."""
        return {
            "KASSA_STRIPE_SECRET_KEY": self.secret_key,
            "KASSA_STRIPE_PUBLISHABLE_KEY": self.publishable_key,
            "KASSA_STRIPE_API_BASE": self.url,
            "KASSA_STRIPE_JS_URL": self.js_url,
            **extra,
        }

    def reset(self) -> None:
        """Forget every object and every webhook."""
        requests.delete(f"{self.url}/_config/data", timeout=5).raise_for_status()
        requests.delete(f"{self.url}/_config/webhooks", timeout=5).raise_for_status()

    def register_webhook(
        self, url: str, secret: str, events: list[str] | None = None, webhook_id: str = "kassa"
    ) -> None:
        """Have localstripe POST its events, signed with ``secret``, to ``url``
        (about one second after each event, once, without retries)."""
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events:
            data.update({f"events[{i}]": name for i, name in enumerate(events)})
        requests.post(
            f"{self.url}/_config/webhooks/{webhook_id}", data=data, timeout=5
        ).raise_for_status()

    def api(self, method: str, path: str, **params: Any) -> Any:
        """Call the fake Stripe API with the secret key; returns the decoded JSON."""
        response = requests.request(
            method,
            f"{self.url}{path}",
            auth=(self.secret_key, ""),
            data=params if method.upper() != "GET" else None,
            params=params if method.upper() == "GET" else None,
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def log(self) -> str:
        """What localstripe wrote so far (requests, webhook deliveries, errors)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop the process this object started (by its pid), wait for it and remove its
        temporary folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(os.path.dirname(self.log_path), ignore_errors=True)


def start_localstripe(timeout: float = 30.0) -> LocalStripe:
    """Start localstripe on ``127.0.0.1`` and a free port; return once it answers."""
    folder = tempfile.mkdtemp(prefix="kassa-localstripe-")
    port_file = os.path.join(folder, "port")
    log_path = os.path.join(folder, "localstripe.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--port-file",
                port_file,
                "--parent",
                str(os.getpid()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
        )
    deadline = time.monotonic() + timeout
    port = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if port is None and os.path.exists(port_file):
            with open(port_file, encoding="ascii") as handle:
                text = handle.read().strip()
            port = int(text)  # written whole: the child renames a finished file into place
        if port is not None:
            try:
                if (
                    requests.get(
                        f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=2
                    ).status_code
                    == 200
                ):
                    return LocalStripe(process, port, log_path)
            except requests.ConnectionError:
                pass
        time.sleep(0.1)
    server = LocalStripe(process, port or 0, log_path)
    log = server.log()
    server.stop()
    raise RuntimeError(f"localstripe did not start within {timeout} s:\n{log}")


# -- the subprocess ----------------------------------------------------------------------------


def _serve(port_file: str, parent: int) -> None:
    """Serve localstripe's app on 127.0.0.1 only, without its shared pickle file, until
    stopped or until process ``parent`` (the test run) is gone."""
    import asyncio
    import logging
    import socket

    from aiohttp import web
    from localstripe import resources, server, webhooks

    # localstripe saves its whole store to /tmp/localstripe.pickle after every write; that
    # file would be shared by every localstripe on the machine. Keep the state in memory.
    resources.store.dump_to_disk = lambda: None  # type: ignore[method-assign]

    async def forget_webhooks(_request: web.Request) -> web.Response:
        webhooks._webhooks.clear()
        return web.Response()

    server.app.router.add_delete("/_config/webhooks", forget_webhooks)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    temporary = port_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{sock.getsockname()[1]}\n")
    os.replace(temporary, port_file)

    async def stop_with_parent(_app: web.Application) -> None:
        # A test run that dies without its teardown (SIGKILL) must not leave localstripe behind.
        async def watch() -> None:
            while os.getppid() == parent:
                await asyncio.sleep(1)
            os._exit(0)

        _app["kassa_watch_parent"] = asyncio.ensure_future(watch())

    server.app.on_startup.append(stop_with_parent)

    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(sys.stdout))
    web.run_app(server.app, sock=sock, access_log=logger, print=None)


if __name__ == "__main__":
    # Run as a script, this file's folder leads sys.path; keep demo_shop/ out of the imports
    # (its mailbox.py would shadow the standard library's).
    sys.path[:] = [
        p
        for p in sys.path
        if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))
    ]
    import argparse

    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1, for the demo and tests")
    parser.add_argument("--port-file", required=True, help="where to write the chosen port")
    parser.add_argument(
        "--parent",
        type=int,
        default=os.getppid(),
        help="stop when this process (the demo, the test run) is gone",
    )
    arguments = parser.parse_args()
    _serve(arguments.port_file, arguments.parent)
