"""Fixtures for the second factor's life: a user on SQLite and PostgreSQL, the services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.domain.clock import FrozenClock
from bridge.mail import Mailer, MailMessage, MailTemplates, Outbox
from bridge.services.audit import AuditLog
from bridge.services.passwords import PasswordHasher
from bridge.services.recovery import RecoveryCodes, recovery_key
from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User


@pytest.fixture
def users(database: Database, password_hasher: PasswordHasher, clock: FrozenClock) -> UserService:
    return UserService(database, password_hasher, clock)


@pytest.fixture
def alice(users: UserService) -> User:
    return users.create("alice", email="alice@example.org", password=None)


@pytest.fixture
def bob(users: UserService) -> User:
    return users.create("bob", email="bob@example.org", password=None)


@pytest.fixture
def audit(database: Database, clock: FrozenClock) -> AuditLog:
    return AuditLog(database, clock)


@pytest.fixture
def recovery(database: Database, clock: FrozenClock, audit: AuditLog) -> RecoveryCodes:
    return RecoveryCodes(database, clock, audit, recovery_key(b"k" * 32))


class Sent:
    """A transport that keeps what it is given: the mail a service sent, to assert on."""

    def __init__(self) -> None:
        self.messages: list[MailMessage] = []

    def deliver(self, message: MailMessage) -> None:
        self.messages.append(message)


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
def mailer(sent: Sent, database: Database) -> Iterator[Mailer]:
    mailer = Mailer(MailTemplates(), Outbox(database, sent))
    yield mailer
    mailer.close()
