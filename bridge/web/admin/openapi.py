"""The OpenAPI 3.1 description of the admin API, served at ``/admin/api/v1/openapi.json``.

Generated: the bodies are the pydantic models of ``bridge.web.admin.schemas`` (their JSON Schema,
which OpenAPI 3.1 uses as it is), the operations are the table ``OPERATIONS`` below. Each
operation's ``operationId`` is the name of the view that serves it (``admin_api.<name>``), so a
test can check that every route is described and nothing else is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from bridge.services.audit_export import MEDIA_TYPES
from bridge.services.orgs.errors import PROBLEMS
from bridge.web.admin import answers as a
from bridge.web.admin import schemas as s

REF = "#/components/schemas/{model}"
PROBLEM = {"$ref": "#/components/responses/Problem"}
AUTHENTICATION = (401, 403)  # every operation: no valid token, or a token without the scope


@dataclass(frozen=True)
class Operation:
    """One route: ``answer`` is (status, body model or None, description); ``problems`` the
    statuses it may refuse with besides ``AUTHENTICATION``."""

    method: str
    path: str
    operation_id: str
    summary: str
    answer: tuple[int, type[BaseModel] | None, str]
    problems: tuple[int, ...] = ()
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    #: Media types of an answer that is not JSON (an export): its body is text.
    answer_media: tuple[str, ...] = ()


ORG = "/orgs/{org}"
MEMBER = ORG + "/members/{user}"
PROVIDER = ORG + "/identity-providers/{alias}"
APP_PASSWORDS = MEMBER + "/app-passwords"
API_CLIENTS = ORG + "/api-clients"
API_CLIENT = API_CLIENTS + "/{client_id}"

OPERATIONS = (
    Operation(
        "get", "/orgs", "list_orgs",
        "Organisations you administer (and customers of your partners)",
        (200, a.OrgList, "The organisations"),
    ),
    Operation(
        "get", ORG, "get_org", "One organisation with its policy, domains and 2FA progress",
        (200, a.OrgDetail, "The organisation"), (404,),
    ),
    Operation(
        "get", ORG + "/policy", "get_policy", "The security policy",
        (200, a.Policy, "The policy"), (404,),
    ),
    Operation(
        "patch", ORG + "/policy", "patch_policy",
        "Change some policy fields; every rule is checked first",
        (200, a.PolicyAfterChange, "The new policy"), (404, 409, 422), s.PolicyChange,
    ),
    Operation(
        "get", ORG + "/members", "list_members", "Members with their 2FA status",
        (200, a.MemberList, "The members"), (404,),
    ),
    Operation(
        "post", ORG + "/members", "add_member",
        "Add an existing user (of a domain the organisation verified)",
        (201, a.Member, "Added"), (404, 409, 422), s.MemberCreate,
    ),
    Operation(
        "get", MEMBER, "get_member", "One member", (200, a.Member, "The member"), (404,),
    ),
    Operation(
        "patch", MEMBER, "patch_member", "Change a member's role",
        (200, a.Member, "Changed"), (404, 422), s.MemberRoleChange,
    ),
    Operation(
        "put", MEMBER + "/language", "set_member_language",
        "The member's language for pages and mails (en, de; null: their browser's)",
        (200, a.LanguageSetting, "The member's language"), (404, 422), s.LanguageChange,
    ),
    Operation(
        "put", ORG + "/language", "set_org_language",
        "The default language of members who chose none (en, de; null: the configured one)",
        (200, a.LanguageSetting, "The organisation's default"), (404, 422), s.LanguageChange,
    ),
    Operation(
        "delete", MEMBER, "delete_member", "Remove a member from the organisation",
        (204, None, "Removed"), (404,),
    ),
    Operation(
        "post", MEMBER + "/actions/{action}", "member_action",
        "Unlock, reset 2FA, require 2FA, convert to or from a service account",
        (200, a.Member, "The member after the action"), (404, 422),
        s.MemberActionOptions, body_required=False,
    ),
    Operation(
        "post", MEMBER + "/account/{account_action}", "member_account_action",
        "Disable or enable the member's account (its sign-in everywhere; disabling ends every "
        "session, grant and app password); a member of other organisations too only at a "
        "domain the organisation verified",
        (200, a.Member, "The member after the change"), (403, 404),
    ),
    Operation(
        "delete", MEMBER + "/account", "delete_member_account",
        "Delete the member's account and erase their personal data (GDPR Art. 17); only a "
        "member of this organisation alone, at a verified domain; never its last admin. The "
        "audit log keeps their events under the pseudonym answered",
        (200, a.AccountDeleted, "Deleted"), (403, 404, 409),
    ),
    Operation(
        "put", MEMBER + "/password", "set_temporary_password",
        "Set a temporary password (the password policy applies): the member chooses a new one "
        "at the next sign-in, after their second factor; their sessions, grants and app "
        "passwords end, and they are e-mailed",
        (200, a.TemporaryPasswordSet, "Set"), (404, 409, 422), s.TemporaryPassword,
    ),
    Operation(
        "post", MEMBER + "/password-reset-link", "send_password_reset_link",
        "Mail the member the forgot-password link, in their language (its rules and hourly "
        "limit apply)",
        (202, a.ResetLinkSent, "Mailed"), (404, 409),
    ),
    Operation(
        "get", ORG + "/reset-requests", "list_reset_requests",
        "Pending requests of members who lost their device (R13)",
        (200, a.ResetRequestList, "The pending requests"), (404,),
    ),
    Operation(
        "post", ORG + "/reset-requests/{request_id}/approve", "approve_reset_request",
        "Approve a reset request: the member's 2FA is reset and mailed",
        (200, a.ResetRequest, "The approved request"), (404, 409),
    ),
    Operation(
        "get", ORG + "/mfa-progress", "mfa_progress",
        "Members with 2FA configured, out of members who need it",
        (200, a.Progress, "Progress"), (404,),
    ),
    Operation(
        "get", ORG + "/audit", "audit", "The organisation's audit events, newest first",
        (200, a.AuditEventList, "Events"), (404, 422), query=s.AuditQuery,
    ),
    Operation(
        "get", ORG + "/audit/export", "export_audit",
        "Export the organisation's audit events, oldest first, as JSON Lines or CSV "
        "(streamed; CSV cells that start with = + - @ are prefixed with a quote)",
        (200, None, "The events, one per line"), (404, 422), query=s.AuditExportQuery,
        answer_media=tuple(media.split(";")[0] for media in MEDIA_TYPES.values()),
    ),
    Operation(
        "get", ORG + "/identity-providers", "list_identity_providers",
        "The organisation's identity providers: configured ones (source config, read-only) "
        "and the ones its admins added",
        (200, a.IdentityProviderList, "The providers"), (404,),
    ),
    Operation(
        "post", ORG + "/identity-providers", "add_identity_provider",
        "Add an identity provider for the organisation's single sign-on "
        "(domains must be verified by it)",
        (201, a.IdentityProvider, "Added"), (404, 409, 422), s.IdentityProviderCreate,
    ),
    Operation(
        "get", PROVIDER, "get_identity_provider", "One identity provider",
        (200, a.IdentityProvider, "The provider"), (404,),
    ),
    Operation(
        "patch", PROVIDER, "patch_identity_provider",
        "Change some fields (never the alias or the issuer)",
        (200, a.IdentityProvider, "Changed"), (404, 409, 422), s.IdentityProviderChange,
    ),
    Operation(
        "delete", PROVIDER, "delete_identity_provider",
        "Remove the provider, its domains and its account links "
        "(refused while the SSO policy names it)",
        (200, a.ProviderRemoved, "Removed"), (404, 409),
    ),
    Operation(
        "get", APP_PASSWORDS, "list_app_passwords",
        "A service account's app passwords (comment, scopes, created, last used)",
        (200, a.AppPasswordList, "The app passwords"), (404, 409),
    ),
    Operation(
        "post", APP_PASSWORDS, "create_app_password",
        "A new app password for a service account; the secret is shown only in this answer",
        (201, a.NewAppPassword, "Created"), (403, 404, 409, 422), s.AppPasswordCreate,
    ),
    Operation(
        "delete", APP_PASSWORDS + "/{password_id}", "revoke_app_password",
        "Revoke one app password of a service account",
        (204, None, "Revoked"), (404, 409),
    ),
    Operation(
        "get", API_CLIENTS, "list_api_clients",
        "The organisation's API clients (client credentials)",
        (200, a.ApiClientList, "The API clients"), (404,),
    ),
    Operation(
        "post", API_CLIENTS, "create_api_client",
        "A new API client with the scopes granted; its secret is shown only in this answer",
        (201, a.NewApiClient, "Created"), (404, 422), s.ApiClientCreate,
    ),
    Operation(
        "get", API_CLIENT, "get_api_client", "One API client",
        (200, a.ApiClient, "The API client"), (404,),
    ),
    Operation(
        "delete", API_CLIENT, "delete_api_client",
        "Remove an API client: it gets no more tokens and its tokens introspect as inactive",
        (204, None, "Removed"), (404,),
    ),
    Operation(
        "post", API_CLIENT + "/secret", "rotate_api_client_secret",
        "A new secret for an API client; the old one stops working at once",
        (200, a.NewApiClient, "Rotated"), (404, 409),
    ),
)  # fmt: skip

#: Path parameters by name: any text, but for the action.
PATH_PARAMETERS: dict[str, Any] = {
    "org": str,
    "user": str,
    "alias": str,
    "request_id": str,
    "password_id": str,
    "client_id": str,
    "action": s.Action,
    "account_action": s.AccountAction,
}


class _Schema(GenerateJsonSchema):
    """Pydantic's JSON Schema without the noise: no per-field titles, no ``default: null``."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None:
            del json_schema["default"]
        return json_schema


