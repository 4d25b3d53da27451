"""The admin REST API under ``/admin/api/v1``: JSON over the org services, RFC 9457 errors.

Callers present a bearer access token issued by the bridge itself with the ``admin`` scope.
The scope only opens the door: what a caller may do to an organisation is decided per request
by ``bridge.services.orgs`` (admins of the organisation, or of the partner that manages it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

from bridge.domain.errors import BridgeError, InvalidInput
from bridge.services.account import admin_passwords, member_actions
from bridge.services.audit_export import event_record
from bridge.services.orgs import Actor
from bridge.services.orgs.service import policy_of
from bridge.services.orgs.validation import parse
from bridge.storage.db.models import Organisation, ResetRequest
from bridge.web.admin import answers, schemas
from bridge.web.admin.openapi import openapi_document
from bridge.web.admin.problems import insufficient_scope, unauthorised
from bridge.web.context import services
from bridge.web.errors import http_problem, problem_response

PREFIX = "/admin/api/v1"
bp = Blueprint("admin_api", __name__, url_prefix=PREFIX)
# Views raise; refusals and HTTP errors answer as RFC 9457 problem documents.
bp.register_error_handler(BridgeError, problem_response)
bp.register_error_handler(HTTPException, http_problem)


# --- plumbing ---------------------------------------------------------------------------------


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint == "admin_api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return unauthorised("Send 'Authorization: Bearer <access token>'.", error="invalid_request")
    s = services()
    info = s.tokens.access_token(token.strip())
    if info is None:
        return unauthorised("The access token is unknown, expired or revoked.")
    if "admin" not in info.scope.split():
        return insufficient_scope()
    user = s.users.get(info.user_id)
    if user is None or user.disabled or user.locked_at is not None:
        return unauthorised("The token's user can no longer sign in.")
    g.admin_actor = Actor(
        user_id=user.id,
        via="api",
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _actor() -> Actor:
    actor: Actor = g.admin_actor
    return actor


def _json_body(*, required: bool = True) -> dict[str, Any]:
    if not request.get_data(cache=True):
        if required:
            raise InvalidInput("Send a JSON object as the request body.")
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return body


def _answer(model: type[BaseModel], body: dict[str, Any], status: int = 200) -> Response:
    """``body`` checked against the model the OpenAPI document shows for it, as JSON."""
    response = jsonify(model.model_validate(body).model_dump(mode="json", exclude_unset=True))
    response.status_code = status
    return response


def org_json(org: Organisation) -> dict[str, Any]:
    return {
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind,
        "mode": org.mode,
        "policy": policy_of(org),
    }


# --- resources --------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(services().settings.issuer))


@bp.get("/orgs")
def list_orgs() -> Response:
    orgs = services().orgs.administered(_actor())
    return _answer(answers.OrgList, {"orgs": [org_json(org) for org in orgs]})


@bp.get("/orgs/<org>")
def get_org(org: str) -> Response:
    s = services()
    authority = s.orgs.authority(_actor(), org)
    body = org_json(authority.org)
    body["domains"] = s.orgs.domains(_actor(), org)
    body["mfa_progress"] = s.members.progress(_actor(), org).as_json()
    body["acting_via_partner"] = authority.via_partner.slug if authority.via_partner else None
    return _answer(answers.OrgDetail, body)


@bp.get("/orgs/<org>/policy")
def get_policy(org: str) -> Response:
    return _answer(answers.Policy, services().orgs.policy(_actor(), org))


@bp.patch("/orgs/<org>/policy")
def patch_policy(org: str) -> Response:
    change = parse(schemas.PolicyChange, _json_body())
    result = services().orgs.update_policy(
        _actor(), org, change.changes(), admin_code=change.admin_code
    )
    return _answer(
        answers.PolicyAfterChange, {**policy_of(result.org), "wiped_users": result.wiped_users}
    )


@bp.get("/orgs/<org>/members")
def list_members(org: str) -> Response:
    members = services().members.members(_actor(), org)
    return _answer(answers.MemberList, {"members": [m.as_json() for m in members]})


@bp.post("/orgs/<org>/members")
def add_member(org: str) -> Response:
    new = parse(schemas.MemberCreate, _json_body())
    member = services().members.add(_actor(), org, new.username, new.role)
    return _answer(answers.Member, member.as_json(), 201)


@bp.get("/orgs/<org>/members/<user>")
def get_member(org: str, user: str) -> Response:
    return _answer(answers.Member, services().members.get(_actor(), org, user).as_json())


@bp.patch("/orgs/<org>/members/<user>")
def patch_member(org: str, user: str) -> Response:
    change = parse(schemas.MemberRoleChange, _json_body())
    member = services().members.set_role(_actor(), org, user, change.role)
    return _answer(answers.Member, member.as_json())


@bp.put("/orgs/<org>/members/<user>/language")
def set_member_language(org: str, user: str) -> Response:
    """A member's language for pages and mails (their own choice on the account page too)."""
    change = parse(schemas.LanguageChange, _json_body())
    s = services()
    member = s.members.get(_actor(), org, user)  # refuses anyone but the org's admins
    chosen = s.languages.choose(member.user_id, change.language)
    return _answer(answers.LanguageSetting, {"language": chosen})


