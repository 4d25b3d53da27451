"""Deleting an account (GDPR Art. 17, issue 14): ``bridge user delete`` and the admin API.

One unit of work signs the person out everywhere (sessions, grants and the codes in flight,
app passwords), records ``user_deleted``, gives every audit event that names them the
account's pseudonym (``bridge.services.account.pseudonyms``) and deletes every row that holds
their secrets or personal data: password hash, authenticator, recovery codes, trusted browsers,
lock, reset requests and "forgot password" links, app passwords, grants and refresh tokens,
federation links, memberships, the mails to or about them, and the account itself (e-mail
address, name, language). Rows about others that the person made keep only the pseudonym
(``created_by`` of an app password or an identity provider); a reset request they decided
forgets who decided (the audit event says it, under the pseudonym).

An organisation's last admin is not deleted (``LastAdmin``), as Google Workspace keeps its
last super admin and GitHub its organisations' last owner: another member is made an admin
first. A person deleted here who signs in again through an identity provider that creates
accounts gets a new, empty account: remove them upstream too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Delete, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bridge.domain.events import AuditEventName
from bridge.domain.wording import Phrase
from bridge.services.account.errors import LastAdmin
from bridge.services.account.lifecycle import account, record
from bridge.services.account.pseudonyms import Person, pseudonym, pseudonymise_audit
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.container import Services
from bridge.services.orgs.access import Authority
from bridge.storage.db.engine import affected_rows
from bridge.storage.db.models import (
    AccountLock,
    AppPassword,
    FederatedIdentity,
    Grant,
    IdentityProviderRecord,
    Membership,
    Organisation,
    OutboxMail,
    PasswordReset,
    RecoveryCode,
    RefreshToken,
    ResetRequest,
    TotpCredential,
    TrustedDevice,
    User,
)

#: The account's own rows, by the name the report gives them: their ``user_id`` column.
OWN_ROWS = {
    "authenticators": TotpCredential.user_id,
    "recovery_codes": RecoveryCode.user_id,
    "trusted_browsers": TrustedDevice.user_id,
    "locks": AccountLock.user_id,
    "reset_requests": ResetRequest.user_id,
    "password_reset_links": PasswordReset.user_id,
    "app_passwords": AppPassword.user_id,
    "federation_links": FederatedIdentity.user_id,
    "memberships": Membership.user_id,
}


@dataclass(frozen=True)
class Erasure:
    """What deleting an account did: rows deleted per kind, audit events rewritten."""

    username: str
    pseudonym: str
    deleted: dict[str, int]
    audit_events: int


def only_admin_of(session: Session, user_id: str) -> list[str]:
    """Slugs of the organisations where the user is the only admin whose account is enabled."""
    others = (
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.org_id == Organisation.id,
            Membership.role == "admin",
            Membership.user_id != user_id,
            User.disabled.is_(False),
        )
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(Organisation.slug)
            .join(Membership, Membership.org_id == Organisation.id)
            .where(Membership.user_id == user_id, Membership.role == "admin", others == 0)
            .order_by(Organisation.slug)
        )
    )


def require_not_last_admin(session: Session, user: User) -> None:
    orgs = only_admin_of(session, user.id)
    if orgs:
        raise LastAdmin(
            Phrase(
                "%(user)r is the only admin of %(orgs)s: make another member an admin first "
                "(bridge member role SLUG USERNAME admin), then delete the account",
                user=user.username,
                orgs=", ".join(repr(o) for o in orgs),
            )
        )


def delete_account(
    services: Services, username: str, *, authority: Authority | None = None
) -> Erasure:
    """Delete the account and erase its personal data; its audit trail stays under a
    pseudonym. ``authority``: an organisation's admin (``member_accounts``); None: the
    operator."""
    user = account(services, username)
    with services.db.session() as session:
        require_not_last_admin(session, user)
    revoked = sign_out_everywhere(services, user.id, "user_deleted")
    alias = pseudonym(services.secrets.secret_key, user.id)
    # Recorded under the user's id first, so that their organisations see it; rewritten below.
    record(services, AuditEventName.USER_DELETED, user.id, authority, grants_revoked=revoked)
    with services.db.session() as session:
        person = Person(user.id, user.username, user.email)
        rewritten = pseudonymise_audit(session, person, alias)
        deleted = _delete_rows(session, user, alias)
    return Erasure(user.username, alias, deleted, rewritten)


def mails_about(user: User) -> ColumnElement[bool]:
    """The outbox's mails to the person, and about them (an admin's notice of their reset
    request names their address)."""
    about = [OutboxMail.user_id == user.id]
    if user.email:
        address = user.email.lower()
        about.append(func.lower(OutboxMail.recipient) == address)
        about.append(func.lower(OutboxMail.text_body).contains(address))
    return or_(*about)


def _count(session: Session, statement: Delete) -> int:
    return affected_rows(session.execute(statement))


def _delete_rows(session: Session, user: User, alias: str) -> dict[str, int]:
    grants = select(Grant.id).where(Grant.user_id == user.id)
    deleted = {
        "refresh_tokens": _count(
            session, delete(RefreshToken).where(RefreshToken.grant_id.in_(grants))
        ),
        "grants": _count(session, delete(Grant).where(Grant.user_id == user.id)),
    }
    for name, owner in OWN_ROWS.items():
        deleted[name] = _count(session, delete(owner.class_).where(owner == user.id))
    deleted["mails"] = _count(session, delete(OutboxMail).where(mails_about(user)))
    session.execute(
        update(ResetRequest).where(ResetRequest.decided_by == user.id).values(decided_by=None)
    )
    session.execute(
        update(AppPassword).where(AppPassword.created_by == user.id).values(created_by=alias)
    )
    session.execute(
        update(IdentityProviderRecord)
        .where(IdentityProviderRecord.created_by == user.id)
        .values(created_by=alias)
    )
    deleted["account"] = _count(session, delete(User).where(User.id == user.id))
    return deleted
