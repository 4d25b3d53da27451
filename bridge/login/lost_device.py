""" "Lost your device?" (R13, seed 002): from the code page, a user who has just proven their
password asks the admins of their organisations to reset their second factor.

The request goes to every organisation the user belongs to (any admin of any of them may
approve it, in the admin console or through the admin API); ``bridge.reset_requests``
e-mails the admins a link to the organisation's console page and records
``mfa_reset_requested``. The login ends: the user signs in again once an admin approved, and
then sets up a new authenticator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import render_template, request
from sqlalchemy import select

from bridge.browser import check_csrf, csrf_token
from bridge.context import bridge
from bridge.db.models import Membership, Organisation
from bridge.login.pending import PendingLogin
from bridge.login.views import _load, bp
from bridge.pages import error_page
from bridge.services import Services

MAX_MESSAGE = 500


def _asking_user(s: Services, flow_id: str) -> tuple[PendingLogin, str] | Any:
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    user_id = loaded.flow.user_id
    if user_id is None or "pwd" not in loaded.flow.proven:
        return error_page("Sign in first", "Enter your username and password first.", 403)
    return loaded, user_id


def _orgs(s: Services, user_id: str) -> list[tuple[str, str]]:
    """(id, slug) of each organisation the user belongs to."""
    with s.db.session() as session:
        rows = session.execute(
            select(Organisation.id, Organisation.slug)
            .join(Membership, Membership.org_id == Organisation.id)
            .where(Membership.user_id == user_id)
        )
        return [(row.id, row.slug) for row in rows]


@bp.get("/login/<flow_id>/lost-device")
def lost_device(flow_id: str) -> Any:
    s = bridge().services
    asking = _asking_user(s, flow_id)
    if not isinstance(asking, tuple) or not isinstance(asking[0], PendingLogin):
        return asking
    _, user_id = asking
    return render_template(
        "login/lost_device.html",
        flow_id=flow_id,
        has_admins=bool(_orgs(s, user_id)),
        csrf_token=csrf_token(s.secrets.secret_key),
    )


@bp.post("/login/<flow_id>/lost-device")
def request_reset(flow_id: str) -> Any:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    asking = _asking_user(s, flow_id)
    if not isinstance(asking, tuple) or not isinstance(asking[0], PendingLogin):
        return asking
    _, user_id = asking
    orgs = _orgs(s, user_id)
    if not orgs:
        return error_page(
            "Ask your administrator",
            "Your account belongs to no organisation whose admins could reset it. "
            "Contact the operator of this service.",
            409,
        )
    message = request.form.get("message", "")[:MAX_MESSAGE]
    console = s.settings.issuer.rstrip("/") + "/admin/orgs/"
    for org_id, slug in orgs:
        s.reset_requests.request(
            user_id,
            org_id,
            message=message,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
            # The organisation's console page lists the request with its Approve button.
            approve_url=console + quote(slug),
        )
    s.pending.finish(flow_id)
    return render_template("login/reset_requested.html")
