"""The console's page of an organisation's single sign-on providers: list, add, change the
client secret, remove after confirming. Every change goes through ``services.provider_admin``
with the console's actor, so the rules and the audit are the admin API's."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from sqlalchemy import func, select

from bridge.admin.console import (
    NOTICES,
    _actor,
    _checkbox,
    _page,
    _page_or_refusal,
    _sign_in,
    bp,
)
from bridge.browser import check_csrf
from bridge.context import services
from bridge.db.models import FederatedIdentity
from bridge.orgs import Actor, OrgProblem
from bridge.orgs.errors import InvalidInput
from bridge.orgs.service import policy_of
from bridge.services import Services


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


def _providers_page(
    s: Services,
    actor: Actor,
    slug: str,
    *,
    error: OrgProblem | None = None,
    form: dict[str, Any] | None = None,
    failed: str | None = None,
) -> tuple[str, int]:
    """The provider page; ``form`` refills the add form after a refusal (never the secret) and
    ``failed`` names the form the refusal is for ("add" or "secret:<alias>")."""
    authority = s.orgs.authority(actor, slug)
    policy = policy_of(authority.org)
    views = s.provider_admin.of_organisation(actor, slug)
    forms = {
        "add",
        *(f"secret:{v.provider.alias}" for v in views if v.provider.source == "database"),
    }
    failed = failed if failed in forms else None  # no such form: the error goes on top
    return _page(
        "admin/identity_providers.html",
        status=error.status if error else 200,
        org=authority.org,
        via_partner=authority.via_partner,
        providers=[v.provider for v in views],
        sso_alias=policy["sso_idp_alias"] if policy["sso_enabled"] else None,
        verified=s.orgs.domains(actor, slug),
        form=form or {},
        failed=failed,
        notice=NOTICES.get(request.args.get("notice", "")),
        error=error,
    )


@bp.get("/orgs/<slug>/identity-providers")
def identity_providers(slug: str) -> Any:
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    return _page_or_refusal(_providers_page, s, actor, slug)


@bp.post("/orgs/<slug>/identity-providers")
def add_identity_provider(slug: str) -> Any:
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    form = request.form
    body: dict[str, Any] = {
        "alias": form.get("alias", "").strip(),
        "issuer": form.get("issuer", "").strip(),
        "client_id": form.get("client_id", "").strip(),
        "client_secret": form.get("client_secret") or None,  # empty: a public client (PKCE)
        "domains": form.getlist("domains"),
        "link_by_verified_email": _checkbox("link_by_verified_email"),
    }
    if form.get("display_name", "").strip():
        body["display_name"] = form["display_name"].strip()
    try:
        s.provider_admin.add(actor, slug, body)
    except OrgProblem as error:
        kept = {k: v for k, v in body.items() if k != "client_secret"}
        return _page_or_refusal(
            _providers_page, s, actor, slug, error=error, form=kept, failed="add"
        )
    return redirect(
        url_for("admin_console.identity_providers", slug=slug, notice="provider-added"), code=303
    )


@bp.post("/orgs/<slug>/identity-providers/<alias>/secret")
def change_provider_secret(slug: str, alias: str) -> Any:
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    secret = request.form.get("client_secret", "")
    try:
        s.provider_admin.change(actor, slug, alias, {"client_secret": secret})
    except OrgProblem as error:
        return _page_or_refusal(
            _providers_page, s, actor, slug, error=error, failed=f"secret:{alias}"
        )
    return redirect(
        url_for("admin_console.identity_providers", slug=slug, notice="provider-secret"), code=303
    )


def _remove_page(
    s: Services, actor: Actor, slug: str, alias: str, error: OrgProblem | None = None
) -> tuple[str, int]:
    view = s.provider_admin.get(actor, slug, alias)
    authority = s.orgs.authority(actor, slug)
    return _page(
        "admin/remove_provider.html",
        status=error.status if error else 200,
        org=authority.org,
        provider=view.provider,
        linked=_linked_accounts(s, alias),
        error=error,
    )


@bp.get("/orgs/<slug>/identity-providers/<alias>/remove")
def confirm_remove_provider(slug: str, alias: str) -> Any:
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    return _page_or_refusal(_remove_page, s, actor, slug, alias)


@bp.post("/orgs/<slug>/identity-providers/<alias>/remove")
def remove_provider(slug: str, alias: str) -> Any:
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    try:
        if not _checkbox("confirm"):
            raise InvalidInput(
                "Tick the box to confirm that the linked accounts are removed with the provider.",
                field="confirm",
            )
        s.provider_admin.remove(actor, slug, alias)
    except OrgProblem as error:
        return _page_or_refusal(_remove_page, s, actor, slug, alias, error)
    return redirect(
        url_for("admin_console.identity_providers", slug=slug, notice="provider-removed"), code=303
    )
