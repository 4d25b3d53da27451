"""The durable domain model: what must survive a restart, in SQL (SQLite or PostgreSQL).

One module per concern; this package imports them all, so every table is in ``Base.metadata``
and every model is importable from ``bridge.storage.db.models``. Schema changes go through Alembic
(``bridge/storage/migrations``); never ``create_all`` in production code.
"""

from __future__ import annotations

from bridge.storage.db.models.accounts import (
    AccountLock,
    AppPassword,
    PasswordReset,
    RecoveryCode,
    ResetRequest,
    TotpCredential,
    TrustedDevice,
    User,
)
from bridge.storage.db.models.audit import AuditEvent, AuditEventOrg
from bridge.storage.db.models.base import NAMING_CONVENTION, Base, UtcDateTime
from bridge.storage.db.models.federation import (
    FederatedIdentity,
    IdentityProviderDomain,
    IdentityProviderRecord,
)
from bridge.storage.db.models.oauth import Client, Grant, RefreshToken, SigningKey
from bridge.storage.db.models.orgs import Membership, Organisation, OrgDomain
from bridge.storage.db.models.outbox import OutboxMail

__all__ = [
    "NAMING_CONVENTION",
    "AccountLock",
    "AppPassword",
    "AuditEvent",
    "AuditEventOrg",
    "Base",
    "Client",
    "FederatedIdentity",
    "Grant",
    "IdentityProviderDomain",
    "IdentityProviderRecord",
    "Membership",
    "OrgDomain",
    "Organisation",
    "OutboxMail",
    "PasswordReset",
    "RecoveryCode",
    "RefreshToken",
    "ResetRequest",
    "SigningKey",
    "TotpCredential",
    "TrustedDevice",
    "User",
    "UtcDateTime",
]
