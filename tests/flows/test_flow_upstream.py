"""The shipped browser flow sends the browser upstream when the request points to a provider:
an explicit hint (``kc_idp_hint`` / ``idp_hint``) or a ``login_hint`` whose domain signs in
at one; otherwise the user signs in here. Never for ``prompt=none``, never for a login that
came back from a provider."""

from __future__ import annotations

import json

from flows import (
    Completed,
    Denied,
    Flow,
    FlowState,
    LoginRequest,
    NeedsInput,
    RedirectTo,
    load_flow_text,
)
from flows.conditions import ConditionContext, IdpIs, LoginIsFederated, Names
from flows.steps import NoConfig
from tests.flows.flowkit import NOW, FakeDirectory, Login

ACME_SSO = "https://bridge.example/federation/acme/start?flow=f1"
GOOGLE = "https://bridge.example/federation/google/start?flow=f1"


def with_providers(directory: FakeDirectory) -> FakeDirectory:
    directory.providers.update({"acme": ACME_SSO, "google": GOOGLE})
    directory.domains["acme.example"] = ACME_SSO
    return directory


def test_a_login_hint_of_an_sso_domain_goes_upstream_before_any_page(
    browser: Flow, directory: FakeDirectory
) -> None:
    login = Login(browser, with_providers(directory), LoginRequest(login_hint="jane@acme.example"))
    outcome = login.advance()
    assert isinstance(outcome, RedirectTo) and outcome.url == ACME_SSO


def test_an_idp_hint_goes_to_the_provider_it_names(browser: Flow, directory: FakeDirectory) -> None:
    login = Login(browser, with_providers(directory), LoginRequest(idp_hint="google"))
    outcome = login.advance()
    assert isinstance(outcome, RedirectTo) and outcome.url == GOOGLE


def test_an_idp_hint_wins_over_the_domain_of_the_login_hint(
    browser: Flow, directory: FakeDirectory
) -> None:
    request = LoginRequest(idp_hint="google", login_hint="jane@acme.example")
    outcome = Login(browser, with_providers(directory), request).advance()
    assert isinstance(outcome, RedirectTo) and outcome.url == GOOGLE


def test_an_unknown_idp_hint_is_ignored(browser: Flow, directory: FakeDirectory) -> None:
    alone = Login(browser, with_providers(directory), LoginRequest(idp_hint="nobody")).advance()
    assert isinstance(alone, NeedsInput) and alone.challenge.step == "password"
    assert alone.challenge.alternatives == ()
    request = LoginRequest(idp_hint="nobody", login_hint="jane@acme.example")
    with_hint = Login(browser, directory, request).advance()
    assert isinstance(with_hint, RedirectTo) and with_hint.url == ACME_SSO


def test_without_a_hint_the_user_signs_in_here(browser: Flow, directory: FakeDirectory) -> None:
    request = LoginRequest(login_hint="alice@example.com")
    outcome = Login(browser, with_providers(directory), request).advance()
    assert isinstance(outcome, NeedsInput) and outcome.challenge.step == "password"
    assert outcome.challenge.data == {"username": "alice@example.com"}


def test_a_provider_named_in_the_flow_wins_over_the_request_hint(
    directory: FakeDirectory,
) -> None:
    flow = load_flow_text(
        "id: t\nsteps:\n"
        "  - {requirement: alternative, type: idp_redirect, config: {provider: acme}}\n"
        "  - {requirement: alternative, type: password}\n"
    )
    outcome = Login(flow, with_providers(directory), LoginRequest(idp_hint="google")).advance()
    assert isinstance(outcome, RedirectTo) and outcome.url == ACME_SSO


def test_prompt_none_never_leaves_for_a_provider(browser: Flow, directory: FakeDirectory) -> None:
    request = LoginRequest(interactive=False, login_hint="jane@acme.example")
    outcome = Login(browser, with_providers(directory), request).advance()
    assert isinstance(outcome, Denied) and outcome.reason == "login_required"


def test_a_login_back_from_a_provider_is_never_sent_upstream_again(
    directory: FakeDirectory,
) -> None:
    flow = load_flow_text(
        "id: t\nkind: federated\nsteps:\n"
        "  - {requirement: alternative, type: idp_redirect}\n"
        "  - {requirement: alternative, type: allow}\n"
    )
    request = LoginRequest(idp="acme", login_hint="jane@acme.example", idp_hint="acme")
    login = Login(flow, with_providers(directory), request, federated_user="u-alice")
    outcome = login.advance()
    assert isinstance(outcome, Completed) and outcome.result.amr == ("fed",)


def test_a_hint_is_not_a_federated_login(directory: FakeDirectory) -> None:
    ctx = ConditionContext("0", directory, LoginRequest(idp_hint="google"), "u-alice", NOW)
    assert LoginIsFederated(NoConfig()).holds(ctx) is False
    assert IdpIs(Names(any_of=("google",))).holds(ctx) is False


def test_the_hint_survives_the_flow_state(browser: Flow, directory: FakeDirectory) -> None:
    login = Login(browser, directory, LoginRequest(idp_hint="google"))
    login.advance()
    state = FlowState.from_json(json.loads(login.state_json))
    assert state.request.idp_hint == "google" and state.request.idp is None
