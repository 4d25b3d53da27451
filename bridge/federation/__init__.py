"""Federation (issue 6): logins through upstream OpenID Connect providers.

``providers`` holds the configured providers and their lookups, ``client`` the upstream login
(authorization URL, callback, ID token verification), ``accounts`` the links from an upstream
subject to a local user. The login views that use them are wired separately (docs/federation.md).
"""

from bridge.federation.accounts import (
    FederatedAccounts,
    LinkDecision,
    Linked,
    NeedsLocalProof,
    Refused,
    federated_amr,
)
from bridge.federation.client import FederationClient, UpstreamIdentity, UpstreamTransaction
from bridge.federation.errors import UpstreamError
from bridge.federation.events import record_upstream_failure
from bridge.federation.home_realm import HomeRealm
from bridge.federation.providers import IdentityProvider, IdentityProviders, callback_path

__all__ = [
    "FederatedAccounts",
    "FederationClient",
    "HomeRealm",
    "IdentityProvider",
    "IdentityProviders",
    "LinkDecision",
    "Linked",
    "NeedsLocalProof",
    "Refused",
    "UpstreamError",
    "UpstreamIdentity",
    "UpstreamTransaction",
    "callback_path",
    "federated_amr",
    "record_upstream_failure",
]
