"""The OpenAPI 3.1 description of the admin API, served at ``/admin/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from bridge.orgs.errors import PROBLEMS
from bridge.orgs.members import ACTIONS, STATUSES
from bridge.orgs.policy_input import LOCKOUT_LIMITS, TRUSTED_BROWSER_DAYS
from bridge.settings import UPSTREAM_ALGORITHMS

PROBLEM = {"$ref": "#/components/responses/Problem"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): PROBLEM for status in (401, 403, *statuses)}


ORG = {"name": "org", "in": "path", "required": True, "schema": {"type": "string"}}
USER = {"name": "user", "in": "path", "required": True, "schema": {"type": "string"}}
ALIAS = {"name": "alias", "in": "path", "required": True, "schema": {"type": "string"}}


def _provider_schema(*, writable: bool, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A provider's fields mirror ``identity_providers`` in the configuration; the client
    secret is write-only (responses say ``client_secret_set``)."""
    strings = {"type": "array", "items": {"type": "string"}}
    properties: dict[str, Any] = {
        "alias": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$"},
        "issuer": {"type": "string", "format": "uri", "maxLength": 2048},
        "client_id": {"type": "string", "maxLength": 255},
        "display_name": {"type": ["string", "null"], "maxLength": 200},
        "scopes": {**strings, "maxItems": 20},
        "domains": {**strings, "maxItems": 100},
        "claims": {
            "type": "object",
            "properties": {
                name: {"type": "string"} for name in ("subject", "email", "email_verified", "name")
            },
            "additionalProperties": False,
        },
        "link_by_verified_email": {"type": "boolean"},
        "trusted_amr": {"type": "boolean"},
        "algorithms": {
            "type": "array",
            "items": {"enum": list(UPSTREAM_ALGORITHMS)},
            "minItems": 1,
        },
        "timeout": {"type": "integer", "minimum": 1, "maximum": 60},
        "metadata_ttl": {"type": "integer", "minimum": 60, "maximum": 86400},
        "max_clock_skew": {"type": "integer", "minimum": 0, "maximum": 600},
    }
    if writable:
        properties["client_secret"] = {
            "type": ["string", "null"],
            "maxLength": 1024,
            "writeOnly": True,
            "description": "Never returned; null: a public client (PKCE only).",
        }
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = list(required)
        return schema
    properties.update(
        {
            "source": {"enum": ["config", "database"]},
            "read_only": {"type": "boolean"},
            "organisation": {"type": ["string", "null"]},
            "client_secret_set": {"type": "boolean"},
            "unusable": {
                "type": ["string", "null"],
                "description": "Why no login can go through the provider now; null: usable.",
            },
            "created_at": {"type": ["string", "null"]},
            "updated_at": {"type": ["string", "null"]},
        }
    )
    return {
        "type": "object",
        "properties": properties,
        "required": ["alias", "source", "issuer", "client_id", "client_secret_set", "domains"],
    }


