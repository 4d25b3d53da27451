"""The console's page of an organisation's single sign-on providers: list, add, change the
client secret, remove after confirming. Every change goes through ``services.provider_admin``
with the console's actor, so the rules and the audit are the admin API's.

A blueprint nested in the console's (``admin_console.providers``), which registers it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError, InvalidInput
from bridge.domain.wording import N_
from bridge.services.container import Services
from bridge.services.orgs.service import policy_of
from bridge.storage.db.models import FederatedIdentity
from bridge.web.admin.console_pages import (
    NOTICES,
    checkbox,
    error_status,
    org_admin,
    render_page,
    shows_refusal,
)
from bridge.web.auth import OrgAdmin
from bridge.web.context import services

bp = Blueprint("providers", __name__)

#: The add form's fields a refused add fills in again (never the client secret).
ADD_FIELDS = ("alias", "issuer", "client_id", "domains", "link_by_verified_email", "display_name")


def _linked_accounts(s: Services, alias: str) -> int:
    """How many accounts are linked to ``alias`` (removing the provider removes the links)."""
    with s.db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(FederatedIdentity)
                .where(FederatedIdentity.provider == alias)
            )
            or 0
        )


def _added() -> dict[str, Any]:
    """The provider the add form describes, as ``provider_admin.add`` takes it."""
    form = request.form
    body: dict[str, Any] = {
        "alias": form.get("alias", "").strip(),
        "issuer": form.get("issuer", "").strip(),
        "client_id": form.get("client_id", "").strip(),
        "client_secret": form.get("client_secret") or None,  # empty: a public client (PKCE)
        "domains": form.getlist("domains"),
        "link_by_verified_email": checkbox("link_by_verified_email"),
    }
    if form.get("display_name", "").strip():
        body["display_name"] = form["display_name"].strip()
    return body


def providers_page(
    admin: OrgAdmin,
    *,
    slug: str,
    error: BridgeError | None = None,
    alias: str | None = None,
    **_: Any,
) -> Response:
    """The provider page. After a refused add the add form is filled in again (never the
    secret) and the refusal shown beside it; after a refused secret change, beside that
    provider's form (``alias``); else on top."""
    s = services()
    actor = admin.actor
    policy = policy_of(admin.org)
    views = s.provider_admin.of_organisation(actor, slug)
    forms = {
        "add",
        *(f"secret:{v.provider.alias}" for v in views if v.provider.source == "database"),
    }
    adding = (
        error is not None and request.endpoint == "admin_console.providers.add_identity_provider"
    )
    failed = ("add" if adding else f"secret:{alias}") if error is not None else None
    kept = {k: v for k, v in _added().items() if k in ADD_FIELDS} if adding else {}
    return render_page(
        "admin/identity_providers.html",
        status=error_status(error),
        org=admin.org,
        via_partner=admin.via_partner,
        providers=[v.provider for v in views],
        sso_alias=policy["sso_idp_alias"] if policy["sso_enabled"] else None,
        verified=s.orgs.domains(actor, slug),
        form=kept,
        failed=failed if failed in forms else None,  # no such form: the error goes on top
        notice=NOTICES.get(request.args.get("notice", "")),
        error=error,
    )


def _back_to_providers(slug: str, notice: str) -> WerkzeugResponse:
    return redirect(url_for(".identity_providers", slug=slug, notice=notice), code=303)


@bp.get("/orgs/<slug>/identity-providers")
@org_admin
def identity_providers(admin: OrgAdmin, slug: str) -> Response:
    return providers_page(admin, slug=slug)


@bp.post("/orgs/<slug>/identity-providers")
@org_admin
@shows_refusal(providers_page)
def add_identity_provider(admin: OrgAdmin, slug: str) -> WerkzeugResponse:
    services().provider_admin.add(admin.actor, slug, _added())
    return _back_to_providers(slug, "provider-added")


@bp.post("/orgs/<slug>/identity-providers/<alias>/secret")
@org_admin
@shows_refusal(providers_page)
def change_provider_secret(admin: OrgAdmin, slug: str, alias: str) -> WerkzeugResponse:
    secret = request.form.get("client_secret", "")
    services().provider_admin.change(admin.actor, slug, alias, {"client_secret": secret})
    return _back_to_providers(slug, "provider-secret")


def remove_page(
    admin: OrgAdmin, *, slug: str, alias: str, error: BridgeError | None = None
) -> Response:
    """The confirmation page before a provider is removed, with a refused removal on top."""
    s = services()
    view = s.provider_admin.get(admin.actor, slug, alias)
    return render_page(
        "admin/remove_provider.html",
        status=error_status(error),
        org=admin.org,
        provider=view.provider,
        linked=_linked_accounts(s, alias),
        error=error,
    )


@bp.get("/orgs/<slug>/identity-providers/<alias>/remove")
@org_admin
def confirm_remove_provider(admin: OrgAdmin, slug: str, alias: str) -> Response:
    return remove_page(admin, slug=slug, alias=alias)


@bp.post("/orgs/<slug>/identity-providers/<alias>/remove")
@org_admin
@shows_refusal(remove_page)
def remove_provider(admin: OrgAdmin, slug: str, alias: str) -> WerkzeugResponse:
    if not checkbox("confirm"):
        raise InvalidInput(
            N_("Tick the box to confirm that the linked accounts are removed with the provider."),
            field="confirm",
        )
    services().provider_admin.remove(admin.actor, slug, alias)
    return _back_to_providers(slug, "provider-removed")
