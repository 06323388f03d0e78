"""The demo's identity broker: a real OpenID Connect provider on loopback (oidc-provider-mock)
standing in for the Finnish Trust Network or BankID, so a Finnish purchase can be finished
in the demo with strong identification, exactly as it runs against a real broker."""

from __future__ import annotations

import threading
import warnings

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

with warnings.catch_warnings():  # the mock uses Authlib APIs Authlib has deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import app as provider_app

#: People the demo broker knows: who to type at its sign-in page, and what it vouches for.
DEMO_PEOPLE = {
    "maija": {"personal_identity_number": "131052-308T", "name": "Maija Meikäläinen"},
    "sven": {"personal_identity_number": "19811218-9876", "name": "Sven Svensson"},
    "kari": {"personal_identity_number": "01010750160", "name": "Kari Nordmann"},
    # What the demo credit register (credit_register.py) says: a credit ban; high debt.
    "liisa": {"personal_identity_number": "150385-212V", "name": "Liisa Esimerkki"},
    "pekka": {"personal_identity_number": "240790-346H", "name": "Pekka Esimerkki"},
}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def start_identity_broker(host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """Run the broker in a thread; its issuer is ``http://{host}:{server.server_port}``."""
    server = make_server(host, port, provider_app(require_nonce=True), threaded=True,
                         request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True, name="demo-idp").start()
    issuer = f"http://{host}:{server.server_port}"
    for subject, claims in DEMO_PEOPLE.items():
        requests.put(f"{issuer}/users/{subject}", json=claims, timeout=5).raise_for_status()
    return server


def broker_settings(server: BaseWSGIServer) -> dict[str, str]:
    """The Kassa settings that send strong identification to this broker."""
    return {"KASSA_OIDC_ISSUER": f"http://127.0.0.1:{server.server_port}",
            "KASSA_OIDC_CLIENT_ID": "kassa-demo", "KASSA_OIDC_CLIENT_SECRET": "demo-secret"}
