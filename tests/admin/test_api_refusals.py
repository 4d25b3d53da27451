"""What the admin API says when it refuses a body: the exact sentence and the field, whichever
problem it meets first (the models that parse the bodies keep the API's words)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.admin_api import Api, assert_problem
from tests.world import World

KNOWN = (
    "Known: mfa_enforced, on_disable, trusted_browsers_enabled, trusted_browser_days, "
    "lockout_password_failures, lockout_code_failures, lockout_action, sso_enabled, "
    "sso_idp_alias, sso_domains, admin_reset_requires_verified_domain, app_passwords_allowed, "
    "password_reset_allowed."
)


@pytest.mark.parametrize(
    ("method", "path", "body", "detail", "field"),
    [
        (
            "PATCH",
            "/orgs/acme/policy",
            {"zed": 1, "mfa_enforced": "x", "colour": 2},
            f"Unknown policy field(s): colour, zed. {KNOWN}",
            "colour",
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"on_disable": "shred", "mfa_enforced": "x"},
            "'on_disable' must be one of keep, wipe.",
            "on_disable",
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"mfa_enforced": "x", "admin_code": 123456},
            "'admin_code' must be a string of digits.",
            "admin_code",
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"admin_code": "123456"},
            "Send a JSON object with at least one policy field.",
            None,
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"trusted_browser_days": 7.0},
            "'trusted_browser_days' must be a whole number from 7 to 90.",
            "trusted_browser_days",
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"sso_idp_alias": "Okta"},
            "'sso_idp_alias' must be null or 1-100 characters of a-z, 0-9, '.', '_', '-'.",
            "sso_idp_alias",
        ),
        (
            "PATCH",
            "/orgs/acme/policy",
            {"sso_domains": ["acme.example", "acme"]},
            "'sso_domains' must be a domain name such as example.com.",
            "sso_domains",
        ),
        (
            "POST",
            "/orgs/acme/members",
            {"role": 1, "username": " "},
            "'username' must name an existing user.",
            "username",
        ),
        (
            "POST",
            "/orgs/acme/members",
            {"username": "carol", "role": 1},
            "'role' must be 'member' or 'admin'.",
            "role",
        ),
        (
            "POST",
            "/orgs/acme/members",
            {"username": "carol", "role": "owner"},
            "'role' must be one of member, admin.",
            "role",
        ),
        (
            "PATCH",
            "/orgs/acme/members/carol",
            {"role": "admin", "colour": "blue"},
            'Send {"role": "member"} or {"role": "admin"}.',
            "role",
        ),
        (
            "POST",
            "/orgs/acme/members/carol/actions/require-mfa",
            {"required": "yes", "zed": 1, "colour": 2},
            "Unexpected field(s): colour, zed.",
            None,
        ),
        (
            "POST",
            "/orgs/acme/members/carol/actions/require-mfa",
            {"required": "yes"},
            "'required' must be true or false.",
            "required",
        ),
        (
            "POST",
            "/orgs/acme/members/carol/actions/unlock",
            {"required": True},
            "Unexpected field(s): required.",
            None,
        ),
    ],
)
def test_a_refusal_names_the_first_problem_in_the_apis_words(
    api: Api, acme: World, method: str, path: str, body: Any, detail: str, field: str | None
) -> None:
    text = json.dumps(body)  # as written: the test client's json= would sort the fields
    response = api.call(method, path, "ada", data=text, content_type="application/json")
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["detail"] == detail
    assert problem.get("field") == field
    assert ("field" in problem) == (field is not None)


@pytest.mark.parametrize("limit", ["0", "501", "1e2", "\u0661"])
def test_an_audit_limit_out_of_range_is_refused_in_the_apis_words(
    api: Api, acme: World, limit: str
) -> None:
    problem = assert_problem(
        api.get(f"/orgs/acme/audit?limit={limit}", "ada"), 422, "invalid-input"
    )
    assert problem["detail"] == "'limit' must be a whole number from 1 to 500."
    assert "field" not in problem


def test_a_body_is_checked_before_the_callers_authority_as_before(api: Api, acme: World) -> None:
    """A plain member sending a bad policy learns that it is bad, not that they may not."""
    assert_problem(api.patch("/orgs/acme/policy", "bob", {"mfa_enforced": 1}), 422, "invalid-input")
    assert_problem(
        api.patch("/orgs/acme/policy", "bob", {"mfa_enforced": True}), 403, "not-an-admin"
    )
