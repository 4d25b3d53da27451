"""A person imported from Keycloak signs in to an app in a real Chromium with the password they
had there and the code their authenticator app shows (computed by oathtool)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bridge.services.imports.keycloak import read_keycloak
from tests.e2e.harness import LiveBridge, RelyingParty, callback_params
from tests.imports.codes import oathtool_code
from tests.imports.sources import (
    PASSWORDS,
    SECRETS,
    TOTP_SETTINGS,
    write_keycloak_export,
    write_mapping,
)

pytestmark = pytest.mark.browser


def test_an_imported_user_signs_in_with_the_old_password_and_app(
    live: LiveBridge, rp: RelyingParty, page: Page, tmp_path: Path
) -> None:
    realm = write_keycloak_export(tmp_path / "export")
    live.services.importer.run(read_keycloak(realm, write_mapping(tmp_path / "mapping.yaml")))
    request = rp.authorization_request()
    landed: list[str] = []
    page.route(
        re.compile(r"^http://127\.0\.0\.1:9/.*"),
        lambda route: (landed.append(route.request.url), route.fulfill(body="signed in"))[1],
    )

    page.goto(request.url)
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORDS["bob"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Two-factor authentication").wait_for()
    algorithm, digits, period = TOTP_SETTINGS["bob"]  # SHA256, 8 digits
    code = oathtool_code(
        SECRETS["bob"], live.clock(), algorithm=algorithm, digits=digits, period=period
    )
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("signed in").wait_for()

    tokens = rp.exchange(callback_params(landed[-1])["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["preferred_username"] == "bob"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    bob = live.services.users.find("bob")
    assert bob is not None and bob.password_hash is not None
    assert bob.password_hash.startswith("$argon2id$")
    assert bob.password_imported_at is None
