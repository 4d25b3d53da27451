"""The console's page of a member's password (issue 14): set a temporary password, or mail the
"forgot password" link. Both go through ``bridge.services.account.admin_passwords`` with the
console's actor, so the rules and the audit are the admin API's and the CLI's.

The member list links here; the page says what each action does before anything happens (the
console's confirmation step), and a refusal shows it again with the reason on top. A blueprint
nested in the console's (``admin_console.member_passwords``), which registers it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError, InvalidInput
from bridge.domain.wording import N_
from bridge.services.account import admin_passwords
from bridge.web.admin.console_pages import error_status, org_admin, render_page, shows_refusal
from bridge.web.auth import OrgAdmin
from bridge.web.context import services

bp = Blueprint("member_passwords", __name__)

MAX_FIELD = 1024
NOT_THE_SAME = N_("The two passwords are not the same.")


def password_page(
    admin: OrgAdmin, *, slug: str, username: str, error: BridgeError | None = None, **_: Any
) -> Response:
    """What the two actions do, and their forms; a refused one's ``error`` on top."""
    s = services()
    member = s.members.get(admin.actor, slug, username)  # refuses anyone but its admins
    return render_page(
        "admin/member_password.html",
        status=error_status(error),
        org=admin.org,
        via_partner=admin.via_partner,
        member=member,
        link_minutes=s.password_resets.ttl // 60,
        error=error,
    )


@bp.get("/orgs/<slug>/members/<username>/password")
@org_admin
def member_password(admin: OrgAdmin, slug: str, username: str) -> Response:
    return password_page(admin, slug=slug, username=username)


@bp.post("/orgs/<slug>/members/<username>/password")
@org_admin
@shows_refusal(password_page)
def set_temporary_password(admin: OrgAdmin, slug: str, username: str) -> WerkzeugResponse:
    password = request.form.get("password", "")[:MAX_FIELD]
    if password != request.form.get("confirm", "")[:MAX_FIELD]:
        raise InvalidInput(NOT_THE_SAME, field="password")
    admin_passwords.set_temporary_password(services(), admin.actor, slug, username, password)
    return _back_to_org(slug, "temporary-password")


@bp.post("/orgs/<slug>/members/<username>/password-reset-link")
@org_admin
@shows_refusal(password_page)
def send_reset_link(admin: OrgAdmin, slug: str, username: str) -> WerkzeugResponse:
    admin_passwords.send_reset_link(services(), admin.actor, slug, username)
    return _back_to_org(slug, "reset-link-sent")


def _back_to_org(slug: str, notice: str) -> WerkzeugResponse:
    return redirect(url_for("admin_console.org", slug=slug, notice=notice), code=303)
