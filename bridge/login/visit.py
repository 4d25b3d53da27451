"""What a login page's request tells the login service: a ``Visit``."""

from __future__ import annotations

from flask import request

from bridge.login.screens import Visit
from bridge.services.trusted_devices import COOKIE_NAME as TRUSTED_BROWSER_COOKIE
from bridge.web.browser import browser_id
from bridge.web.context import bridge


def session_token() -> str | None:
    """The bridge session cookie of this request."""
    return request.cookies.get(bridge().services.settings.session.cookie_name)


def visit() -> Visit:
    """This request as the login service sees it: browser, address, cookies."""
    return Visit(
        browser_id=browser_id(),
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        session_token=session_token(),
        trust_token=request.cookies.get(TRUSTED_BROWSER_COOKIE),
    )
