"""The admin console: server-rendered pages over the org services; no JavaScript needed.

An admin signs in through the bridge's own login flow (the session cookie of ``bridge.login``);
every form carries a CSRF token, and every change goes through ``bridge.orgs`` (and the
providers through ``services.provider_admin``) like the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.browser import check_csrf, csrf_token, ensure_browser_id
from bridge.context import services
from bridge.login.continuation import ReturnTo
from bridge.login.views import logins
from bridge.orgs import Actor, OrgProblem
from bridge.orgs.members import ACTIONS
from bridge.orgs.service import policy_of
from bridge.reset_requests import ResetRequestError
from bridge.services import Services
from flows.context import LoginRequest
from flows.explain import explain

bp = Blueprint("admin_console", __name__, url_prefix="/admin")

NOTICES = {
    "policy": "The policy was saved.",
    "unlock": "The account was unlocked.",
    "reset-mfa": "The member's 2FA was reset; they set it up again at their next login.",
    "require-mfa": "2FA is now required for this member.",
    "to-service-account": "The member is now a service account (no 2FA).",
    "from-service-account": "The service account is a person again; 2FA rules apply.",
    "reset-approved": "The request was approved: the member's 2FA was reset and they were "
    "e-mailed; they set up a new authenticator at their next login.",
    "provider-added": "The provider was added.",
    "provider-secret": "The provider's client secret was changed.",
    "provider-removed": "The provider was removed, with its domains and linked accounts.",
}
ACTION_LABELS = {
    "unlock": "Unlock",
    "reset-mfa": "Reset 2FA",
    "require-mfa": "Require 2FA",
    "to-service-account": "Make service account",
    "from-service-account": "Make person again",
}
STATUS_LABELS = {
    "setup_required": "Setup required",
    "configured": "Configured",
    "not_required": "Not required",
    "service_account": "Service account",
    "locked": "Locked",
}


@dataclass(frozen=True)
class Refusal:
    """A refusal that is not an ``OrgProblem``, shown on the page like one."""

    title: str
    detail: str
    status: int


@dataclass(frozen=True)
class PendingReset:
    """One "lost my device" request as the organisation page lists it."""

    id: str
    username: str
    email: str | None
    requested: str
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
                requested=row.requested_at.strftime("%Y-%m-%d %H:%M UTC"),
                message=row.message,
                own=row.user_id == actor.user_id,
            )
        )
    return listed


def _actor(s: Services) -> Actor | None:
    session = s.sessions.get(request.cookies.get(s.settings.session.cookie_name))
    if session is None:
        return None
    user = s.users.get(session.user_id)
    if user is None or user.disabled or user.locked_at is not None:
        return None
    return Actor(
        user_id=user.id, via="console", ip=request.remote_addr, user_agent=request.user_agent.string
    )


def _sign_in(s: Services) -> WerkzeugResponse:
    """Send the browser through the login flow; it comes back to the page it asked for."""
    next_path = request.path if request.method == "GET" else url_for("admin_console.home")
    flow_id = logins().start(LoginRequest(), ReturnTo(next_path), ensure_browser_id())
    return redirect(url_for("login.step", flow_id=flow_id), code=302)


def _page(template: str, status: int = 200, **values: Any) -> tuple[str, int]:
    s = services()
    return render_template(
        template,
        csrf_token=csrf_token(s.secrets.secret_key),
        status_labels=STATUS_LABELS,
        action_labels=ACTION_LABELS,
        **values,
    ), status


def _org_page(
    s: Services, actor: Actor, slug: str, *, error: OrgProblem | Refusal | None = None
) -> tuple[str, int]:
    authority = s.orgs.authority(actor, slug)
    return _page(
        "admin/org.html",
        status=error.status if error else 200,
        org=authority.org,
        via_partner=authority.via_partner,
        policy=policy_of(authority.org),
        progress=s.members.progress(actor, slug),
        members=s.members.members(actor, slug),
        reset_requests=_pending_resets(s, actor, slug),
        actions=ACTIONS,
        notice=NOTICES.get(request.args.get("notice", "")),
        error=error,
    )


def _refused(error: OrgProblem) -> tuple[str, int]:
    return _page("admin/refused.html", status=error.status, error=error)


def _page_or_refusal(
    render: Callable[..., tuple[str, int]], *args: Any, **values: Any
) -> tuple[str, int]:
    """The page ``render`` makes (an organisation's page, with a refused change's message), or
    the refusal that stops the page itself (not an admin of it, no such organisation)."""
    try:
        return render(*args, **values)
    except OrgProblem as error:
        return _refused(error)


@bp.get("/")
def home() -> Any:
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    orgs = s.orgs.administered(actor)
    # The reset-request mail links here: say where someone is waiting.
    waiting = {org.id: len(s.reset_requests.pending(org.id)) for org in orgs}
    return _page("admin/home.html", orgs=orgs, waiting=waiting)


@bp.get("/orgs/<slug>")
def org(slug: str) -> Any:
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    return _page_or_refusal(_org_page, s, actor, slug)


def _checkbox(name: str) -> bool:
    return request.form.get(name) == "on"


def _int_field(name: str) -> Any:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else raw


@bp.post("/orgs/<slug>/policy")
def update_policy(slug: str) -> Any:
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    form = request.form
    changes: dict[str, Any]
    if form.get("section") == "mfa":
        changes = {"mfa_enforced": _checkbox("mfa_enforced")}
        if form.get("on_disable"):
            changes["on_disable"] = form["on_disable"]
    else:
        changes = {
            "trusted_browsers_enabled": _checkbox("trusted_browsers_enabled"),
            "trusted_browser_days": _int_field("trusted_browser_days"),
            "lockout_password_failures": _int_field("lockout_password_failures"),
            "lockout_code_failures": _int_field("lockout_code_failures"),
            "lockout_action": form.get("lockout_action", ""),
            "sso_enabled": _checkbox("sso_enabled"),
            "sso_idp_alias": form.get("sso_idp_alias", "").strip() or None,
            "sso_domains": [d for d in form.get("sso_domains", "").split() if d],
        }
    try:
        s.orgs.update_policy(actor, slug, changes, admin_code=form.get("admin_code") or None)
    except OrgProblem as error:
        return _page_or_refusal(_org_page, s, actor, slug, error=error)
    return redirect(url_for("admin_console.org", slug=slug, notice="policy"), code=303)


@bp.post("/orgs/<slug>/members/<username>/<action>")
def member_action(slug: str, username: str, action: str) -> Any:
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    try:
        s.members.act(actor, slug, username, action)
    except OrgProblem as error:
        return _page_or_refusal(_org_page, s, actor, slug, error=error)
    return redirect(url_for("admin_console.org", slug=slug, notice=action), code=303)


@bp.post("/orgs/<slug>/reset-requests/<request_id>/approve")
def approve_reset_request(slug: str, request_id: str) -> Any:
    """Approve a "lost my device" request through the service the API calls too (R13)."""
    s = services()
    check_csrf(s.secrets.secret_key)
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    try:
        s.reset_requests.approve(actor, slug, request_id)
    except OrgProblem as error:
        return _refused(error)
    except ResetRequestError as refused:
        refusal = Refusal("Reset request refused", str(refused).capitalize() + ".", refused.status)
        return _org_page(s, actor, slug, error=refusal)
    return redirect(url_for("admin_console.org", slug=slug, notice="reset-approved"), code=303)


@bp.get("/orgs/<slug>/audit")
def audit(slug: str) -> Any:
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    try:
        authority = s.orgs.authority(actor, slug)
        events = s.members.audit(actor, slug, limit=200)
    except OrgProblem as error:
        return _refused(error)
    ids = {i for e in events for i in (e.user_id, e.actor_id) if i}
    names = {i: (u.username if (u := s.users.get(i)) else i) for i in ids}
    return _page("admin/audit.html", org=authority.org, events=events, names=names)


@bp.get("/orgs/<slug>/members/<username>/sign-in")
def explain_sign_in(slug: str, username: str) -> Any:
    """What the login flow would do for this member right now (as ``bridge flows explain``)."""
    s = services()
    actor = _actor(s)
    if actor is None:
        return _sign_in(s)
    try:
        members = {m.username: m for m in s.members.members(actor, slug)}
        authority = s.orgs.authority(actor, slug)
    except OrgProblem as error:
        return _refused(error)
    member = members.get(username.casefold())
    if member is None:
        return _page(
            "admin/explain.html", 404, org=authority.org, member=None, flow_id=None, lines=[]
        )
    flow_id = s.settings.flows.flow_for("browser", None, slug)
    lines = explain(
        s.flows.get(flow_id),
        LoginRequest(org_id=slug),
        s.directory,
        user_id=member.user_id,
        now=int(s.clock()),
    )
    return _page(
        "admin/explain.html", org=authority.org, member=member, flow_id=flow_id, lines=lines
    )


# Registered on ``bp``: the organisation's single sign-on providers.
from bridge.admin import console_providers as _console_providers  # noqa: E402,F401
