"""The console's page of an organisation's API clients (issue 12): list, create, rotate the
secret, remove. Every change goes through ``services.api_clients`` with the console's actor, so
the rules and the audit are the admin API's. A secret is shown once, on the page that answers
the change that made it.

A blueprint nested in the console's (``admin_console.api_clients``), which registers it.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError, InvalidInput
from bridge.domain.wording import N_
from bridge.services.api_clients import NewSecret
from bridge.web.admin.console_pages import error_status, org_admin, render_page, shows_refusal
from bridge.web.auth import OrgAdmin
from bridge.web.context import services

bp = Blueprint("api_clients", __name__)


def clients_page(
    admin: OrgAdmin,
    *,
    slug: str,
    error: BridgeError | None = None,
    made: NewSecret | None = None,
    **_: Any,
) -> Response:
    """The list and the create form; ``made``: the client whose secret is shown this once."""
    views = services().api_clients.list(admin.actor, slug)
    kept = {k: request.form.get(k, "") for k in ("name", "scopes")} if error else {}
    return render_page(
        "admin/api_clients.html",
        status=error_status(error),
        org=admin.org,
        via_partner=admin.via_partner,
        clients=views,
        made=made,
        removed=request.args.get("removed"),
        form=kept,
        error=error,
    )


def _jwks() -> Any:
    text = request.form.get("jwks", "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        message = N_("The public keys must be a JWK Set in JSON.")
        raise InvalidInput(message, field="jwks") from error


@bp.get("/orgs/<slug>/api-clients")
@org_admin
def api_clients(admin: OrgAdmin, slug: str) -> Response:
    return clients_page(admin, slug=slug)


@bp.post("/orgs/<slug>/api-clients")
@org_admin
@shows_refusal(clients_page)
def create_api_client(admin: OrgAdmin, slug: str) -> Response:
    scopes = request.form.get("scopes", "").split()
    made = services().api_clients.create(
        admin.actor, slug, request.form.get("name", ""), scopes, _jwks()
    )
    return clients_page(admin, slug=slug, made=made)


@bp.post("/orgs/<slug>/api-clients/<client_id>/secret")
@org_admin
@shows_refusal(clients_page)
def rotate_api_client_secret(admin: OrgAdmin, slug: str, client_id: str) -> Response:
    made = services().api_clients.rotate_secret(admin.actor, slug, client_id)
    return clients_page(admin, slug=slug, made=made)


@bp.post("/orgs/<slug>/api-clients/<client_id>/remove")
@org_admin
@shows_refusal(clients_page)
def remove_api_client(admin: OrgAdmin, slug: str, client_id: str) -> WerkzeugResponse:
    view = services().api_clients.remove(admin.actor, slug, client_id)
    return redirect(url_for(".api_clients", slug=slug, removed=view.name), code=303)
