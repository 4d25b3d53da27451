"""Per-browser plumbing: the browser cookie, CSRF tokens and security headers.

The browser cookie is a random id that binds logins in progress to the browser that started
them; CSRF tokens are an HMAC of it, so a form posted without its token (or from a page that
never saw this browser's cookie) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, Response, abort, g, request

from bridge.web.branding import content_security_policy

BROWSER_COOKIE = "bridge_browser"
BROWSER_COOKIE_MAX_AGE = 400 * 24 * 3600
#: Sent with every response (after the ``Content-Security-Policy``), unless a view set one.
SECURITY_HEADERS = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]


def browser_id() -> str | None:
    value = request.cookies.get(BROWSER_COOKIE)
    if value and 20 <= len(value) <= 64:
        return value
    return None


def ensure_browser_id() -> str:
    """The browser's id, minting one (sent with the response) when it has none."""
    existing = browser_id() or g.get("new_browser_id")
    if existing:
        return str(existing)
    g.new_browser_id = secrets.token_urlsafe(24)
    return str(g.new_browser_id)


def csrf_token(secret_key: bytes) -> str:
    bid = ensure_browser_id()
    return hmac.new(secret_key, b"csrf:" + bid.encode(), hashlib.sha256).hexdigest()


def check_csrf(secret_key: bytes) -> None:
    """Abort with 400 unless the form carries this browser's CSRF token."""
    bid = browser_id()
    sent = request.form.get("csrf_token", "")
    if bid is None or not sent:
        abort(400, description="csrf")
    expected = hmac.new(secret_key, b"csrf:" + bid.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode()):
        abort(400, description="csrf")


def cookies_are_secure(issuer: str) -> bool:
    return issuer.startswith("https://")


def install(app: Flask, *, secure: bool) -> None:
    """The browser id cookie (``Secure`` when the issuer is https) and the security headers."""

    @app.after_request
    def _finish(response: Response) -> Response:
        new_id = g.get("new_browser_id")
        if new_id:
            response.set_cookie(
                BROWSER_COOKIE,
                new_id,
                max_age=BROWSER_COOKIE_MAX_AGE,
                httponly=True,
                secure=secure,
                samesite="Lax",
                path="/",
            )
        headers = response.headers
        # What ``headers.setdefault`` would do for each, with one pass over the headers
        # instead of one per name (issue 16): the same headers, in the same order.
        present = {name.lower() for name, _value in headers}
        defaults = [("Content-Security-Policy", content_security_policy()), *SECURITY_HEADERS]
        if response.mimetype == "text/html":
            defaults.append(("Cache-Control", "no-store"))
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        return response
