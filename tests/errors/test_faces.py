"""One error tree, three faces: each refusal maps to one HTTP status, one problem document,
one error page and one command-line message, whichever view or command raised it."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from flask import Flask

from bridge.cli.errors import BridgeGroup
from bridge.config.errors import SettingsError
from bridge.domain.errors import AccountLocked, BridgeError, InvalidRequest
from bridge.federation.errors import BadSignature, ProviderTimeout
from bridge.services.account.changes import MfaStillRequiredError
from bridge.services.orgs.errors import InvalidInput, NotAnAdmin, NotFound, SsoEnabled
from bridge.services.reset_requests import ResetRequestError, UnknownResetRequestError
from bridge.services.users import UserExists
from bridge.web.errors import error_page_response, problem_response, status_of


@pytest.fixture
def web() -> Flask:
    """A bare app over the bridge's templates (the error page extends its base page)."""
    return Flask("bridge")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRequest("expired"), 400),
        (NotAnAdmin("You are not an admin of 'acme'."), 403),
        (AccountLocked(), 403),
        (NotFound("There is no organisation 'x'."), 404),
        (UnknownResetRequestError("No such reset request."), 404),
        (ResetRequestError("The request was already decided."), 409),
        (SsoEnabled("Turn single sign-on off first."), 409),
        (MfaStillRequiredError("You cannot turn it off."), 409),
        (InvalidInput("'limit' must be a whole number.", field="limit"), 422),
        (BadSignature("the signature does not verify"), 400),
        (ProviderTimeout("no answer in 5 s"), 502),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BridgeError) else str(value),
)
def test_each_refusal_has_one_http_status(error: BridgeError, status: int) -> None:
    assert status_of(error) == status


def test_a_refusal_is_an_rfc_9457_problem_in_the_admin_api(web: Flask) -> None:
    error = InvalidInput("'role' must be 'member' or 'admin'.", field="role")
    with web.test_request_context("/admin/api/v1/orgs/acme/members"):
        response = problem_response(error)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.get_data()) == {
        "type": "urn:bridge:problem:invalid-input",
        "title": "The request is not valid",
        "status": 422,
        "detail": "'role' must be 'member' or 'admin'.",
        "field": "role",
    }


def test_a_reset_request_refusal_keeps_its_problem_type() -> None:
    web = Flask("bridge")
    with web.test_request_context("/"):
        body = json.loads(problem_response(UnknownResetRequestError("No such reset request.")).data)
    assert body["type"] == "urn:bridge:problem:reset-request"
    assert (body["status"], body["title"]) == (404, "Reset request refused")


def test_a_refusal_is_an_error_page_in_the_browser(web: Flask) -> None:
    with web.test_request_context("/account/disable", method="POST"):
        response = error_page_response(MfaStillRequiredError("You cannot turn it off: x."))
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Two-factor authentication stays on</h1>" in page
    assert "You cannot turn it off: x." in page


def test_an_upstream_failure_page_shows_the_message_not_the_audit_detail(web: Flask) -> None:
    with web.test_request_context("/federation/acme/callback"):
        response = error_page_response(ProviderTimeout("connect to 10.0.0.7 timed out"))
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "not answering right now" in page
    assert "10.0.0.7" not in page


@click.group(cls=BridgeGroup)
def refusing() -> None:
    """A root group like ``bridge``'s, with commands that refuse."""


@refusing.command("admin")
def refused_admin() -> None:
    raise NotAnAdmin("You are not an admin of 'acme'.")


@refusing.command("user")
def refused_user() -> None:
    raise UserExists("a user named 'alice' exists")


@refusing.command("config")
def refused_config() -> None:
    raise SettingsError("bridge.yaml:3: totp.digits: must be 6 or 8")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "admin",
            "Error: Only an admin of this organisation (or of its partner) may do this: "
            "You are not an admin of 'acme'.\n",
        ),
        ("user", "Error: a user named 'alice' exists\n"),
        ("config", "Error: configuration error:\nbridge.yaml:3: totp.digits: must be 6 or 8\n"),
    ],
)
def test_a_refusal_is_one_message_and_exit_status_1_on_the_command_line(
    command: str, message: str
) -> None:
    result = CliRunner().invoke(refusing, [command])
    assert result.exit_code == 1
    assert result.output == message
