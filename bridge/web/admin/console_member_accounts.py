"""The console's page of a member's account (issue 14): disable or enable it, or delete it.
Each is one call of ``bridge.services.account.member_actions`` (who may act on whom, then the
lifecycle and erasure services) with the console's actor, so the rules and the audit are the
admin API's (``POST .../account/disable|enable``, ``DELETE .../account``) and the CLI's.

The member list links here; the page says what each action does before anything happens (the
console's confirmation step), deleting also needs a ticked box, and a refusal shows the page
again with the reason on top. A blueprint nested in the console's
(``admin_console.member_accounts``), which registers it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError
from bridge.services.account import member_actions
from bridge.web.admin.console_pages import (
    checkbox,
    error_status,
    org_admin,
    render_page,
    shows_refusal,
)
from bridge.web.auth import OrgAdmin
from bridge.web.context import services

bp = Blueprint("member_accounts", __name__)


def account_page(
    admin: OrgAdmin, *, slug: str, username: str, error: BridgeError | None = None, **_: Any
) -> Response:
    """What disabling, enabling and deleting do, and their forms; a refused one's ``error``
    on top."""
    member = services().members.get(admin.actor, slug, username)  # refuses anyone but admins
    return render_page(
        "admin/member_account.html",
        status=error_status(error),
        org=admin.org,
        via_partner=admin.via_partner,
        member=member,
        error=error,
    )


@bp.get("/orgs/<slug>/members/<username>/account")
@org_admin
def member_account_page(admin: OrgAdmin, slug: str, username: str) -> Response:
    return account_page(admin, slug=slug, username=username)


@bp.post("/orgs/<slug>/members/<username>/account/disable")
@org_admin
@shows_refusal(account_page)
def disable_account(admin: OrgAdmin, slug: str, username: str) -> WerkzeugResponse:
    member_actions.change_member_account(services(), admin.actor, slug, username, "disable")
    return _back_to_org(slug, "account-disabled")


@bp.post("/orgs/<slug>/members/<username>/account/enable")
@org_admin
@shows_refusal(account_page)
def enable_account(admin: OrgAdmin, slug: str, username: str) -> WerkzeugResponse:
    member_actions.change_member_account(services(), admin.actor, slug, username, "enable")
    return _back_to_org(slug, "account-enabled")


@bp.post("/orgs/<slug>/members/<username>/account/delete")
@org_admin
@shows_refusal(account_page)
def delete_member_account(admin: OrgAdmin, slug: str, username: str) -> WerkzeugResponse:
    member_actions.delete_member_account(
        services(), admin.actor, slug, username, confirmed=checkbox("confirm")
    )
    return _back_to_org(slug, "account-deleted")


def _back_to_org(slug: str, notice: str) -> WerkzeugResponse:
    return redirect(url_for("admin_console.org", slug=slug, notice=notice), code=303)