@bp.put("/orgs/<org>/language")
def set_org_language(org: str) -> Response:
    """The default language of the organisation's members who chose none."""
    change = parse(schemas.LanguageChange, _json_body())
    s = services()
    actor = _actor()
    record = s.orgs.get(actor, org)  # refuses anyone but its admins
    chosen = s.languages.set_organisation_default(
        record.id, change.language, actor_id=actor.user_id
    )
    return _answer(answers.LanguageSetting, {"language": chosen})


@bp.delete("/orgs/<org>/members/<user>")
def delete_member(org: str, user: str) -> Response:
    services().members.remove(_actor(), org, user)
    return Response(status=204)


@bp.post("/orgs/<org>/members/<user>/actions/<action>")
def member_action(org: str, user: str, action: str) -> Response:
    options = parse(
        schemas.MemberActionOptions, _json_body(required=False), context={"action": action}
    )
    s = services()
    s.members.act(_actor(), org, user, action, **options.model_dump(exclude_unset=True))
    return _answer(answers.Member, s.members.get(_actor(), org, user).as_json())


@bp.post("/orgs/<org>/members/<user>/account/<account_action>")
def member_account_action(org: str, user: str, account_action: str) -> Response:
    """Disable or enable the member's account itself (every organisation's sign-in, issue 14),
    with the rules of ``bridge.services.account.member_accounts``."""
    s = services()
    actor = _actor()
    member_actions.change_member_account(s, actor, org, user, account_action)
    return _answer(answers.Member, s.members.get(actor, org, user).as_json())


@bp.delete("/orgs/<org>/members/<user>/account")
def delete_member_account(org: str, user: str) -> Response:
    """Delete the member's account and erase their personal data (GDPR Art. 17); the audit
    log keeps their events under the pseudonym answered."""
    erased = member_actions.delete_member_account(services(), _actor(), org, user)
    return _answer(answers.AccountDeleted, {"pseudonym": erased.pseudonym})


@bp.put("/orgs/<org>/members/<user>/password")
def set_temporary_password(org: str, user: str) -> Response:
    """A temporary password (issue 14): the member chooses a new one at the next sign-in."""
    body = parse(schemas.TemporaryPassword, _json_body())
    done = admin_passwords.set_temporary_password(services(), _actor(), org, user, body.password)
    return _answer(
        answers.TemporaryPasswordSet,
        {"username": done.username, "password_must_change": True},
    )


@bp.post("/orgs/<org>/members/<user>/password-reset-link")
def send_password_reset_link(org: str, user: str) -> Response:
    """The "forgot password" link, mailed to the member in their language (issue 14)."""
    s = services()
    done = admin_passwords.send_reset_link(s, _actor(), org, user)
    body = {
        "username": done.username,
        "email": done.email,
        "expires_in_minutes": s.password_resets.ttl // 60,
    }
    return _answer(answers.ResetLinkSent, body, 202)


@bp.get("/orgs/<org>/reset-requests")
def list_reset_requests(org: str) -> Response:
    """Pending "lost my device" requests of the organisation's members (R13)."""
    rows = services().reset_requests.awaiting(_actor(), org)
    return _answer(answers.ResetRequestList, {"requests": [reset_request_json(r) for r in rows]})


@bp.post("/orgs/<org>/reset-requests/<request_id>/approve")
def approve_reset_request(org: str, request_id: str) -> Response:
    """Any admin of the organisation (other than the requester) approves: the member's TOTP,
    recovery codes and trusted browsers are removed and the member is e-mailed (R13, R18)."""
    row = services().reset_requests.approve(_actor(), org, request_id)
    return _answer(answers.ResetRequest, reset_request_json(row))


def reset_request_json(row: ResetRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "status": row.status,
        "message": row.message,
        "requested_at": row.requested_at.isoformat(),
    }


@bp.get("/orgs/<org>/mfa-progress")
def mfa_progress(org: str) -> Response:
    return _answer(answers.Progress, services().members.progress(_actor(), org).as_json())


@bp.get("/orgs/<org>/audit")
def audit(org: str) -> Response:
    """The events the organisation sees, newest first, filtered (docs/audit.md)."""
    query = parse(schemas.AuditQuery, request.args.to_dict())
    events = services().org_audit.events(_actor(), org, query, limit=query.limit)
    return _answer(answers.AuditEventList, {"events": [event_record(e) for e in events]})