def _components() -> tuple[dict[Any, Any], dict[str, Any]]:
    """References to the models, and their schemas for ``#/components/schemas``: requests as
    they are read, answers as they are written."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(a.Problem, "serialization")]
    for op in OPERATIONS:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.answer[1] is not None:
            models.append((op.answer[1], "serialization"))
    refs, top = models_json_schema(
        list(dict.fromkeys(models)), ref_template=REF, schema_generator=_Schema
    )
    return dict(refs), top.get("$defs", {})


def _schema(kind: Any) -> dict[str, Any]:
    return TypeAdapter(kind).json_schema(ref_template=REF, schema_generator=_Schema)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    names = re.findall(r"{(\w+)}", op.path)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _schema(PATH_PARAMETERS[name])}
        for name in names
    ]
    if op.query is not None:
        query = _schema(op.query)
        for name, schema in query["properties"].items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in query.get("required", ()),
                    "schema": schema,
                }
            )
    return parameters


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    status, model, description = op.answer
    answer: dict[str, Any] = {"description": description}
    if model is not None:
        schema = refs[(model, "serialization")]
        answer["content"] = {"application/json": {"schema": schema}}
    if op.answer_media:
        answer["content"] = {media: {"schema": {"type": "string"}} for media in op.answer_media}
    operation: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": {
            str(status): answer,
            **{str(code): PROBLEM for code in (*AUTHENTICATION, *op.problems)},
        },
    }
    parameters = _parameters(op)
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return operation


@cache  # a tenth of a second of work, the same for every request: treat the result as frozen
def _paths_and_schemas() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    refs, schemas = _components()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs)
    return paths, schemas


def openapi_document(issuer: str) -> dict[str, Any]:
    paths, schemas = _paths_and_schemas()
    problem_slugs = sorted({p.slug for p in PROBLEMS} | {"unauthorised", "insufficient-scope"})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "The bridge: admin API",
            "version": "1.0.0",
            "description": "Organisations, their 2FA policy, members, admin actions and "
            "identity providers. "
            "Errors are RFC 9457 problem details; 'type' is urn:bridge:problem:<slug> with "
            f"slug one of: {', '.join(problem_slugs)}.",
        },
        "servers": [{"url": f"{issuer}/admin/api/v1"}],
        "security": [{"bearer": ["admin"]}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "oauth2",
                    "description": "An access token from the bridge with the 'admin' scope.",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": f"{issuer}/authorize",
                            "tokenUrl": f"{issuer}/token",
                            "scopes": {"admin": "Act as an organisation admin"},
                        }
                    },
                }
            },
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": REF.format(model="Problem")}
                        }
                    },
                }
            },
            "schemas": schemas,
        },
    }
