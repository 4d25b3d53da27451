"""Local accounts: creation, lookup and password checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import Conflict, InvalidInput, NotFound
from bridge.domain.wording import N_, Phrase
from bridge.services.email_addresses import email_taken
from bridge.services.foreign_passwords import is_imported, verify_foreign
from bridge.services.password_policy import PasswordPolicy, normalise
from bridge.services.password_policy import WeakPassword as WeakPassword  # re-exported
from bridge.services.passwords import PasswordHasher
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import User
from bridge.storage.db.rows import Shape, columns_of, detached
from flows.context import PasswordCheck

USERNAME_PATTERN = re.compile(r"[a-z0-9._@-]{1,150}")
EMAIL_MAX_LENGTH = 320
#: Does the account have (or need) a second factor? Wired by the container (TOTP, policy).
SecondFactor = Callable[[str], bool]


_USER = select(*columns_of(User)).where(User.id == bindparam("user_id"))
#: The columns a token request asks of its user: whether they may have tokens
#: (``bridge.services.issuance``) and the claims about them (``bridge.oidc.claims``).
TOKEN_USER = Shape(
    User,
    (
        "id",
        "username",
        "name",
        "email",
        "email_verified",
        "updated_at",
        "disabled",
        "service_account",
        "locked_at",
        "password_must_change",
    ),
)
_TOKEN_USER = select(*TOKEN_USER.columns()).where(User.id == bindparam("user_id"))
_SIGN_IN_STATE = select(User.locked_at, User.service_account).where(User.id == bindparam("user_id"))


class UserExists(Conflict):
    """The username is taken."""

    code = "user-exists"
    title = N_("The username is taken")


class InvalidUsername(InvalidInput):
    """A username outside 1-150 characters of [a-z0-9._@-] (after case folding)."""

    code = "invalid-username"
    title = N_("The username is not valid")


class UnknownUser(NotFound):
    """No account has this username or id."""

    code = "unknown-user"
    title = N_("No such user")


@dataclass(frozen=True)
class SignInState:
    """What a sign-in asks of an account again after its password was verified."""

    locked: bool
    service_account: bool


def normalise_username(username: str) -> str:
    """Strip and case-fold: "Alice " and "alice" are one account."""
    return username.strip().casefold()


def no_user_named(username: str) -> Phrase:
    """What ``UnknownUser`` says about a username."""
    return Phrase("no user named %(user)r", user=normalise_username(username))


def valid_username(username: str) -> str:
    """The normalised username, or ``InvalidUsername``."""
    normal = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(normal):
        raise InvalidUsername(
            Phrase(
                "username %(username)r must be 1-150 characters of a-z, 0-9, '.', '_', '@' or '-'",
                username=username,
            )
        )
    return normal


class UserService:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        clock: Clock,
        *,
        policy: PasswordPolicy | None = None,
        mfa_by_default: bool = False,
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._clock = clock
        self.policy = policy or PasswordPolicy()
        # A new account has no factor yet: it needs one when every account does (mfa.required).
        self._mfa_by_default = mfa_by_default
        self.second_factor: SecondFactor = lambda _user_id: mfa_by_default

    def _accepted(self, password: str, *, second_factor: bool, username: str | None) -> str:
        """The password as it is hashed (NFKC), or ``WeakPassword``."""
        return self.policy.check(password, second_factor=second_factor, username=username)

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
        password_hash = None
        if password is not None:
            accepted = self._accepted(password, second_factor=self._mfa_by_default, username=normal)
            password_hash = self._hasher.hash(accepted)
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
                    raise UserExists(Phrase("a user named %(user)r exists", user=normal))
                if (
                    email
                    and password_hash is not None
                    and session.scalar(
                        select(User.id).where(
                            User.email_key == email.lower(), User.password_hash.is_not(None)
                        )
                    )
                ):
                    raise email_taken(email)
                session.add(user)
        except IntegrityError as error:  # lost a race with another create of the same name
            raise UserExists(Phrase("a user named %(user)r exists", user=normal)) from error
        return user

    def get(self, user_id: str) -> User | None:
        """The account ``user_id`` (detached), read as Core (issue 16: every token request and
        sign-in page reads one)."""
        rows = self._db.fetch(_USER, {"user_id": user_id})
        return detached(User, rows[0]) if rows else None

    def get_for_tokens(self, user_id: str) -> User | None:
        """``get`` with only the columns of ``TOKEN_USER`` (the others refuse to be read): what
        a token request asks of its user, read once per code exchange."""
        rows = self._db.fetch(_TOKEN_USER, {"user_id": user_id})
        return TOKEN_USER.detached(rows[0]) if rows else None

    def find(self, username: str) -> User | None:
        with self._db.reading() as session:
            return session.scalar(select(User).where(User.username == normalise_username(username)))

    def find_for_sign_in(self, identifier: str) -> User | None:
        """The account a sign-in names: by its username, else by its e-mail address
        (case-insensitive) when exactly one account has that address. An address that several
        accounts share (from before addresses were unique, see ``email_conflicts``) names none:
        their usernames still do."""
        user = self.find(identifier)
        if user is not None:
            return user
        return self.find_by_sign_in_email(identifier)

    def find_by_sign_in_email(self, identifier: str) -> User | None:
        """The one account that signs in with the e-mail address ``identifier`` (the second
        half of ``find_for_sign_in``), or None."""
        text = identifier.strip()
        if "@" not in text or len(text) > EMAIL_MAX_LENGTH:
            return None
        with self._db.reading() as session:
            matches = list(
                session.scalars(
                    select(User)
                    .where(User.email_key == text.lower(), User.password_hash.is_not(None))
                    .limit(2)
                )
            )
        return matches[0] if len(matches) == 1 else None

    def sign_in_state(self, user_id: str) -> SignInState | None:
        """Whether the account is locked or a service account now (two columns, no ORM row):
        what a sign-in asks again once a password was verified."""
        rows = self._db.fetch(_SIGN_IN_STATE, {"user_id": user_id})
        if not rows:
            return None
        (row,) = rows
        return SignInState(locked=row.locked_at is not None, service_account=row.service_account)

    def list(self) -> list[User]:
        with self._db.session() as session:
            return list(session.scalars(select(User).order_by(User.username)))

    def set_password(self, username: str, password: str) -> None:
        """An operator's or admin's new password for the account (the same policy)."""
        user = self.find(username)
        if user is None:
            raise UnknownUser(no_user_named(username))
        self.check_new_password(user.id, password)
        password_hash = self._hasher.hash(normalise(password))
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.username == normalise_username(username))
                .values(
                    password_hash=password_hash,
                    password_imported_at=None,
                    password_must_change=False,
                    updated_at=utc_datetime(self._clock),
                )
            )
            if affected_rows(result) != 1:
                raise UnknownUser(no_user_named(username))

    def check_new_password(self, user_id: str, password: str) -> None:
        """``WeakPassword`` when the policy refuses ``password`` for this account: the shorter
        minimum applies while it has or needs a second factor."""
        user = self.get(user_id)
        self._accepted(
            password,
            second_factor=self.second_factor(user_id),
            username=None if user is None else user.username,
        )
        if user is not None and user.password_hash is None and user.email:
            # A first password makes the address sign in: it must be this account's alone.
            with self._db.reading() as session:
                taken = session.scalar(
                    select(User.id).where(
                        User.email_key == user.email.lower(),
                        User.password_hash.is_not(None),
                        User.id != user.id,
                    )
                )
            if taken is not None:
                raise email_taken(user.email)

    def replace_password(self, user_id: str, password: str, *, temporary: bool = False) -> None:
        """Set the password of the account ``user_id`` (the policy's checks first).

        ``temporary``: an admin's or the operator's, which the next sign-in must replace
        (``password_must_change``); any other new password clears that mark."""
        self.check_new_password(user_id, password)
        password_hash = self._hasher.hash(normalise(password))
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.id == user_id)
                .values(
                    password_hash=password_hash,
                    password_imported_at=None,
                    password_must_change=temporary,
                    updated_at=utc_datetime(self._clock),
                )
            )
            if affected_rows(result) != 1:
                raise UnknownUser(Phrase("no user with id %(id)r", id=user_id))

    def is_password(self, user_id: str, password: str) -> bool:
        """Whether ``password`` is the account's current password (no lockout, no rehash)."""
        user = self.get(user_id)
        if user is None or user.password_hash is None or is_imported(user.password_hash):
            return False
        return self._hasher.verify(user.password_hash, normalise(password))

    def check_password(self, username: str, password: str) -> PasswordCheck:
        """Verify a password. Every failure costs one argon2 verification, like a success.

        ``username`` may be the account's e-mail address (``find_for_sign_in``).

        A hash imported from another provider is verified as it is (an allow-listed scheme, see
        ``bridge.services.foreign_passwords``) and, once it matched, replaced by the bridge's
        argon2id hash.
        """
        return self.check_password_of(self.find_for_sign_in(username), password)

    def check_password_of(self, user: User | None, password: str) -> PasswordCheck:
        """``check_password`` for the account a sign-in already found (None: no such account,
        still one argon2 verification)."""
        if user is None:
            self._hasher.verify_dummy(password)
            return PasswordCheck(user_id=None, reason="unknown_user")
        if user.password_hash is None:
            self._hasher.verify_dummy(password)
            return PasswordCheck(user_id=None, reason="no_password", known_user_id=user.id)
        matched = self._matches(user.password_hash, password)
        if matched is None:
            return PasswordCheck(user_id=None, reason="wrong_password", known_user_id=user.id)
        # Only someone who knows the password learns that the account is disabled.
        if user.disabled:
            return PasswordCheck(user_id=None, reason="disabled", known_user_id=user.id)
        if matched == "raw" or self._hasher.needs_rehash(user.password_hash):
            self._rehash(user, password)
        return PasswordCheck(user_id=user.id)

    def _matches(self, password_hash: str, password: str) -> str | None:
        """How the password matched: "nfkc" (hashed normalised, as the bridge hashes now),
        "raw" (a hash made before normalisation, or imported: rehashed), or None."""
        if is_imported(password_hash):
            return "raw" if verify_foreign(password_hash, password) else None
        normal = normalise(password)
        if self._hasher.verify(password_hash, normal):
            return "nfkc"
        if normal != password and self._hasher.verify(password_hash, password):
            return "raw"
        return None

    def _rehash(self, user: User, password: str) -> None:
        new_hash = self._hasher.hash(normalise(password))
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
