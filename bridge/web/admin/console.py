"""The admin console: server-rendered pages over the org services; no JavaScript needed.

An admin signs in through the bridge's own login flow (the session cookie of ``bridge.login``);
every form carries a CSRF token, and every change goes through ``bridge.services.orgs`` (and the
providers, on the nested ``console_providers`` blueprint, through ``services.provider_admin``)
like the API's. Views raise refusals; ``console_pages`` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError
from bridge.services.audit_export import FORMATS
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.services.orgs.audit import EVENT_NAMES, FILTERS, AuditSearch
from bridge.services.orgs.members import ACTIONS
from bridge.services.orgs.service import policy_of
from bridge.services.orgs.validation import parse
from bridge.storage.db.models import AuditEvent
from bridge.web.admin import (
    console_api_clients,
    console_member_accounts,
    console_member_passwords,
    console_providers,
)
from bridge.web.admin.audit_labels import factor_label, reason_label
from bridge.web.admin.console_pages import (
    CONFIRMED_ACTIONS,
    NOTICES,
    VIA,
    checkbox,
    console_user,
    error_status,
    int_field,
    org_admin,
    refused_page,
    render_page,
    shows_refusal,
)
from bridge.web.admin.event_labels import event_label
from bridge.web.admin.schemas import AuditExportQuery
from bridge.web.admin.sign_in_words import describe
from bridge.web.auth import OrgAdmin, SignedIn
from bridge.web.context import services
from bridge.web.zone import page_zone
from flows.context import LoginRequest
from flows.explain import asked, explain

bp = Blueprint("admin_console", __name__, url_prefix="/admin")
#: Events the audit page shows at most (the export has every one).
AUDIT_PAGE_LIMIT = 200
bp.register_error_handler(BridgeError, refused_page)
bp.register_blueprint(console_providers.bp)
bp.register_blueprint(console_api_clients.bp)
bp.register_blueprint(console_member_passwords.bp)
bp.register_blueprint(console_member_accounts.bp)


@dataclass(frozen=True)
class PendingReset:
    """One "lost my device" request as the organisation page lists it."""

    id: str
    username: str
    email: str | None
    requested_at: datetime
    message: str | None
    own: bool  # the admin's own request: another admin must approve it


def _pending_resets(s: Services, actor: Actor, slug: str) -> list[PendingReset]:
    listed = []
    for row in s.reset_requests.awaiting(actor, slug):
        user = s.users.get(row.user_id)
        listed.append(
            PendingReset(
                id=row.id,
                username=user.username if user else row.user_id,
                email=user.email if user else None,
                requested_at=row.requested_at,
                message=row.message,
                own=row.user_id == actor.user_id,
            )
        )
    return listed


def org_page(admin: OrgAdmin, *, slug: str, error: BridgeError | None = None, **_: Any) -> Response:
    """The organisation's page, with a refused change's ``error`` on top."""
    s = services()
    actor = admin.actor
    return render_page(
        "admin/org.html",
        status=error_status(error),
        org=admin.org,
        via_partner=admin.via_partner,
        policy=policy_of(admin.org),
        progress=s.members.progress(actor, slug),
        members=s.members.members(actor, slug),
        reset_requests=_pending_resets(s, actor, slug),
        actions=ACTIONS,
        actor_id=actor.user_id,
        notice=NOTICES.get(request.args.get("notice", "")),
        error=error,
    )


def _back_to_org(slug: str, notice: str) -> WerkzeugResponse:
    return redirect(url_for("admin_console.org", slug=slug, notice=notice), code=303)


@bp.get("/")
@console_user
def home(who: SignedIn) -> Response:
    s = services()
    orgs = s.orgs.administered(who.actor(VIA))
    # The reset-request mail links here: say where someone is waiting.
    waiting = {org.id: len(s.reset_requests.pending(org.id)) for org in orgs}
    return render_page("admin/home.html", orgs=orgs, waiting=waiting)


@bp.get("/orgs/<slug>")
@org_admin
def org(admin: OrgAdmin, slug: str) -> Response:
    return org_page(admin, slug=slug)


@bp.post("/orgs/<slug>/policy")
@org_admin
@shows_refusal(org_page)
def update_policy(admin: OrgAdmin, slug: str) -> Response | WerkzeugResponse:
    form = request.form
    changes: dict[str, Any]
    if form.get("section") == "mfa":
        changes = {"mfa_enforced": checkbox("mfa_enforced")}
        if form.get("on_disable"):
            changes["on_disable"] = form["on_disable"]
    else:
        changes = {
            "trusted_browsers_enabled": checkbox("trusted_browsers_enabled"),
            "trusted_browser_days": int_field("trusted_browser_days"),
            "lockout_password_failures": int_field("lockout_password_failures"),
            "lockout_code_failures": int_field("lockout_code_failures"),
            "lockout_action": form.get("lockout_action", ""),
            "sso_enabled": checkbox("sso_enabled"),
            "sso_idp_alias": form.get("sso_idp_alias", "").strip() or None,
            "sso_domains": [d for d in form.get("sso_domains", "").split() if d],
            "admin_reset_requires_verified_domain": checkbox(
                "admin_reset_requires_verified_domain"
            ),
        }
        if form.get("app_passwords_shown"):  # a form of before the field keeps the value
            changes["app_passwords_allowed"] = checkbox("app_passwords_allowed")
        if form.get("password_reset_shown"):
            changes["password_reset_allowed"] = checkbox("password_reset_allowed")
    admin_code = form.get("admin_code") or None
    s = services()
    if form.get("step") == "confirm" and s.orgs.policy_wipes(admin.actor, slug, changes):
        # Seed 002's dialog: say what turning 2FA off deletes, and ask again.
        return render_page(
            "admin/confirm_wipe.html",
            org=admin.org,
            progress=s.members.progress(admin.actor, slug),
            admin_code=admin_code or "",
        )
    s.orgs.update_policy(admin.actor, slug, changes, admin_code=admin_code)
    return _back_to_org(slug, "policy")


@bp.post("/orgs/<slug>/members/<username>/<action>")
@org_admin
@shows_refusal(org_page)
def member_action(admin: OrgAdmin, slug: str, username: str, action: str) -> Any:
    """Act on a member. From the member list, a destructive action (``CONFIRMED_ACTIONS``)
    first shows what it does and asks again; the confirmation page posts without ``step``."""
    if request.form.get("step") == "confirm" and action in CONFIRMED_ACTIONS:
        members = {m.username: m for m in services().members.members(admin.actor, slug)}
        member = members.get(username.casefold())
        if member is not None:
            return render_page(
                "admin/confirm_action.html",
                org=admin.org,
                member=member,
                action=action,
                consequence=CONFIRMED_ACTIONS[action],
            )
    services().members.act(admin.actor, slug, username, action)
    return _back_to_org(slug, action)


@bp.post("/orgs/<slug>/reset-requests/<request_id>/approve")
@org_admin
@shows_refusal(org_page)
def approve_reset_request(admin: OrgAdmin, slug: str, request_id: str) -> WerkzeugResponse:
    """Approve a "lost my device" request, with the API's access check and service (R13)."""
    services().reset_requests.approve(admin.actor, slug, request_id)
    return _back_to_org(slug, "reset-approved")


