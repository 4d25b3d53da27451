"""Change password on the account page (issue 14): thin; ``bridge.services.account.passwords``
holds the rules (the current password judged under the lockout, the policy, the sessions)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import InvalidInput
from bridge.domain.wording import N_
from bridge.login.visit import session_token
from bridge.services.account.passwords import Where, change_password
from bridge.web.account.views import FRESH_LOGIN, _directory
from bridge.web.auth import SignedIn, signed_in
from bridge.web.browser import csrf_token
from bridge.web.context import bridge

bp = Blueprint("account_password", __name__)

MAX_FIELD = 1024
NOT_THE_SAME = N_("The two passwords are not the same.")


def _back() -> str:
    return url_for("account_password.form")


def _page(who: SignedIn, errors: list[str]) -> str:
    return render_template(
        "account/password.html",
        user=who.user,
        errors=errors,
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


@bp.get("/account/password")
@signed_in(back_to=_back, max_age=FRESH_LOGIN)
def form(who: SignedIn) -> str:
    return _page(who, [])


@bp.post("/account/password")
@signed_in(back_to=_back, max_age=FRESH_LOGIN)
def change(who: SignedIn) -> WerkzeugResponse | tuple[str, int]:
    s = bridge().services
    new = request.form.get("password", "")[:MAX_FIELD]
    if new != request.form.get("confirm", "")[:MAX_FIELD]:
        return _page(who, [NOT_THE_SAME]), 400
    try:
        change_password(
            s,
            _directory(s),
            who.session,
            session_token() or "",
            request.form.get("current_password", "")[:MAX_FIELD],
            new,
            end_other_sessions=bool(request.form.get("sign_out_others")),
            where=Where(request.remote_addr, request.user_agent.string),
        )
    except InvalidInput as refused:
        return _page(who, [refused.message]), 400
    return redirect(url_for("account.account", done="password_changed"), code=303)
