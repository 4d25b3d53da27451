"""A single-page application on another origin signs a user in with the code flow and PKCE,
calling discovery, the token endpoint, userinfo and the JWKS with ``fetch`` (real CORS in
Chromium, preflight included)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.e2e.harness import PASSWORD, LiveBridge
from tests.world import World

pytestmark = pytest.mark.browser

SPA_ORIGIN = "http://127.0.0.1:9"  # the origin of the harness's registered redirect URI

SPA = """<!doctype html><meta charset="utf-8"><title>SPA</title><pre id="out"></pre>
<script>
const ISSUER = %(issuer)s, CLIENT = %(client)s, REDIRECT = %(origin)s + "/callback";
const out = (value) => { document.getElementById("out").textContent = JSON.stringify(value); };
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const metadata = async () =>
  (await fetch(ISSUER + "/.well-known/openid-configuration")).json();

async function start() {
  const meta = await metadata();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(48)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem("verifier", verifier);
  const query = new URLSearchParams({
    response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: "openid profile",
    state: "st", nonce: "n1", code_challenge: b64url(digest), code_challenge_method: "S256",
  });
  location.assign(meta.authorization_endpoint + "?" + query);
}

async function finish() {
  const params = new URLSearchParams(location.search);
  const meta = await metadata();
  const token = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: new URLSearchParams({
      grant_type: "authorization_code", code: params.get("code"), redirect_uri: REDIRECT,
      client_id: CLIENT, code_verifier: sessionStorage.getItem("verifier"),
    }),
  });
  const tokens = await token.json();
  // An Authorization header makes this a preflighted request.
  const info = await fetch(meta.userinfo_endpoint, {
    headers: {Authorization: "Bearer " + tokens.access_token},
  });
  const jwks = await (await fetch(meta.jwks_uri)).json();
  out({status: token.status, state: params.get("state"), id_token: tokens.id_token,
       userinfo: await info.json(), keys: jwks.keys.length});
}

(location.pathname === "/callback" ? finish() : start()).catch((e) => out({error: String(e)}));
</script>"""

PROBE = """async ([url, init]) => {
  try { const r = await fetch(url, init); return "read " + r.status; }
  catch (e) { return "blocked"; }
}"""


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A page in a fresh context that may reach the loopback bridge from the application's
    origin: Playwright answers for that origin, so Chromium takes its pages for public ones, and
    Local Network Access asks the user before a public page may call a loopback address (a
    permission a real user grants; CORS is checked all the same)."""
    context = chromium.new_context(permissions=["local-network-access"])
    yield context.new_page()
    context.close()


def serve_spa(page: Page, origin: str, html: str) -> None:
    """Every page of ``origin`` in this browser is the application (Playwright answers)."""

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(re.compile("^" + re.escape(origin) + "/.*"), fulfil)


def spa_html(live: LiveBridge, client_id: str, origin: str) -> str:
    values = {"issuer": live.url, "client": client_id, "origin": origin}
    return SPA % {key: json.dumps(value) for key, value in values.items()}


def test_a_single_page_app_on_another_origin_signs_in_with_pkce(
    live: LiveBridge, page: Page
) -> None:
    client_id, secret = live.add_client(public=True)
    assert secret is None
    world = World(live.services, live.clock)
    world.user("spa")
    totp_secret = world.enrol("spa")
    serve_spa(page, SPA_ORIGIN, spa_html(live, client_id, SPA_ORIGIN))

    page.goto(SPA_ORIGIN + "/")
    page.get_by_label("Username").fill("spa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authentication code").fill(world.code(totp_secret))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(SPA_ORIGIN + "/callback?*")
    page.locator("#out").filter(has_text="{").wait_for()

    result: dict[str, Any] = json.loads(page.locator("#out").inner_text())
    assert "error" not in result, result
    assert result["status"] == 200 and result["state"] == "st"
    # Chromium sends userinfo's request only after its preflight (Authorization) was allowed.
    assert result["userinfo"]["preferred_username"] == "spa"
    assert result["id_token"].count(".") == 2 and result["keys"] >= 1


def test_a_page_on_an_origin_no_client_registered_cannot_read_the_answers(
    live: LiveBridge, page: Page
) -> None:
    live.add_client(public=True)
    stranger = "http://localhost:9"
    serve_spa(page, stranger, "<!doctype html><title>elsewhere</title>")
    page.goto(stranger + "/")
    token = [live.url + "/token", {"method": "POST", "body": "grant_type=x"}]
    userinfo = [live.url + "/userinfo", {"headers": {"Authorization": "Bearer x"}}]
    discovery = [live.url + "/.well-known/openid-configuration", {}]
    assert page.evaluate(PROBE, token) == "blocked"
    assert page.evaluate(PROBE, userinfo) == "blocked"
    assert page.evaluate(PROBE, discovery) == "read 200"