def audit_page(
    admin: OrgAdmin,
    *,
    slug: str,
    events: Sequence[AuditEvent] = (),
    error: BridgeError | None = None,
    **_: Any,
) -> Response:
    """The audit log with its filter form (as sent), and a refused filter's ``error`` on top."""
    s = services()
    ids = {i for e in events for i in (e.user_id, e.actor_id) if i}
    names = {i: (u.username if (u := s.users.get(i)) else i) for i in ids}
    partners = {partner for e in events if (partner := _partner_of(e))}
    partner_names = {p: s.explanations.organisation_name(p) or p for p in partners}
    return render_page(
        "admin/audit.html",
        status=error_status(error),
        org=admin.org,
        events=events,
        names=names,
        partner_of=_partner_of,
        partner_names=partner_names,
        filters={name: request.args.get(name, "") for name in FILTERS},
        event_names=EVENT_NAMES,
        event_label=event_label,
        factor_label=factor_label,
        reason_label=reason_label,
        formats=FORMATS,
        limit=AUDIT_PAGE_LIMIT,
        zone=page_zone()[0],
        error=error,
    )


def _in_the_admins_zone() -> dict[str, Any]:
    """The filter's dates and times are read in the zone the page shows its times in."""
    return {"zone": page_zone()[1]}


def _partner_of(event: AuditEvent) -> str | None:
    """The slug of the partner whose admin acted as the organisation's admin, if one did."""
    details = event.details if isinstance(event.details, dict) else {}
    impersonation = details.get("impersonation")
    partner = impersonation.get("partner_org") if isinstance(impersonation, dict) else None
    return partner if isinstance(partner, str) else None


@bp.get("/orgs/<slug>/audit")
@org_admin
@shows_refusal(audit_page)
def audit(admin: OrgAdmin, slug: str) -> Response:
    """The events the organisation sees, newest first, filtered by the form's query."""
    search = parse(AuditSearch, request.args.to_dict(), context=_in_the_admins_zone())
    events = services().org_audit.events(admin.actor, slug, search, limit=AUDIT_PAGE_LIMIT)
    return audit_page(admin, slug=slug, events=events)


@bp.get("/orgs/<slug>/audit/export")
@org_admin
@shows_refusal(audit_page)
def export_audit(admin: OrgAdmin, slug: str) -> Response:
    """The filtered log as a download (the admin API's export, streamed)."""
    query = parse(AuditExportQuery, request.args.to_dict(), context=_in_the_admins_zone())
    export = services().org_audit.export(admin.actor, slug, query, query.format)
    response = Response(export.lines, content_type=export.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.get("/orgs/<slug>/members/<username>/sign-in")
@org_admin
def explain_sign_in(admin: OrgAdmin, slug: str, username: str) -> Response:
    """What the login flow would do for this member right now (as ``bridge flows explain``)."""
    s = services()
    members = {m.username: m for m in s.members.members(admin.actor, slug)}
    member = members.get(username.casefold())
    if member is None:
        return render_page(
            "admin/explain.html", 404, org=admin.org, member=None, flow_id=None, lines=[]
        )
    flow_id = s.settings.flows.flow_for("browser", None, slug)
    flow, login = s.flows.get(flow_id), LoginRequest(org_id=slug)
    now = int(s.clock())
    lines = explain(flow, login, s.directory, user_id=member.user_id, now=now)
    lines[0] = f"flow {flow.id} ({flow.kind.value})"  # not the server's file path
    plan = asked(flow, login, s.directory, user_id=member.user_id, now=now)
    words = describe(plan, s.explanations.mfa_reasons(member.user_id), member.username)
    return render_page(
        "admin/explain.html",
        org=admin.org,
        member=member,
        flow_id=flow_id,
        lines=lines,
        words=words,
    )
