"""Local accounts: creation, lookup and password checks."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import Conflict, InvalidInput, NotFound
from bridge.domain.wording import N_
from bridge.services.foreign_passwords import is_imported, verify_foreign
from bridge.services.passwords import PasswordHasher
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import User
from flows.context import PasswordCheck

USERNAME_PATTERN = re.compile(r"[a-z0-9._@-]{1,150}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class UserExists(Conflict):
    """The username is taken."""

    code = "user-exists"
    title = N_("The username is taken")


class InvalidUsername(InvalidInput):
    """A username outside 1-150 characters of [a-z0-9._@-] (after case folding)."""

    code = "invalid-username"
    title = N_("The username is not valid")


class WeakPassword(InvalidInput):
    """A password the bridge does not accept; the message says why."""

    code = "weak-password"
    title = N_("The password is not accepted")


class UnknownUser(NotFound):
    """No account has this username or id."""

    code = "unknown-user"
    title = N_("No such user")


def normalise_username(username: str) -> str:
    """Strip and case-fold: "Alice " and "alice" are one account."""
    return username.strip().casefold()


def valid_username(username: str) -> str:
    """The normalised username, or ``InvalidUsername``."""
    normal = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(normal):
        raise InvalidUsername(
            f"username {username!r} must be 1-150 characters of a-z, 0-9, '.', '_', '@' or '-'"
        )
    return normal


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


class UserService:
    def __init__(self, db: Database, hasher: PasswordHasher, clock: Clock) -> None:
        self._db = db
        self._hasher = hasher
        self._clock = clock

    def create(
        self,
        username: str,
        *,
        email: str | None,
        password: str | None,
        name: str | None = None,
    ) -> User:
        """A new, enabled account. ``password=None``: it cannot sign in with a password."""
        normal = valid_username(username)
        if password is not None:
            _check_password_strength(password)
        password_hash = self._hasher.hash(password) if password is not None else None
        now = utc_datetime(self._clock)
        user = User(
            id=uuid.uuid4().hex,
            username=normal,
            email=email,
            email_verified=False,
            name=name,
            password_hash=password_hash,
            disabled=False,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._db.session() as session:
                if session.scalar(select(User.id).where(User.username == normal)) is not None:
                    raise UserExists(f"a user named {normal!r} exists")
                session.add(user)
        except IntegrityError as error:  # lost a race with another create of the same name
            raise UserExists(f"a user named {normal!r} exists") from error
        return user

    def get(self, user_id: str) -> User | None:
        with self._db.reading() as session:
            return session.get(User, user_id)

    def find(self, username: str) -> User | None:
        with self._db.reading() as session:
            return session.scalar(select(User).where(User.username == normalise_username(username)))

    def list(self) -> list[User]:
        with self._db.session() as session:
            return list(session.scalars(select(User).order_by(User.username)))

    def set_password(self, username: str, password: str) -> None:
        _check_password_strength(password)
        password_hash = self._hasher.hash(password)
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.username == normalise_username(username))
                .values(
                    password_hash=password_hash,
                    password_imported_at=None,
                    updated_at=utc_datetime(self._clock),
                )
            )
            if affected_rows(result) != 1:
                raise UnknownUser(f"no user named {normalise_username(username)!r}")

    def check_new_password(self, user_id: str, password: str) -> None:
        """``WeakPassword`` when the policy refuses ``password`` for this account."""
        _check_password_strength(password)

    def replace_password(self, user_id: str, password: str) -> None:
        """Set the password of the account ``user_id`` (the policy's checks first)."""
        _check_password_strength(password)
        password_hash = self._hasher.hash(password)
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.id == user_id)
                .values(
                    password_hash=password_hash,
                    password_imported_at=None,
                    updated_at=utc_datetime(self._clock),
                )
            )
            if affected_rows(result) != 1:
                raise UnknownUser(f"no user with id {user_id!r}")

    def check_password(self, username: str, password: str) -> PasswordCheck:
        """Verify a password. Every failure costs one argon2 verification, like a success.

        A hash imported from another provider is verified as it is (an allow-listed scheme, see
        ``bridge.services.foreign_passwords``) and, once it matched, replaced by the bridge's
        argon2id hash.
        """
        user = self.find(username)
        if user is None:
            self._hasher.verify_dummy(password)
            return PasswordCheck(user_id=None, reason="unknown_user")
        if user.password_hash is None:
            self._hasher.verify_dummy(password)
            return PasswordCheck(user_id=None, reason="no_password", known_user_id=user.id)
        if not self._matches(user.password_hash, password):
            return PasswordCheck(user_id=None, reason="wrong_password", known_user_id=user.id)
        # Only someone who knows the password learns that the account is disabled.
        if user.disabled:
            return PasswordCheck(user_id=None, reason="disabled", known_user_id=user.id)
        if self._hasher.needs_rehash(user.password_hash):
            self._rehash(user, password)
        return PasswordCheck(user_id=user.id)

    def _matches(self, password_hash: str, password: str) -> bool:
        if is_imported(password_hash):
            return verify_foreign(password_hash, password)
        return self._hasher.verify(password_hash, password)

    def _rehash(self, user: User, password: str) -> None:
        new_hash = self._hasher.hash(password)
        with self._db.session() as session:
            # Conditional: a password changed meanwhile is not overwritten with the old one.
            session.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == user.password_hash)
                .values(
                    password_hash=new_hash,
                    password_imported_at=None,
                    updated_at=utc_datetime(self._clock),
                )
            )
