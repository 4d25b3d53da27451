"""The "choose a new password" page of a login whose password is a temporary one (issue 14).

``bridge.login.required_password`` decides; these views parse, call it, and send the browser
back to the login, which then finishes. ``bridge.login.views`` registers them.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import InvalidInput
from bridge.domain.wording import N_
from bridge.login.required_password import RequiredPassword
from bridge.login.side_pages import LoginSidePages
from bridge.login.visit import visit
from bridge.web.browser import check_csrf, csrf_token
from bridge.web.context import bridge
from bridge.web.language import remember

MAX_FIELD = 1024
NOT_THE_SAME = N_("The two passwords are not the same.")


def _page(flow_id: str, errors: list[str]) -> str:
    return render_template(
        "login/new_password.html",
        flow_id=flow_id,
        errors=errors,
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


def new_password(flow_id: str) -> str:
    s = bridge().services
    remember(LoginSidePages(s).hints(flow_id, visit()))
    RequiredPassword(s).waiting(flow_id, visit())
    return _page(flow_id, [])


def new_password_chosen(flow_id: str) -> WerkzeugResponse | tuple[str, int]:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    remember(LoginSidePages(s).hints(flow_id, visit()))
    required = RequiredPassword(s)
    required.waiting(flow_id, visit())
    password = request.form.get("password", "")[:MAX_FIELD]
    if password != request.form.get("confirm", "")[:MAX_FIELD]:
        return _page(flow_id, [NOT_THE_SAME]), 400
    try:
        required.choose(flow_id, visit(), password)
    except InvalidInput as refused:
        return _page(flow_id, [refused.message]), 400
    return redirect(url_for("login.step", flow_id=flow_id), code=303)
