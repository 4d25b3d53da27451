""" "Forgot your password?" (issue 14): the pages that ask for a link and use it.

Thin: ``bridge.services.password_resets`` decides who gets a link, ``bridge.services.account
.passwords`` sets the new password, ``bridge.login.after_reset`` sends it through the login
flow (which asks for the second factor). ``bridge.login.views`` registers these views.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import InvalidInput
from bridge.domain.wording import N_
from bridge.login.after_reset import sign_in_after_reset
from bridge.login.continuation import ReturnTo
from bridge.login.errors import Throttled
from bridge.login.side_pages import LoginSidePages
from bridge.login.views import after_post, logins, render
from bridge.login.visit import visit
from bridge.services.account.passwords import Where, reset_password
from bridge.services.password_resets import ResetLinkInvalid
from bridge.storage.db.unit import when_abandoned
from bridge.web.browser import check_csrf, csrf_token, ensure_browser_id
from bridge.web.context import bridge
from bridge.web.language import remember
from flows.context import LoginRequest

bp = Blueprint("password", __name__)

MAX_FIELD = 1024
NOT_THE_SAME = N_("The two passwords are not the same.")


def _flow_id() -> str | None:
    value = request.values.get("flow", "")
    return value if value.isascii() and value.isprintable() and 0 < len(value) <= 64 else None


@bp.get("/password/forgot")
def forgot() -> str:
    flow_id = _flow_id()
    if flow_id is not None:
        remember(LoginSidePages(bridge().services).hints(flow_id, visit()))
    return render_template(
        "login/forgot_password.html",
        flow_id=flow_id,
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


@bp.post("/password/forgot")
def ask_for_link() -> str:
    """The same page for every answer: whether an account matched is never said."""
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    retry_after = s.lockout.admit(request.remote_addr)  # every request keeps its slot
    if retry_after is not None:
        raise Throttled(retry_after)
    when_abandoned(lambda: s.lockout.give_back(request.remote_addr))
    identifier = request.form.get("identifier", "")[:MAX_FIELD]
    flow_id = _flow_id()
    if flow_id is not None:
        remember(LoginSidePages(s).hints(flow_id, visit()))
    s.password_resets.request(
        identifier,
        flow_id=flow_id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    return render_template("login/forgot_sent.html", flow_id=flow_id)


@bp.get("/password/reset/<token>")
def reset_form(token: str) -> str:
    bridge().services.password_resets.open(token)
    return _form(token, [])


def _form(token: str, errors: list[str]) -> str:
    return render_template(
        "login/reset_password.html",
        token=token,
        errors=errors,
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


@bp.post("/password/reset/<token>")
def set_new_password(token: str) -> WerkzeugResponse | tuple[str, int]:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    retry_after = s.lockout.admit(request.remote_addr)
    if retry_after is not None:
        raise Throttled(retry_after)
    password = request.form.get("password", "")[:MAX_FIELD]
    if password != request.form.get("confirm", "")[:MAX_FIELD]:
        s.lockout.give_back(request.remote_addr)
        return _form(token, [NOT_THE_SAME]), 400
    try:
        ticket = reset_password(
            s, token, password, Where(request.remote_addr, request.user_agent.string)
        )
    except ResetLinkInvalid:
        when_abandoned(lambda: s.lockout.give_back(request.remote_addr))
        raise
    except InvalidInput as refused:
        s.lockout.give_back(request.remote_addr)
        return _form(token, [refused.message]), 400
    s.lockout.give_back(request.remote_addr)

    def start() -> str:
        back = ReturnTo(url_for("account.account"))
        return logins().start(LoginRequest(), back, ensure_browser_id())

    screen = sign_in_after_reset(logins(), ticket, password, visit(), start)
    return after_post(render(screen))
