"""One account per e-mail address (issue 14): the address signs in as well as the username.

Migration 0015 makes addresses unique (case-insensitively, a unique index on
``users.email_key``) only where no two accounts already share one; otherwise it reports them.
``EmailAddresses`` lists what is still shared and makes addresses unique once nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, inspect, select

from bridge.domain.errors import Conflict
from bridge.domain.wording import N_, Phrase
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from bridge.storage.db.models.accounts import EMAIL_UNIQUE, EMAIL_UNIQUE_INDEX


class EmailTaken(Conflict):
    """Another account has this e-mail address (compared case-insensitively)."""

    code = "email-taken"
    title = N_("The e-mail address belongs to another account")


class EmailsShared(Conflict):
    """Addresses cannot be made unique while several accounts share one."""

    code = "emails-shared"
    title = N_("Several accounts share an e-mail address")


@dataclass(frozen=True)
class SharedAddress:
    """An e-mail address (lower case) and the usernames of the accounts that share it."""

    address: str
    usernames: tuple[str, ...]


def email_taken(address: str) -> EmailTaken:
    return EmailTaken(Phrase("another account has the e-mail address %(address)r", address=address))


class EmailAddresses:
    def __init__(self, db: Database) -> None:
        self._db = db

    def shared(self) -> list[SharedAddress]:
        """Every address that several accounts share, by address."""
        with self._db.reading() as session:
            keys = list(
                session.scalars(
                    select(User.email_key)
                    .where(User.email_key.is_not(None), User.password_hash.is_not(None))
                    .group_by(User.email_key)
                    .having(func.count() > 1)
                    .order_by(User.email_key)
                )
            )
            rows = session.execute(
                select(User.email_key, User.username)
                .where(User.email_key.in_(keys), User.password_hash.is_not(None))
                .order_by(User.email_key, User.username)
            ).all()
        grouped: dict[str, list[str]] = {}
        for key, username in rows:
            grouped.setdefault(str(key), []).append(username)
        return [SharedAddress(key, tuple(names)) for key, names in grouped.items()]

    def unique(self) -> bool:
        """Does the database keep addresses unique (the index of migration 0015)?"""
        with self._db.session() as session:
            indexes = inspect(session.connection()).get_indexes("users")
        return any(index["name"] == EMAIL_UNIQUE_INDEX for index in indexes)

    def make_unique(self) -> bool:
        """Create the unique index when it is missing; True when this call created it.
        ``EmailsShared`` while several accounts share an address."""
        if self.unique():
            return False
        shared = self.shared()
        if shared:
            raise EmailsShared(
                f"{len(shared)} e-mail addresses are shared by several accounts: "
                + ", ".join(item.address for item in shared)
            )
        with self._db.session() as session:
            EMAIL_UNIQUE.create(session.connection())
        return True
