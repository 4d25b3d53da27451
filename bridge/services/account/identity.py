"""The names an account is known by, as the operator changes them (issue 14): its username
(``bridge user rename``) and its e-mail address (``bridge user set-email``).

Both are the operator's alone (``OperatorOnly`` for anyone else): the username and the address
both sign in, and a new address receives the account's "forgot password" links. Neither
changes the account's id, so the ``sub`` that applications know, its sessions, grants, second
factor and app passwords go on; the next ID token or userinfo answer carries the new
``preferred_username`` or ``email``. A new address is not verified yet, and the "forgot
password" links sent to the old one stop working. The old address is told of the change
(``email_changed``, in the person's language) with the new one masked (``a***@example.com``):
whoever lost control of the account learns it, and a stranger holding the old mailbox learns
no more than the domain.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import utc_datetime
from bridge.domain.events import AuditEventName
from bridge.domain.validators import normal_email
from bridge.domain.wording import Phrase
from bridge.services.account.errors import InvalidEmail
from bridge.services.account.lifecycle import account, record
from bridge.services.container import Services
from bridge.services.email_addresses import email_taken
from bridge.services.orgs.access import Actor
from bridge.services.users import UserExists, valid_username
from bridge.storage.db.models import User

OPERATOR = Actor.operator()


def rename(services: Services, username: str, new: str, *, actor: Actor = OPERATOR) -> bool:
    """Give the account the username ``new`` (normalised and checked as a new account's);
    False when it has that name already."""
    actor.require_operator("Renaming an account")
    user = account(services, username)
    wanted = valid_username(new)
    if wanted == user.username:
        return False
    with services.db.session() as session:
        if session.scalar(select(User.id).where(User.username == wanted)) is not None:
            raise UserExists(Phrase("a user named %(user)r exists", user=wanted))
        if "@" in wanted and session.scalar(
            select(User.id).where(
                User.email_key == wanted, User.password_hash.is_not(None), User.id != user.id
            )
        ):
            raise UserExists(
                Phrase(
                    "%(user)r is another account's e-mail address, which signs in to that account",
                    user=wanted,
                )
            )
        row = session.get(User, user.id)
        assert row is not None
        row.username = wanted
        row.updated_at = utc_datetime(services.clock)
        try:
            session.flush()
        except IntegrityError as error:  # lost a race with another account taking the name
            raise UserExists(Phrase("a user named %(user)r exists", user=wanted)) from error
    record(
        services,
        AuditEventName.USER_RENAMED,
        user.id,
        None,
        **{"from": user.username, "to": wanted},
    )
    return True


def set_email(services: Services, username: str, address: str, *, actor: Actor = OPERATOR) -> bool:
    """Give the account the e-mail address ``address`` (unverified until proved); False when it
    has that address already. ``InvalidEmail``, or ``EmailTaken`` when another account with a
    password has it (compared case-insensitively, the rule of migration 0015)."""
    actor.require_operator("Changing an account's e-mail address")
    user = account(services, username)
    normal = normal_email(address)
    if normal is None:
        raise InvalidEmail(
            Phrase(
                "%(address)r is not an e-mail address the bridge accepts (name@example.com)",
                address=address,
            )
        )
    if normal == user.email:
        return False
    with services.db.session() as session:
        if user.password_hash is not None and session.scalar(
            select(User.id).where(
                User.email_key == normal.lower(),
                User.password_hash.is_not(None),
                User.id != user.id,
            )
        ):
            raise email_taken(normal)
        row = session.get(User, user.id)
        assert row is not None
        row.email = normal
        row.email_verified = False
        row.updated_at = utc_datetime(services.clock)
        try:
            session.flush()
        except IntegrityError as error:  # another account took the address meanwhile
            raise email_taken(normal) from error
    services.password_resets.void_all(user.id)
    record(
        services,
        AuditEventName.USER_EMAIL_CHANGED,
        user.id,
        None,
        **{"from": user.email, "to": normal},
    )
    services.mailer.notify(
        "email_changed",
        to=user.email,
        language=user.language,
        user_id=user.id,
        username=user.username,
        new_address=masked_email(normal),
        when=utc_datetime(services.clock).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return True


def masked_email(address: str) -> str:
    """``address`` with its local part reduced to the first character: ``a***@example.com``."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"
