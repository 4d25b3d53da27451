"""New recovery codes, shown once during the login that activated 2FA (R11).

They can be printed, downloaded as text/plain and copied; they cannot be shown again later
(the account page regenerates a new set instead). ``bridge.login.side_pages`` keeps them;
``bridge.login.views`` registers these views on the login blueprint.
"""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.login.side_pages import LoginSidePages
from bridge.login.visit import visit
from bridge.web.browser import check_csrf, csrf_token
from bridge.web.context import bridge
from bridge.web.language import remember


def codes_text(codes: list[str]) -> str:
    lines = [
        gettext(
            "Recovery codes for %(product)s", product=bridge().services.settings.ui.product_name
        ),
        "",
        gettext("Each code works once, in place of a code from your authenticator app."),
        gettext("Keep them somewhere safe, away from your phone."),
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


def _pages() -> LoginSidePages:
    return LoginSidePages(bridge().services)


def recovery_codes(flow_id: str) -> WerkzeugResponse | str:
    remember(_pages().hints(flow_id, visit()))
    shown = _pages().recovery_codes(flow_id, visit())
    if shown is None:
        return redirect(url_for("login.step", flow_id=flow_id), code=303)
    codes, errors = shown
    return render_template(
        "login/recovery_codes.html",
        download_url=url_for("login.recovery_codes_text", flow_id=flow_id),
        confirm_url=url_for("login.recovery_codes_saved", flow_id=flow_id),
        codes=codes,
        text=codes_text(codes),
        errors=errors,
        csrf_token=csrf_token(bridge().services.secrets.secret_key),
    )


def recovery_codes_text(flow_id: str) -> WerkzeugResponse:
    remember(_pages().hints(flow_id, visit()))
    shown = _pages().recovery_codes(flow_id, visit())
    if shown is None:
        return redirect(url_for("login.step", flow_id=flow_id), code=303)
    response = make_response(codes_text(shown[0]))
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


def recovery_codes_saved(flow_id: str) -> WerkzeugResponse:
    check_csrf(bridge().services.secrets.secret_key)
    saved = _pages().codes_saved(flow_id, visit(), saved=request.form.get("saved") == "yes")
    if not saved:
        return redirect(url_for("login.recovery_codes", flow_id=flow_id), code=303)
    return redirect(url_for("login.step", flow_id=flow_id), code=303)
