"""The organisation of a login is its client's: flows bound to an organisation (by slug) run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.sections import FlowBindings
from bridge.services.orgs import Actor
from tests.e2e.harness import Browser, LiveBridge, Page, RelyingParty, callback_params

OPERATOR = Actor.operator()
FLOWS = {"BRIDGE_FLOWS__DIRECTORY": str(Path(__file__).resolve().parent / "org_flows")}


def bind(live: LiveBridge, slug: str, flow_id: str) -> None:
    settings = live.services.settings
    bindings = FlowBindings.model_validate({"organisations": {slug: {"browser": flow_id}}})
    flows = settings.flows.model_copy(update={"bindings": bindings})
    live.services.settings = settings.model_copy(update={"flows": flows})


@pytest.mark.bridge_env(FLOWS)
def test_a_client_of_an_organisation_runs_the_flow_bound_to_it(
    live: LiveBridge, rp: RelyingParty
) -> None:
    live.services.orgs.create(OPERATOR, "acme", "Acme")
    live.services.orgs.assign_client(OPERATOR, "acme", rp.client_id)
    bind(live, "acme", "closed")
    landed = Browser().open(rp.authorization_request().url)
    assert isinstance(landed, str)
    assert callback_params(landed)["error"] == "access_denied"


@pytest.mark.bridge_env(FLOWS)
def test_a_client_of_no_organisation_runs_the_global_flow(
    live: LiveBridge, rp: RelyingParty
) -> None:
    live.services.orgs.create(OPERATOR, "acme", "Acme")
    bind(live, "acme", "closed")
    page = Browser().open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.title == "Sign in"
