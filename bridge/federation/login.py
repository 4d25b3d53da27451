"""What an upstream identity does to a pending login (the glue between federation and flows).

After ``finish`` and ``resolve``, the pending login (the one the browser started at
``/authorize``, the account page or the console) goes on with the ``federated`` flow bound for
its client and organisation (``flows.federated`` in the settings), started with the user
identified, ``amr = federated_amr(...)`` and the upstream's ``auth_time`` (when the user
really authenticated there, not when the bridge heard of it): no TOTP is asked (R7). A
``NeedsLocalProof`` first runs the bound browser flow for that local account (its password,
and its second factor when it has one); only when that login ends as the same user is the
identity linked, and then the federated flow runs. The upstream ID token rides with the login
into the bridge session, for the logout at the provider.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import redirect, request, url_for

import flows
from bridge.browser import browser_id
from bridge.domain.events import AuditEventName
from bridge.federation.accounts import NeedsLocalProof, Refused, federated_amr
from bridge.federation.client import UpstreamIdentity
from bridge.federation.events import FACTOR_TYPE
from bridge.federation.providers import IdentityProvider
from bridge.login.pending import PendingLogin, PendingLoginError
from bridge.pages import error_page
from bridge.services import Services

DISABLED = "This account is disabled. Contact an administrator of your organisation."
NOT_THE_ACCOUNT = (
    "You signed in to a different account than the one with your e-mail address, so nothing "
    "was linked. Please start again."
)


def load_pending(s: Services, flow_id: str) -> PendingLogin | tuple[str, int]:
    try:
        return s.pending.load(flow_id, browser_id())
    except PendingLoginError as problem:
        return error_page("Please sign in again", str(problem))
    except flows.FlowStateError:
        return error_page(
            "Please sign in again", "This login was started by an older version of the bridge."
        )


def identity_to_json(identity: UpstreamIdentity) -> dict[str, Any]:
    data = dataclasses.asdict(identity)
    data["raw_claims"] = dict(identity.raw_claims)
    data["amr"] = list(identity.amr)
    return data


def identity_from_json(data: dict[str, Any]) -> UpstreamIdentity:
    return UpstreamIdentity(**{**data, "amr": tuple(data["amr"])})


def continue_with_identity(
    s: Services,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
) -> Any:
    """The pending login goes on as the user the identity belongs to (or proves it first)."""
    decision = s.federated_accounts.resolve(identity)
    if isinstance(decision, Refused):
        s.pending.finish(flow_id)
        s.audit.record(
            AuditEventName.SIGN_IN_FAILED,
            user_id=decision.user_id,
            client_id=pending.flow.request.client_id,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
            mfa_factor_type=FACTOR_TYPE,
            reason=decision.reason,
            details={"provider": provider.alias},
        )
        return error_page("Sign-in stopped", DISABLED, 403)
    if isinstance(decision, NeedsLocalProof):
        return _prove_local_account(s, flow_id, pending, provider, identity, decision.user_id)
    return start_federated_flow(s, flow_id, pending, provider, identity, decision.user_id)


def start_federated_flow(
    s: Services,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
    user_id: str,
) -> Any:
    login = dataclasses.replace(
        pending.flow.request, idp=provider.alias, idp_hint=None, login_hint=None
    )
    flow = s.flows.get(s.settings.flows.flow_for("federated", login.client_id, login.org_id))
    now = int(s.clock())
    state = flows.start(
        flow,
        login,
        now,
        federated_user=user_id,
        federated_auth_time=upstream_auth_time(identity, now),
    )
    state.amr = federated_amr(provider, identity)
    pending.flow = state
    pending.errors = {}
    pending.continuation.pop("link", None)
    pending.continuation["upstream"] = {"provider": provider.alias, "id_token": identity.id_token}
    s.pending.save(flow_id, pending)
    return redirect(url_for("login.step", flow_id=flow_id), code=303)


def upstream_auth_time(identity: UpstreamIdentity, now: int) -> int:
    """When the user authenticated, for the downstream login: the upstream's ``auth_time``
    (never later than now), else now: the callback, or the end of the local proof that links."""
    if identity.auth_time is None:
        return now
    return min(identity.auth_time, now)


def _prove_local_account(
    s: Services,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
    user_id: str,
) -> Any:
    user = s.users.get(user_id)
    if user is None:  # deleted in between
        s.pending.finish(flow_id)
        return error_page("Please sign in again", NOT_THE_ACCOUNT)
    login = dataclasses.replace(
        pending.flow.request, force_login=True, login_hint=user.username, idp=None, idp_hint=None
    )
    flow = s.flows.get(s.settings.flows.flow_for("browser", login.client_id, login.org_id))
    pending.flow = flows.start(flow, login, int(s.clock()))
    pending.errors = {}
    pending.continuation["link"] = {
        "provider": provider.alias,
        "user_id": user_id,
        "identity": identity_to_json(identity),
    }
    s.pending.save(flow_id, pending)
    return redirect(url_for("login.step", flow_id=flow_id), code=303)


def finish_local_proof(s: Services, flow_id: str, pending: PendingLogin, user_id: str) -> Any:
    """The local account's login ended: link when it was the account the e-mail named."""
    link = pending.continuation["link"]
    provider = s.identity_providers.get(str(link["provider"]))
    if provider is None or user_id != link["user_id"]:
        s.pending.finish(flow_id)
        return error_page("Nothing was linked", NOT_THE_ACCOUNT, 403)
    identity = identity_from_json(link["identity"])
    s.federated_accounts.link(identity, user_id)
    return start_federated_flow(s, flow_id, pending, provider, identity, user_id)


def upstream_logout_target(
    s: Services, provider: IdentityProvider, id_token: str, back: str, state: str
) -> str | None:
    """The provider's logout URL for the session that this ID token started, or None."""
    identity = UpstreamIdentity(
        provider=provider.alias,
        subject="",
        email=None,
        email_verified=False,
        name=None,
        amr=(),
        acr=None,
        auth_time=None,
        raw_claims={},
        id_token=id_token,
    )
    return s.federation.logout_url(provider, identity, post_logout_redirect_uri=back, state=state)
