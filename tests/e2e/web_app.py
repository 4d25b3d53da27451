"""A relying party's web application on a real socket, for browser journeys that must end at an
application as a person meets one: it sends its visitors to the bridge, and at its callback it
redeems the code over HTTP, checks the ID token as a careful relying party does, and greets the
person by name."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.e2e.harness import AuthRequest, LiveBridge, RelyingParty
from tests.ports import unused_port


class WebApp:
    """``/`` starts a sign-in at the bridge; ``/callback`` finishes it and shows who signed in."""

    def __init__(self, live: LiveBridge, name: str, port: int) -> None:
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        client, secret = live.services.clients.add(name, [f"{self.url}/callback"])
        self.rp = RelyingParty(
            live.url, client.id, secret, redirect_uri=f"{self.url}/callback", now=live.clock
        )
        self._started: dict[str, AuthRequest] = {}
        #: The ID token claims of each sign-in the callback finished.
        self.signed_in: list[dict[str, Any]] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/":
            started = self.rp.authorization_request()
            self._started[started.state] = started
            response = Response(status=302, headers={"Location": started.url})
        elif request.path == "/callback":
            response = self._callback(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _callback(self, request: Request) -> Response:
        started = self._started.pop(request.args.get("state", ""), None)
        if started is None or "code" not in request.args:
            return self._page("Sign-in failed", request.args.get("error", "unknown state"), 400)
        tokens = self.rp.exchange(request.args["code"], started.verifier)
        if tokens.status_code != 200:
            return self._page("Sign-in failed", tokens.text, 400)
        claims = self.rp.id_token_claims(tokens.json()["id_token"], started.nonce)
        self.signed_in.append(claims)
        return self._page(self.name, f"Signed in as {claims['preferred_username']}", 200)

    def _page(self, heading: str, text: str, status: int) -> Response:
        body = (
            f"<!doctype html><html lang='en'><title>{html.escape(self.name)}</title>"
            f"<h1>{html.escape(heading)}</h1><p id='greeting'>{html.escape(text)}</p></html>"
        )
        return Response(body, status=status, mimetype="text/html")


@contextmanager
def web_app(live: LiveBridge, name: str = "Notes") -> Iterator[WebApp]:
    """A ``WebApp`` registered with ``live`` as a confidential client, served on a port of its
    own while the block runs (``live`` must listen on a real socket)."""
    port = unused_port()
    app = WebApp(live, name, port)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
