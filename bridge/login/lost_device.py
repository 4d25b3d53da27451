""" "Lost your device?" (R13, seed 002): from the code page, a user who has just proven their
password asks the admins of their organisations to reset their second factor.

``bridge.login.side_pages`` files the request with every organisation of the user (any admin
of any of them may approve it; ``bridge.services.reset_requests`` mails them and records
``mfa_reset_requested``) and ends the login. ``bridge.login.views`` registers these views.
"""

from __future__ import annotations

from flask import render_template, request

from bridge.login.side_pages import LoginSidePages
from bridge.login.visit import visit
from bridge.web.browser import check_csrf, csrf_token
from bridge.web.context import bridge
from bridge.web.language import remember


def lost_device(flow_id: str) -> str:
    pages = LoginSidePages(bridge().services)
    remember(pages.hints(flow_id, visit()))
    user_id = pages.asking_user(flow_id, visit())
    return render_template(
        "login/lost_device.html",
        flow_id=flow_id,
        has_admins=bool(pages.organisations(user_id)),
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


def request_reset(flow_id: str) -> str:
    check_csrf(bridge().services.secrets.secret_key)
    pages = LoginSidePages(bridge().services)
    remember(pages.hints(flow_id, visit()))
    pages.request_reset(flow_id, visit(), request.form.get("message", ""))
    return render_template("login/reset_requested.html")
