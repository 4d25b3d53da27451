"""What the bridge holds about a person (GDPR Art. 15, issue 14): ``bridge user export``.

Everything stored about the account, as one JSON document, and never a secret: no password
hash (only whether a password is set), no authenticator secret (only whether one is set up and
since when), no hashes of recovery codes, tokens, links or app passwords (counts, names and
dates instead). The audit events that name the person (as the subject or as the actor) come
with it. Browser sessions are not listed: they live in the ephemeral store under random
tokens, and end by themselves (``sessions.lifetime``). The export is audited
(``user_data_exported``), and reserved to the operator: it shows every organisation's events
about the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bridge.domain.clock import utc_datetime
from bridge.domain.events import AuditEventName
from bridge.services.account.erasure import mails_about
from bridge.services.account.lifecycle import account, record
from bridge.services.audit_export import event_record
from bridge.services.container import Services
from bridge.services.orgs.access import Actor
from bridge.storage.db.models import (
    AccountLock,
    AppPassword,
    AuditEvent,
    Client,
    FederatedIdentity,
    Grant,
    Membership,
    Organisation,
    OutboxMail,
    PasswordReset,
    RecoveryCode,
    ResetRequest,
    TotpCredential,
    TrustedDevice,
    User,
)

FORMAT = "bridge-subject-access/v1"
OPERATOR = Actor.operator()


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def subject_access(services: Services, username: str, *, actor: Actor = OPERATOR) -> dict[str, Any]:
    """The export of the account ``username`` (see the module)."""
    actor.require_operator("Exporting what the bridge holds about a person")
    user = account(services, username)
    with services.db.reading() as session:
        document = {
            "format": FORMAT,
            "generated_at": _when(utc_datetime(services.clock)),
            "profile": _profile(session, user),
            "memberships": _memberships(session, user.id),
            "second_factor": _second_factor(session, user.id),
            "trusted_browsers": _trusted_browsers(session, user.id),
            "app_passwords": _app_passwords(session, user.id),
            "grants": _grants(session, user.id),
            "federation_links": _federation_links(session, user.id),
            "reset_requests": _reset_requests(session, user.id),
            "password_reset_links": _password_reset_links(session, user.id),
            "mails": _mails(session, user),
            "audit_events": _audit_events(session, user.id),
        }
    record(services, AuditEventName.USER_DATA_EXPORTED, user.id, None)
    return document


def _profile(session: Session, user: User) -> dict[str, Any]:
    lock = session.get(AccountLock, user.id)
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": bool(user.email_verified),
        "name": user.name,
        "language": user.language,
        "password_set": user.password_hash is not None,
        "password_imported_at": _when(user.password_imported_at),
        "disabled": bool(user.disabled),
        "locked": None
        if lock is None and user.locked_at is None
        else {
            "since": _when(lock.locked_at if lock else user.locked_at),
            "reason": lock.reason if lock else None,
            "until": _when(lock.expires_at) if lock else None,
        },
        "service_account": bool(user.service_account),
        "mfa_required_by_admin": bool(user.mfa_required),
        "created_at": _when(user.created_at),
        "updated_at": _when(user.updated_at),
    }


def _memberships(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Organisation.slug, Organisation.name, Membership.role, Membership.created_at)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(Organisation.slug)
    )
    return [
        {"org": slug, "name": name, "role": role, "since": _when(since)}
        for slug, name, role, since in rows
    ]


def _second_factor(session: Session, user_id: str) -> dict[str, Any]:
    confirmed = session.scalar(
        select(func.min(TotpCredential.confirmed_at)).where(
            TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None)
        )
    )
    codes = list(
        session.execute(
            select(RecoveryCode.used_at, RecoveryCode.created_at).where(
                RecoveryCode.user_id == user_id
            )
        )
    )
    return {
        "totp": confirmed is not None,
        "totp_since": _when(confirmed),
        "recovery_codes_left": sum(1 for used, _ in codes if used is None),
        "recovery_codes_issued_at": _when(max((made for _, made in codes), default=None)),
    }


def _trusted_browsers(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(TrustedDevice)
        .where(TrustedDevice.user_id == user_id)
        .order_by(TrustedDevice.created_at)
    )
    return [
        {
            "description": row.description,
            "created_at": _when(row.created_at),
            "last_used_at": _when(row.last_used_at),
            "expires_at": _when(row.expires_at),
        }
        for row in rows
    ]


def _app_passwords(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AppPassword).where(AppPassword.user_id == user_id).order_by(AppPassword.created_at)
    )
    return [
        {
            "comment": row.comment,
            "scopes": list(row.scopes),
            "created_at": _when(row.created_at),
            "last_used_at": _when(row.last_used_at),
            "last_used_ip": row.last_used_ip,
        }
        for row in rows
    ]


def _grants(session: Session, user_id: str) -> list[dict[str, Any]]:
    """The applications' grants (token families), live ones and ended ones."""
    rows = session.execute(
        select(Grant, Client.name)
        .join(Client, Client.id == Grant.client_id)
        .where(Grant.user_id == user_id)
        .order_by(Grant.created_at)
    )
    return [
        {
            "client_id": grant.client_id,
            "client": name,
            "scope": grant.scope,
            "amr": list(grant.amr),
            "created_at": _when(grant.created_at),
            "active": grant.revoked_at is None,
            "ended_at": _when(grant.revoked_at),
            "ended_because": grant.revoked_reason,
        }
        for grant, name in rows
    ]


def _federation_links(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(FederatedIdentity)
        .where(FederatedIdentity.user_id == user_id)
        .order_by(FederatedIdentity.provider)
    )
    return [
        {
            "provider": row.provider,
            "subject": row.subject,
            "created_at": _when(row.created_at),
            "last_login_at": _when(row.last_login_at),
        }
        for row in rows
    ]


def _reset_requests(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ResetRequest, Organisation.slug)
        .join(Organisation, Organisation.id == ResetRequest.org_id)
        .where(ResetRequest.user_id == user_id)
        .order_by(ResetRequest.requested_at)
    )
    return [
        {
            "org": slug,
            "status": row.status,
            "message": row.message,
            "requested_at": _when(row.requested_at),
            "decided_at": _when(row.decided_at),
        }
        for row, slug in rows
    ]


def _password_reset_links(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(PasswordReset)
        .where(PasswordReset.user_id == user_id)
        .order_by(PasswordReset.created_at)
    )
    return [
        {
            "created_at": _when(row.created_at),
            "expires_at": _when(row.expires_at),
            "used_at": _when(row.used_at),
            "voided_at": _when(row.voided_at),
        }
        for row in rows
    ]


def _mails(session: Session, user: User) -> list[dict[str, Any]]:
    """Mails to or about the person in the outbox (subject and state; not their links)."""
    rows = session.scalars(
        select(OutboxMail).where(mails_about(user)).order_by(OutboxMail.created_at)
    )
    return [
        {
            "kind": row.kind,
            "to": row.recipient,
            "subject": row.subject,
            "status": row.status,
            "created_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
        }
        for row in rows
    ]


def _audit_events(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.user_id == user_id, AuditEvent.actor_id == user_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [event_record(row) for row in rows]
