"""Step-up: a relying party asks for a level of assurance with acr_values or the claims
parameter, and the ID token's acr and amr say what really happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.config.sections import AcrLevel
from bridge.oidc.acr import UnmetAcr, settle
from bridge.oidc.authorize import login_request_from
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    totp_code,
)

LOA1, LOA2 = "urn:bridge:loa:1", "urn:bridge:loa:2"
NO_MFA = {"BRIDGE_MFA__REQUIRED": "false"}
CANNOT_STEP_UP = {
    **NO_MFA,
    "BRIDGE_FLOWS__DIRECTORY": str(Path(__file__).resolve().parent / "step_up_flows"),
}


def claims_of(rp: RelyingParty, landed: str, verifier: str, nonce: str) -> dict[str, object]:
    params = callback_params(landed)
    assert "code" in params, params
    response = rp.exchange(params["code"], verifier)
    assert response.status_code == 200, response.text
    return rp.id_token_claims(response.json()["id_token"], nonce)


def test_discovery_lists_the_configured_levels(rp: RelyingParty) -> None:
    assert rp.metadata["acr_values_supported"] == [LOA1, LOA2]
    assert rp.metadata["claims_parameter_supported"] is True


@pytest.mark.bridge_env(NO_MFA)
def test_a_password_login_is_level_one(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("hana")
    request = rp.authorization_request(acr_values=LOA1)
    browser.open(request.url)
    landed = browser.submit(username="hana", password=PASSWORD)
    assert isinstance(landed, str)
    claims = claims_of(rp, landed, request.verifier, request.nonce)
    assert (claims["acr"], claims["amr"]) == (LOA1, ["pwd"])


@pytest.mark.bridge_env(NO_MFA)
def test_asking_for_level_two_steps_up_an_existing_password_session(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("ivan")
    first = rp.authorization_request()
    browser.open(first.url)
    assert isinstance(browser.submit(username="ivan", password=PASSWORD), str)

    request = rp.authorization_request(acr_values=LOA2)
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in", "a one-factor session is not enough"
    page = browser.submit(username="ivan", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str)
    claims = claims_of(rp, landed, request.verifier, request.nonce)
    assert (claims["acr"], claims["amr"]) == (LOA2, ["pwd", "otp", "mfa"])


@pytest.mark.bridge_env(NO_MFA)
def test_an_essential_acr_claim_asks_for_the_level_like_acr_values(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("jun")
    claims_param = {"id_token": {"acr": {"essential": True, "values": [LOA2]}}}
    request = rp.authorization_request(claims=json.dumps(claims_param))
    browser.open(request.url)
    page = browser.submit(username="jun", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str)
    assert claims_of(rp, landed, request.verifier, request.nonce)["acr"] == LOA2


@pytest.mark.bridge_env(CANNOT_STEP_UP)
def test_a_level_the_flow_cannot_reach_is_an_error_not_a_weaker_token(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("kai")
    request = rp.authorization_request(acr_values=LOA2)
    browser.open(request.url)
    landed = browser.submit(username="kai", password=PASSWORD)
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["error"] == "unmet_authentication_requirements"
    assert params["state"] == request.state
    assert "code" not in params


def test_an_unknown_level_is_refused_before_the_login(rp: RelyingParty, browser: Browser) -> None:
    request = rp.authorization_request(acr_values="urn:elsewhere:gold")
    landed = browser.open(request.url)
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["error"] == "unmet_authentication_requirements"
    assert LOA2 in params["error_description"]


LEVELS = (
    AcrLevel(name=LOA1, factors=1),
    AcrLevel(name=LOA2, factors=2, max_age=600),
)


@pytest.mark.parametrize(
    ("requested", "amr", "age", "expected"),
    [
        ((), ("pwd",), 0, LOA1),
        ((), ("pwd", "otp", "mfa"), 0, LOA2),
        ((), ("pwd", "otp", "mfa"), 601, LOA1),  # too old for level two: only level one
        ((LOA1,), ("pwd", "otp", "mfa"), 0, LOA1),  # the requested level, not a higher one
        ((LOA1, LOA2), ("pwd", "otp", "mfa"), 0, LOA2),
        ((LOA2,), ("pwd",), 0, "unmet"),
        ((LOA2,), ("pwd", "otp"), 601, "unmet"),
        ((LOA2,), ("pwd", "mfa"), 0, "unmet"),  # "mfa" is not a factor of its own
    ],
)
def test_the_acr_is_the_level_the_login_earned(
    requested: tuple[str, ...], amr: tuple[str, ...], age: int, expected: str
) -> None:
    try:
        acr = settle(LEVELS, requested, amr, auth_time=1000, now=1000 + age)
    except UnmetAcr:
        acr = "unmet"
    assert acr == expected


def test_a_level_max_age_tightens_the_request_max_age() -> None:
    request = login_request_from({"acr_values": LOA2, "max_age": "3600"}, "crm", LEVELS)
    assert (request.required_factors, request.max_age) == (2, 600)