def _policy_schema(*, writable: bool) -> dict[str, Any]:
    low, high = TRUSTED_BROWSER_DAYS
    lock_low, lock_high = LOCKOUT_LIMITS
    properties: dict[str, Any] = {
        "mfa_enforced": {"type": "boolean"},
        "on_disable": {"enum": ["keep", "wipe"]},
        "trusted_browsers_enabled": {"type": "boolean"},
        "trusted_browser_days": {"type": "integer", "minimum": low, "maximum": high},
        "lockout_password_failures": {
            "type": "integer",
            "minimum": lock_low,
            "maximum": lock_high,
        },
        "lockout_code_failures": {"type": "integer", "minimum": lock_low, "maximum": lock_high},
        "lockout_action": {"enum": ["lock", "restart"]},
        "sso_enabled": {"type": "boolean"},
        "sso_idp_alias": {"type": ["string", "null"]},
        "sso_domains": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
    }
    if writable:
        properties["admin_code"] = {
            "type": "string",
            "description": "Your current TOTP code: needed to turn enforcement off with "
            "on_disable=wipe while members use 2FA.",
        }
        return {"type": "object", "properties": properties, "additionalProperties": False}
    properties["mfa_always_enforced"] = {"type": "boolean"}
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def openapi_document(issuer: str) -> dict[str, Any]:
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
        "paths": {
            "/orgs": {
                "get": {
                    "summary": "Organisations you administer (and customers of your partners)",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"orgs": {"type": "array", "items": _ref("Org")}},
                            },
                            "The organisations",
                        ),
                        **_errors(),
                    },
                }
            },
            "/orgs/{org}": {
                "parameters": [ORG],
                "get": {
                    "summary": "One organisation with its policy, domains and 2FA progress",
                    "responses": {"200": _json(_ref("Org"), "The organisation"), **_errors(404)},
                },
            },
            "/orgs/{org}/policy": {
                "parameters": [ORG],
                "get": {
                    "summary": "The security policy",
                    "responses": {"200": _json(_ref("Policy"), "The policy"), **_errors(404)},
                },
                "patch": {
                    "summary": "Change some policy fields; every rule is checked first",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("PolicyChange")}},
                    },
                    "responses": {
                        "200": _json(_ref("Policy"), "The new policy"),
                        **_errors(404, 409, 422),
                    },
                },
            },
            "/orgs/{org}/members": {
                "parameters": [ORG],
                "get": {
                    "summary": "Members with their 2FA status",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "members": {"type": "array", "items": _ref("Member")}
                                },
                            },
                            "The members",
                        ),
                        **_errors(404),
                    },
                },
                "post": {
                    "summary": "Add an existing user (of a domain the organisation verified)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["username"],
                                    "properties": {
                                        "username": {"type": "string"},
                                        "role": {"enum": ["member", "admin"]},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {"201": _json(_ref("Member"), "Added"), **_errors(404, 409, 422)},
                },
            },
            "/orgs/{org}/members/{user}": {
                "parameters": [ORG, USER],
                "get": {
                    "summary": "One member",
                    "responses": {"200": _json(_ref("Member"), "The member"), **_errors(404)},
                },
                "patch": {
                    "summary": "Change a member's role",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["role"],
                                    "properties": {"role": {"enum": ["member", "admin"]}},
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {"200": _json(_ref("Member"), "Changed"), **_errors(404, 422)},
                },
                "delete": {
                    "summary": "Remove a member from the organisation",
                    "responses": {"204": {"description": "Removed"}, **_errors(404)},
                },
            },
            "/orgs/{org}/reset-requests": {
                "parameters": [ORG],
                "get": {
                    "summary": "Pending requests of members who lost their device (R13)",
                    "responses": {
                        "200": _json({"type": "object"}, "The pending requests"),
                        **_errors(404),
                    },
                },
            },
            "/orgs/{org}/reset-requests/{request_id}/approve": {
                "parameters": [
                    ORG,
                    {
                        "name": "request_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "post": {
                    "summary": "Approve a reset request: the member's 2FA is reset and mailed",
                    "responses": {
                        "200": _json({"type": "object"}, "The approved request"),
                        **_errors(404, 409),
                    },
                },
            },
            "/orgs/{org}/members/{user}/actions/{action}": {
                "parameters": [
                    ORG,
                    USER,
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": list(ACTIONS)},
                    },
                ],
                "post": {
                    "summary": "Unlock, reset 2FA, require 2FA, convert to or from a service "
                    "account",
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "required": {
                                            "type": "boolean",
                                            "description": "require-mfa only; false lifts it",
                                        }
                                    },
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Member"), "The member after the action"),
                        **_errors(404, 422),
                    },
                },
            },
            "/orgs/{org}/identity-providers": {
                "parameters": [ORG],
                "get": {
                    "summary": "The organisation's identity providers: configured ones "
                    "(source config, read-only) and the ones its admins added",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "identity_providers": {
                                        "type": "array",
                                        "items": _ref("IdentityProvider"),
                                    }
                                },
                            },
                            "The providers",
                        ),
                        **_errors(404),
                    },
                },
                "post": {
                    "summary": "Add an identity provider for the organisation's single sign-on "
                    "(domains must be verified by it)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("IdentityProviderCreate")}},
                    },
                    "responses": {
                        "201": _json(_ref("IdentityProvider"), "Added"),
                        **_errors(404, 409, 422),
                    },
                },
            },
            "/orgs/{org}/identity-providers/{alias}": {
                "parameters": [ORG, ALIAS],
                "get": {
                    "summary": "One identity provider",
                    "responses": {
                        "200": _json(_ref("IdentityProvider"), "The provider"),
                        **_errors(404),
                    },
                },
                "patch": {
                    "summary": "Change some fields (never the alias or the issuer)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("IdentityProviderChange")}},
                    },
                    "responses": {
                        "200": _json(_ref("IdentityProvider"), "Changed"),
                        **_errors(404, 409, 422),
                    },
                },
                "delete": {
                    "summary": "Remove the provider, its domains and its account links "
                    "(refused while the SSO policy names it)",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "removed": {"type": "string"},
                                    "links_removed": {"type": "integer"},
                                    "domains_removed": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                    },
                                },
                            },
                            "Removed",
                        ),
                        **_errors(404, 409),
                    },
                },
            },
            "/orgs/{org}/mfa-progress": {
                "parameters": [ORG],
                "get": {
                    "summary": "Members with 2FA configured, out of members who need it",
                    "responses": {"200": _json(_ref("Progress"), "Progress"), **_errors(404)},
                },
            },
            "/orgs/{org}/audit": {
                "parameters": [
                    ORG,
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                    },
                ],
                "get": {
                    "summary": "The organisation's audit events, newest first",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "events": {"type": "array", "items": _ref("AuditEvent")}
                                },
                            },
                            "Events",
                        ),
                        **_errors(404, 422),
                    },
                },
            },
        },
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
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                }
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "members": {"type": "array", "items": {"type": "string"}},
                        "field": {"type": "string"},
                    },
                },
                "IdentityProvider": _provider_schema(writable=False),
                "IdentityProviderCreate": _provider_schema(
                    writable=True, required=("alias", "issuer", "client_id")
                ),
                "IdentityProviderChange": _provider_schema(writable=True),
                "Policy": _policy_schema(writable=False),
                "PolicyChange": _policy_schema(writable=True),
                "Progress": {
                    "type": "object",
                    "required": ["configured", "needing", "percent"],
                    "properties": {
                        "configured": {"type": "integer"},
                        "needing": {"type": "integer"},
                        "percent": {"type": "integer"},
                    },
                },
                "Org": {
                    "type": "object",
                    "required": ["slug", "name", "kind", "mode", "policy"],
                    "properties": {
                        "slug": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": {"enum": ["partner", "customer", "standalone"]},
                        "mode": {"enum": ["trial", "production"]},
                        "policy": _ref("Policy"),
                        "domains": {"type": "array", "items": {"type": "string"}},
                        "mfa_progress": _ref("Progress"),
                        "acting_via_partner": {"type": ["string", "null"]},
                    },
                },
                "Member": {
                    "type": "object",
                    "required": ["id", "username", "role", "mfa_status"],
                    "properties": {
                        "id": {"type": "string"},
                        "username": {"type": "string"},
                        "email": {"type": ["string", "null"]},
                        "role": {"enum": ["member", "admin"]},
                        "mfa_status": {"enum": list(STATUSES)},
                        "mfa_configured": {"type": "boolean"},
                        "mfa_required": {"type": "boolean"},
                        "mfa_required_because": {"type": "array", "items": {"type": "string"}},
                        "service_account": {"type": "boolean"},
                        "locked": {"type": "boolean"},
                    },
                },
                "AuditEvent": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "event": {"type": "string"},
                        "user_id": {"type": ["string", "null"]},
                        "actor_id": {"type": ["string", "null"]},
                        "ip": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "details": {"type": "object"},
                    },
                },
            },
        },
    }