@bp.get("/orgs/<org>/audit/export")
def export_audit(org: str) -> Response:
    """Every matching event, oldest first, as JSON Lines or CSV for a SIEM; streamed: the
    events are read batch by batch while the answer is sent."""
    query = parse(schemas.AuditExportQuery, request.args.to_dict())
    export = services().org_audit.export(_actor(), org, query, query.format)
    response = Response(export.lines, content_type=export.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


# --- identity providers (issue 6) -------------------------------------------------------------


@bp.get("/orgs/<org>/identity-providers")
def list_identity_providers(org: str) -> Response:
    """The organisation's providers: configured ones (``"source": "config"``, read-only) and
    the ones its admins added."""
    views = services().provider_admin.of_organisation(_actor(), org)
    return _answer(
        answers.IdentityProviderList, {"identity_providers": [view.as_json() for view in views]}
    )


@bp.post("/orgs/<org>/identity-providers")
def add_identity_provider(org: str) -> Response:
    # The body is checked by the service, after the caller's authority (bridge.federation.
    # provider_input); schemas.IdentityProviderCreate describes it in the document.
    view = services().provider_admin.add(_actor(), org, _json_body())
    return _answer(answers.IdentityProvider, view.as_json(), 201)


@bp.get("/orgs/<org>/identity-providers/<alias>")
def get_identity_provider(org: str, alias: str) -> Response:
    view = services().provider_admin.get(_actor(), org, alias)
    return _answer(answers.IdentityProvider, view.as_json())


@bp.patch("/orgs/<org>/identity-providers/<alias>")
def patch_identity_provider(org: str, alias: str) -> Response:
    view = services().provider_admin.change(_actor(), org, alias, _json_body())
    return _answer(answers.IdentityProvider, view.as_json())


@bp.delete("/orgs/<org>/identity-providers/<alias>")
def delete_identity_provider(org: str, alias: str) -> Response:
    """Removes the provider, its domains and every account link to it, in one transaction."""
    removed = services().provider_admin.remove(_actor(), org, alias)
    return _answer(
        answers.ProviderRemoved,
        {
            "removed": removed.alias,
            "links_removed": removed.links_removed,
            "domains_removed": removed.domains,
        },
    )


# --- app passwords of service accounts (issue 12) ---------------------------------------------


@bp.get("/orgs/<org>/members/<user>/app-passwords")
def list_app_passwords(org: str, user: str) -> Response:
    views = services().app_passwords.list_for(_actor(), org, user)
    return _answer(answers.AppPasswordList, {"app_passwords": [v.as_json() for v in views]})


@bp.post("/orgs/<org>/members/<user>/app-passwords")
def create_app_password(org: str, user: str) -> Response:
    new = parse(schemas.AppPasswordCreate, _json_body())
    created = services().app_passwords.create_for(_actor(), org, user, new.comment, new.scopes)
    return _answer(
        answers.NewAppPassword, {**created.view.as_json(), "secret": created.secret}, 201
    )


@bp.delete("/orgs/<org>/members/<user>/app-passwords/<password_id>")
def revoke_app_password(org: str, user: str, password_id: str) -> Response:
    services().app_passwords.revoke_for(_actor(), org, user, password_id)
    return Response(status=204)


# --- API clients of the organisation (issue 12) -----------------------------------------------


@bp.get("/orgs/<org>/api-clients")
def list_api_clients(org: str) -> Response:
    views = services().api_clients.list(_actor(), org)
    return _answer(answers.ApiClientList, {"api_clients": [v.as_json() for v in views]})


@bp.post("/orgs/<org>/api-clients")
def create_api_client(org: str) -> Response:
    new = parse(schemas.ApiClientCreate, _json_body())
    created = services().api_clients.create(_actor(), org, new.name, new.scopes, new.jwks)
    return _answer(answers.NewApiClient, {**created.view.as_json(), "secret": created.secret}, 201)


@bp.get("/orgs/<org>/api-clients/<client_id>")
def get_api_client(org: str, client_id: str) -> Response:
    view = services().api_clients.get(_actor(), org, client_id)
    return _answer(answers.ApiClient, view.as_json())


@bp.delete("/orgs/<org>/api-clients/<client_id>")
def delete_api_client(org: str, client_id: str) -> Response:
    services().api_clients.remove(_actor(), org, client_id)
    return Response(status=204)


@bp.post("/orgs/<org>/api-clients/<client_id>/secret")
def rotate_api_client_secret(org: str, client_id: str) -> Response:
    rotated = services().api_clients.rotate_secret(_actor(), org, client_id)
    return _answer(answers.NewApiClient, {**rotated.view.as_json(), "secret": rotated.secret})
