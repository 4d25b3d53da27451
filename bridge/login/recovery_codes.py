"""New recovery codes, shown once during the login that activated 2FA (R11).

The codes wait in the login's pending state (the ephemeral store, at most the login's 30
minutes) until the user confirms they saved them; then they are dropped and the login goes on.
They can be printed, downloaded as text/plain and copied; they cannot be shown again later
(the account page regenerates a new set instead).
"""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for

from bridge.browser import check_csrf, csrf_token
from bridge.context import bridge
from bridge.login.pending import PendingLogin
from bridge.login.views import _load, bp

NOT_SAVED = "Confirm that you saved your recovery codes before you continue."


def _codes(pending: PendingLogin) -> list[str] | None:
    codes = pending.continuation.get("recovery_codes")
    return list(codes) if isinstance(codes, list) else None


def codes_text(codes: list[str]) -> str:
    lines = [
        "Recovery codes for the bridge",
        "",
        "Each code works once, in place of a code from your authenticator app.",
        "Keep them somewhere safe, away from your phone.",
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


@bp.get("/login/<flow_id>/recovery-codes")
def recovery_codes(flow_id: str) -> Any:
    s = bridge().services
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    codes = _codes(loaded)
    if codes is None:
        return redirect(url_for("login.step", flow_id=flow_id), code=303)
    errors = loaded.errors.pop("recovery_codes", [])
    if errors:
        s.pending.save(flow_id, loaded)
    return render_template(
        "login/recovery_codes.html",
        download_url=url_for("login.recovery_codes_text", flow_id=flow_id),
        confirm_url=url_for("login.recovery_codes_saved", flow_id=flow_id),
        codes=codes,
        text=codes_text(codes),
        errors=errors,
        csrf_token=csrf_token(s.secrets.secret_key),
    )


@bp.get("/login/<flow_id>/recovery-codes.txt")
def recovery_codes_text(flow_id: str) -> Any:
    s = bridge().services
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    codes = _codes(loaded)
    if codes is None:
        return redirect(url_for("login.step", flow_id=flow_id), code=303)
    response = make_response(codes_text(codes))
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/login/<flow_id>/recovery-codes")
def recovery_codes_saved(flow_id: str) -> Any:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    if _codes(loaded) is not None:
        if request.form.get("saved") != "yes":
            loaded.errors["recovery_codes"] = [NOT_SAVED]
            s.pending.save(flow_id, loaded)
            return redirect(url_for("login.recovery_codes", flow_id=flow_id), code=303)
        loaded.continuation.pop("recovery_codes")
        s.pending.save(flow_id, loaded)
    return redirect(url_for("login.step", flow_id=flow_id), code=303)
