"""The names of audit events (R17), exactly as they are stored and shown by the API and console.

Every ``AuditLog.record`` names its event with a member of ``AuditEventName``: a new event is
added here, with the label the console shows for it in ``bridge/web/admin/event_labels.py``, and
a stored name never changes (old rows keep it, API clients filter on it).
"""

from __future__ import annotations

from enum import StrEnum


class AuditEventName(StrEnum):
    # Sign-in and sign-out
    SIGN_IN_SUCCEEDED = "sign_in_succeeded"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    # The second factor's life
    MFA_SETUP_SUCCEEDED = "mfa_setup_succeeded"
    MFA_DISABLED = "mfa_disabled"
    MFA_RESET = "mfa_reset"
    MFA_RESET_REQUESTED = "mfa_reset_requested"
    MFA_RESET_APPROVED = "mfa_reset_approved"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    DEVICE_TRUSTED = "device_trusted"
    DEVICE_REVOKED = "device_revoked"
    MAIL_FAILED = "mail_failed"
    # The password's life (issue 14)
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    # An admin or the operator: a temporary password (changed at the next sign-in), a link
    PASSWORD_SET_BY_ADMIN = "password_set_by_admin"
    PASSWORD_RESET_LINK_SENT_BY_ADMIN = "password_reset_link_sent_by_admin"
    # App passwords (issue 12); ``app_password_used`` at most once a minute per password
    APP_PASSWORD_CREATED = "app_password_created"
    APP_PASSWORD_USED = "app_password_used"
    APP_PASSWORD_REVOKED = "app_password_revoked"
    # API clients (issue 12): an admin's changes, and each access token issued to one
    API_CLIENT_CREATED = "api_client_created"
    API_CLIENT_SECRET_ROTATED = "api_client_secret_rotated"
    API_CLIENT_REMOVED = "api_client_removed"
    API_CLIENT_TOKEN_ISSUED = "api_client_token_issued"
    # Organisations and their members
    ORG_CREATED = "org_created"
    ORG_MODE_CHANGED = "org_mode_changed"
    ORG_DOMAIN_VERIFIED = "org_domain_verified"
    ORG_CLIENT_ASSIGNED = "org_client_assigned"
    ORG_POLICY_CHANGED = "org_policy_changed"
    ORG_MFA_ENFORCED = "org_mfa_enforced"
    ORG_MFA_DISABLED = "org_mfa_disabled"
    CLIENT_ADMIN_SCOPE_ALLOWED = "client_admin_scope_allowed"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    USER_UNLOCKED = "user_unlocked"
    MFA_RESET_BY_ADMIN = "mfa_reset_by_admin"
    MFA_REQUIRED_BY_ADMIN = "mfa_required_by_admin"
    CONVERTED_TO_SERVICE_ACCOUNT = "converted_to_service_account"
    CONVERTED_FROM_SERVICE_ACCOUNT = "converted_from_service_account"
    # Federation
    FEDERATED_USER_CREATED = "federated_user_created"
    FEDERATED_IDENTITY_LINKED = "federated_identity_linked"
    IDENTITY_PROVIDER_ADDED = "identity_provider_added"
    IDENTITY_PROVIDER_CHANGED = "identity_provider_changed"
    IDENTITY_PROVIDER_REMOVED = "identity_provider_removed"
    # Moving in and out (issue 17): one event per import run, one per user it changed
    USERS_IMPORTED = "users_imported"
    USER_IMPORTED = "user_imported"
    DATA_EXPORTED = "data_exported"
    # The account's life from the command line (issue 14)
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_RENAMED = "user_renamed"
    USER_EMAIL_CHANGED = "user_email_changed"
    # GDPR: what the bridge holds about a person was exported (Art. 15), or erased (Art. 17)
    USER_DATA_EXPORTED = "user_data_exported"
    USER_DELETED = "user_deleted"
    # A relying party's life from the command line (issue 14)
    CLIENT_CREATED = "client_created"
    CLIENT_DISABLED = "client_disabled"
    CLIENT_ENABLED = "client_enabled"
    CLIENT_DELETED = "client_deleted"
    CLIENT_REDIRECT_URIS_CHANGED = "client_redirect_uris_changed"
    CLIENT_POST_LOGOUT_REDIRECT_URIS_CHANGED = "client_post_logout_redirect_uris_changed"
    CLIENT_SECRET_ROTATED = "client_secret_rotated"


#: Sign-ins and sign-outs: the organisation of the client they went through sees them; through a
#: client of no organisation (or the account pages), every organisation of the user.
SIGN_IN_EVENTS = frozenset(
    {
        AuditEventName.SIGN_IN_SUCCEEDED,
        AuditEventName.SIGN_IN_FAILED,
        AuditEventName.SIGNED_OUT,
    }
)

#: Events about the user's account and second factor (lockout, unlock, factor changes, reset
#: requests): every organisation of the user sees them, since one account serves them all (R14).
USER_ACCOUNT_EVENTS = frozenset(
    {
        AuditEventName.ACCOUNT_LOCKED,
        AuditEventName.ACCOUNT_UNLOCKED,
        AuditEventName.MFA_SETUP_SUCCEEDED,
        AuditEventName.MFA_DISABLED,
        AuditEventName.MFA_RESET,
        AuditEventName.MFA_RESET_REQUESTED,
        AuditEventName.MFA_RESET_APPROVED,
        AuditEventName.MFA_RESET_BY_ADMIN,
        AuditEventName.RECOVERY_CODE_USED,
        AuditEventName.RECOVERY_CODES_REGENERATED,
        AuditEventName.DEVICE_TRUSTED,
        AuditEventName.DEVICE_REVOKED,
        AuditEventName.PASSWORD_RESET_REQUESTED,
        AuditEventName.PASSWORD_RESET,
        AuditEventName.PASSWORD_CHANGED,
        AuditEventName.PASSWORD_SET_BY_ADMIN,
        AuditEventName.PASSWORD_RESET_LINK_SENT_BY_ADMIN,
        AuditEventName.USER_DISABLED,
        AuditEventName.USER_ENABLED,
        AuditEventName.USER_RENAMED,
        AuditEventName.USER_EMAIL_CHANGED,
        AuditEventName.USER_DATA_EXPORTED,
        AuditEventName.USER_DELETED,
    }
)

#: Events about what an API client did itself (issue 12): the organisation that owns the client
#: sees them.
API_CLIENT_EVENTS = frozenset({AuditEventName.API_CLIENT_TOKEN_ISSUED})
