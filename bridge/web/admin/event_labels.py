"""What the console's audit page calls each audit event: a label in plain words for the admin
reading it, while the stored name (``sign_in_failed``) stays what the API, the export and the
filter send. Every event of ``AuditEventName`` has one (a test checks it)."""

from __future__ import annotations

from bridge.domain.events import AuditEventName as Event
from bridge.domain.wording import N_

EVENT_LABELS: dict[Event, str] = {
    Event.SIGN_IN_SUCCEEDED: N_("Sign-in succeeded"),
    Event.SIGN_IN_FAILED: N_("Sign-in failed"),
    Event.SIGNED_OUT: N_("Signed out"),
    Event.ACCOUNT_LOCKED: N_("Account locked"),
    Event.ACCOUNT_UNLOCKED: N_("Account unlocked"),
    Event.MFA_SETUP_SUCCEEDED: N_("2FA set up"),
    Event.MFA_DISABLED: N_("2FA turned off"),
    Event.MFA_RESET: N_("2FA reset by the user"),
    Event.MFA_RESET_REQUESTED: N_("2FA reset requested"),
    Event.MFA_RESET_APPROVED: N_("2FA reset request approved"),
    Event.RECOVERY_CODE_USED: N_("Recovery code used"),
    Event.RECOVERY_CODES_REGENERATED: N_("New recovery codes created"),
    Event.DEVICE_TRUSTED: N_("Browser trusted"),
    Event.DEVICE_REVOKED: N_("Trusted browser removed"),
    Event.MAIL_FAILED: N_("E-mail not delivered"),
    Event.PASSWORD_RESET_REQUESTED: N_("Password reset requested"),
    Event.PASSWORD_RESET: N_("Password reset"),
    Event.PASSWORD_CHANGED: N_("Password changed"),
    Event.APP_PASSWORD_CREATED: N_("App password created"),
    Event.APP_PASSWORD_USED: N_("App password used"),
    Event.APP_PASSWORD_REVOKED: N_("App password revoked"),
    Event.API_CLIENT_CREATED: N_("API client created"),
    Event.API_CLIENT_SECRET_ROTATED: N_("API client secret changed"),
    Event.API_CLIENT_REMOVED: N_("API client removed"),
    Event.API_CLIENT_TOKEN_ISSUED: N_("API client signed in"),
    Event.ORG_CREATED: N_("Organisation created"),
    Event.ORG_MODE_CHANGED: N_("Organisation mode changed"),
    Event.ORG_DOMAIN_VERIFIED: N_("Domain verified"),
    Event.ORG_CLIENT_ASSIGNED: N_("Application assigned"),
    Event.ORG_POLICY_CHANGED: N_("Security policy changed"),
    Event.ORG_MFA_ENFORCED: N_("2FA required for every member"),
    Event.ORG_MFA_DISABLED: N_("2FA no longer required for every member"),
    Event.CLIENT_ADMIN_SCOPE_ALLOWED: N_("Application allowed to administer"),
    Event.MEMBER_ADDED: N_("Member added"),
    Event.MEMBER_REMOVED: N_("Member removed"),
    Event.MEMBER_ROLE_CHANGED: N_("Member's role changed"),
    Event.USER_UNLOCKED: N_("Account unlocked by an admin"),
    Event.MFA_RESET_BY_ADMIN: N_("2FA reset by an admin"),
    Event.MFA_REQUIRED_BY_ADMIN: N_("2FA required by an admin"),
    Event.CONVERTED_TO_SERVICE_ACCOUNT: N_("Made a service account"),
    Event.CONVERTED_FROM_SERVICE_ACCOUNT: N_("Made a person again"),
    Event.FEDERATED_USER_CREATED: N_("Account created by single sign-on"),
    Event.FEDERATED_IDENTITY_LINKED: N_("Account linked to single sign-on"),
    Event.IDENTITY_PROVIDER_ADDED: N_("Identity provider added"),
    Event.IDENTITY_PROVIDER_CHANGED: N_("Identity provider changed"),
    Event.IDENTITY_PROVIDER_REMOVED: N_("Identity provider removed"),
    Event.USERS_IMPORTED: N_("Users imported"),
    Event.USER_IMPORTED: N_("User imported"),
    Event.DATA_EXPORTED: N_("Data exported"),
    Event.USER_DISABLED: N_("Account disabled"),
    Event.USER_ENABLED: N_("Account enabled"),
    Event.USER_RENAMED: N_("Username changed"),
    Event.USER_EMAIL_CHANGED: N_("E-mail address changed"),
    Event.USER_DATA_EXPORTED: N_("Personal data exported"),
    Event.USER_DELETED: N_("Account deleted"),
    Event.PASSWORD_SET_BY_ADMIN: N_("Temporary password set by an admin"),
    Event.PASSWORD_RESET_LINK_SENT_BY_ADMIN: N_("Password reset link sent by an admin"),
    Event.CLIENT_CREATED: N_("Application registered"),
    Event.CLIENT_DISABLED: N_("Application disabled"),
    Event.CLIENT_ENABLED: N_("Application enabled"),
    Event.CLIENT_DELETED: N_("Application deleted"),
    Event.CLIENT_REDIRECT_URIS_CHANGED: N_("Application's redirect addresses changed"),
    Event.CLIENT_POST_LOGOUT_REDIRECT_URIS_CHANGED: N_(
        "Application's addresses after sign-out changed"
    ),
    Event.CLIENT_SECRET_ROTATED: N_("Application secret changed"),
}


def event_label(name: str) -> str:
    """The label of a stored event name (English; the page translates it); an unknown name, of
    a newer bridge sharing the database, is shown as it is."""
    try:
        event = Event(name)
    except ValueError:
        return name
    return EVENT_LABELS.get(event, name)
