"""What the console's audit page calls an event's factor and reason: plain words for the admin
reading it, while the stored value (``totp``, ``invalid_code``) stays what the API, the export
and the logs say. Every value the code records has a label (a test reads the code for them);
one it does not know (a newer bridge's, or a free text such as a mail server's answer) is shown
as it is."""

from __future__ import annotations

from bridge.domain.wording import N_

#: ``mfa_factor_type``: how a sign-in proved who it was, or which factor failed.
FACTOR_LABELS: dict[str, str] = {
    "password": N_("Password"),
    "totp": N_("Authenticator app"),
    "recovery_code": N_("Recovery code"),
    "trusted_device": N_("Trusted browser"),
    "federated": N_("Single sign-on"),
    "app_password": N_("App password"),
    "none": N_("No second factor"),
}

#: ``reason``: why something was refused, or who or what caused it.
REASON_LABELS: dict[str, str] = {
    # a password refused (sign-in, forward auth, a reset link)
    "unknown_user": N_("Unknown username"),
    "wrong_password": N_("Wrong password"),
    "invalid_credentials": N_("Wrong username or password"),
    "no_password": N_("The account has no password"),
    "no_email": N_("The account has no e-mail address"),
    "disabled": N_("Account disabled"),
    "account_disabled": N_("Account disabled"),
    "account_unusable": N_("The account cannot be used"),
    "service_account": N_("A service account cannot sign in"),
    "locked": N_("Account locked"),
    "too_many_attempts": N_("Too many attempts"),
    "throttled": N_("Too many requests"),
    "password_must_change": N_("The temporary password must be changed first"),
    "organisation_policy": N_("The organisation does not allow it"),
    # a code refused
    "invalid_code": N_("Wrong code"),
    "invalid_recovery_code": N_("Wrong recovery code"),
    "restart": N_("Sign-in started again after wrong codes"),
    "denied": N_("Refused by the sign-in rules"),
    # forward auth
    "invalid_token": N_("Invalid access token"),
    "malformed_credentials": N_("Malformed credentials"),
    "app_passwords_forbidden": N_("App passwords are not allowed"),
    # a lock
    "passwords": N_("Too many wrong passwords"),
    "codes": N_("Too many wrong codes"),
    "lock_expired": N_("The lock ran out"),
    # who did it
    "admin": N_("By an admin of the organisation"),
    "operator": N_("By the operator"),
    "self_service": N_("By the user"),
    "device_deactivated": N_("The user deactivated the authenticator"),
    "reset_request": N_("Reset request approved"),
    "everywhere": N_("Signed out everywhere"),
    # why app passwords were revoked
    "revoked": N_("Revoked"),
    "revoked_by_user": N_("Revoked by the user"),
    "password_reset": N_("Password reset"),
    "temporary_password": N_("Temporary password set by an admin"),
    "password_set_by_admin": N_("Password set by an admin"),
    "user_disabled": N_("Account disabled"),
    "user_deleted": N_("Account deleted"),
    "mfa_reset_by_admin": N_("2FA reset by an admin"),
    "mfa_reset_self_service": N_("2FA reset by the user"),
    "mfa_reset_device_deactivated": N_("2FA reset: the user deactivated the authenticator"),
    # an imported user
    "create": N_("Created"),
    "update": N_("Updated"),
    # a sign-in through an identity provider
    "upstream_error": N_("The identity provider failed"),
    "provider_unavailable": N_("The identity provider could not be reached"),
    "provider_timeout": N_("The identity provider did not answer in time"),
    "provider_misconfigured": N_("The identity provider is set up wrongly"),
    "upstream_refused": N_("The identity provider refused the sign-in"),
    "invalid_state": N_("The answer belongs to no sign-in in progress"),
    "issuer_mismatch": N_("The answer came from another issuer"),
    "token_exchange_failed": N_("The code could not be exchanged for tokens"),
    "stale_authentication": N_("The sign-in at the identity provider is too old"),
    "invalid_id_token": N_("Invalid ID token"),
    "bad_signature": N_("The ID token's signature is invalid"),
    "disallowed_alg": N_("The ID token is signed with an algorithm not allowed"),
    "unknown_kid": N_("The ID token is signed with an unknown key"),
    "wrong_issuer": N_("The ID token is from another issuer"),
    "wrong_audience": N_("The ID token is for another application"),
    "token_expired": N_("The ID token has expired"),
    "bad_iat": N_("The ID token's issue time is invalid"),
    "bad_auth_time": N_("The ID token's sign-in time is invalid"),
    "replayed_nonce": N_("The ID token was used before"),
    "missing_claim": N_("The ID token lacks a required claim"),
}


def factor_label(value: str) -> str:
    """The label of a stored factor (English; the page translates it), else the value."""
    return FACTOR_LABELS.get(value, value)


def reason_label(value: str) -> str:
    """The label of a stored reason (English; the page translates it), else the value."""
    return REASON_LABELS.get(value, value)
