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
from typing import TYPE_CHECKING

from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.federation.accounts import NeedsLocalProof, Refused, federated_amr
from bridge.federation.client import UpstreamIdentity
from bridge.federation.events import FACTOR_TYPE
from bridge.federation.providers import IdentityProvider
from bridge.login.continuation import PendingLink
from bridge.login.errors import LoginFinished, LoginStopped
from bridge.login.pending import PendingLogin
from bridge.login.sessions import UpstreamSession

if TYPE_CHECKING:
    from bridge.login.screens import GoTo, Visit
    from bridge.login.service import LoginService
    from bridge.services.container import Services

DISABLED = N_("This account is disabled. Contact an administrator of your organisation.")
NOT_THE_ACCOUNT = N_(
    "You signed in to a different account than the one with your e-mail address, so nothing "
    "was linked. Please start again."
)


def continue_with_identity(
    logins: LoginService,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
    visit: Visit,
) -> GoTo:
    """The pending login goes on as the user the identity belongs to (or proves it first)."""
    s = logins.services
    decision = s.federated_accounts.resolve(identity)
    if isinstance(decision, Refused):
        s.pending.finish(flow_id)
        s.audit.record(
            AuditEventName.SIGN_IN_FAILED,
            user_id=decision.user_id,
            client_id=pending.flow.request.client_id,
            ip=visit.ip,
            user_agent=visit.user_agent,
            mfa_factor_type=FACTOR_TYPE,
            reason=decision.reason,
            details={"provider": provider.alias},
        )
        raise LoginStopped(DISABLED)
    if isinstance(decision, NeedsLocalProof):
        return _prove_local_account(logins, flow_id, pending, provider, identity, decision.user_id)
    return start_federated_flow(logins, flow_id, pending, provider, identity, decision.user_id)


def start_federated_flow(
    logins: LoginService,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
    user_id: str,
) -> GoTo:
    login = dataclasses.replace(
        pending.flow.request, idp=provider.alias, idp_hint=None, login_hint=None
    )
    now = int(logins.services.clock())
    continuation = pending.continuation.with_(
        link=None,
        upstream=UpstreamSession(provider_alias=provider.alias, id_token=identity.id_token),
    )
    return logins.restart_as(
        flow_id,
        pending,
        login,
        continuation,
        federated_user=user_id,
        federated_auth_time=upstream_auth_time(identity, now),
        amr=tuple(federated_amr(provider, identity)),
    )


def upstream_auth_time(identity: UpstreamIdentity, now: int) -> int:
    """When the user authenticated, for the downstream login: the upstream's ``auth_time``
    (never later than now), else now: the callback, or the end of the local proof that links."""
    if identity.auth_time is None:
        return now
    return min(identity.auth_time, now)


def _prove_local_account(
    logins: LoginService,
    flow_id: str,
    pending: PendingLogin,
    provider: IdentityProvider,
    identity: UpstreamIdentity,
    user_id: str,
) -> GoTo:
    s = logins.services
    user = s.users.get(user_id)
    if user is None:  # deleted in between
        s.pending.finish(flow_id)
        raise LoginFinished(NOT_THE_ACCOUNT, title="Please sign in again")
    login = dataclasses.replace(
        pending.flow.request, force_login=True, login_hint=user.username, idp=None, idp_hint=None
    )
    link = PendingLink(provider=provider.alias, user_id=user_id, identity=identity)
    return logins.restart_as(flow_id, pending, login, pending.continuation.with_(link=link))


def finish_local_proof(
    logins: LoginService, flow_id: str, pending: PendingLogin, user_id: str
) -> GoTo:
    """The local account's login ended: link when it was the account the e-mail named."""
    s = logins.services
    link = pending.continuation.link
    assert link is not None  # the login service calls this only for a login that links
    provider = s.identity_providers.get(link.provider)
    if provider is None or user_id != link.user_id:
        s.pending.finish(flow_id)
        raise LoginStopped(NOT_THE_ACCOUNT, title="Nothing was linked")
    s.federated_accounts.link(link.identity, user_id)
    return start_federated_flow(logins, flow_id, pending, provider, link.identity, user_id)


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
