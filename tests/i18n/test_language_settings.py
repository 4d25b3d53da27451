"""Where the language is set (issue 13): the person's own choice and the organisation's default
from the command line, and mails in the recipient's language with ``mail.language`` as default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.domain.clock import FrozenClock
from bridge.mail import Mailer, MailTemplates, Outbox
from bridge.services.audit import AuditLog
from bridge.services.languages import Languages, UnknownLanguage
from bridge.services.lockout import Lockout
from bridge.services.orgs import Actor, MemberService, MfaPolicy, OrgService
from bridge.services.passwords import PasswordHasher
from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.ephemeral.memory import MemoryStore
from tests.bridges import Invoke
from tests.factors.conftest import Sent


def test_the_cli_sets_and_clears_a_persons_language(bridge_cli: Invoke) -> None:
    bridge_cli(
        "user",
        "add",
        "alice",
        "--email",
        "a@example.com",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    chosen = bridge_cli("user", "set-language", "Alice", "de-AT")
    assert chosen.exit_code == 0 and "language of alice: de" in chosen.output
    cleared = bridge_cli("user", "set-language", "alice", "none")
    assert cleared.exit_code == 0 and "as the browser says" in cleared.output


def test_the_cli_refuses_a_language_without_pages(bridge_cli: Invoke) -> None:
    bridge_cli(
        "user",
        "add",
        "alice",
        "--email",
        "a@example.com",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    refused = bridge_cli("user", "set-language", "alice", "fr")
    assert refused.exit_code == 1 and "en, de" in refused.output
    unknown = bridge_cli("user", "set-language", "nobody", "de")
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_the_cli_sets_an_organisations_default_language(bridge_cli: Invoke) -> None:
    bridge_cli("org", "create", "acme", "--name", "Acme")
    chosen = bridge_cli("org", "language", "acme", "de")
    assert chosen.exit_code == 0 and "default language of acme: de" in chosen.output


@pytest.fixture
def languages(database: Database, clock: FrozenClock) -> Languages:
    return Languages(database, clock, AuditLog(database, clock))


def test_a_language_is_stored_by_its_primary_tag_or_refused(
    languages: Languages, database: Database, clock: FrozenClock, password_hasher: PasswordHasher
) -> None:
    alice = UserService(database, password_hasher, clock).create("alice", email=None, password=None)
    assert languages.choose(alice.id, "DE_de") == "de"
    assert languages.saved(alice.id) == "de"
    with pytest.raises(UnknownLanguage):
        languages.choose(alice.id, "x" * 500)
    assert languages.saved(alice.id) == "de"


def test_an_organisations_default_counts_for_its_members_without_a_login_organisation(
    languages: Languages, database: Database, clock: FrozenClock, password_hasher: PasswordHasher
) -> None:
    from bridge.services.audit import AuditLog

    users = UserService(database, password_hasher, clock)
    alice = users.create("alice", email="alice@acme.example", password=None)
    audit = AuditLog(database, clock)
    orgs = OrgService(database, clock, audit, None, None)  # type: ignore[arg-type]
    acme = orgs.create(Actor.operator(), "acme", "Acme")
    MemberService(database, clock, audit, MfaPolicy(database, default_required=True)).add(
        Actor.operator(), "acme", "alice", "member"
    )
    assert languages.of_organisation(None, alice.id) is None
    languages.set_organisation_default(acme.id, "de")
    assert languages.of_organisation(None, alice.id) == "de"
    assert languages.of_organisation("acme", None) == "de"


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
def mailer(sent: Sent, database: Database) -> Iterator[Mailer]:
    made = Mailer(MailTemplates(default_language="en"), Outbox(database, sent))
    yield made
    made.close()


@pytest.fixture
def lockout(database: Database, clock: FrozenClock, mailer: Mailer) -> Lockout:
    return Lockout(database, MemoryStore(clock), clock, AuditLog(database, clock), mailer=mailer)


def test_mail_goes_out_in_the_recipients_language_and_else_the_default(
    lockout: Lockout,
    mailer: Mailer,
    languages: Languages,
    database: Database,
    clock: FrozenClock,
    password_hasher: PasswordHasher,
    sent: Sent,
) -> None:
    users = UserService(database, password_hasher, clock)
    anna = users.create("anna", email="anna@example.org", password=None)
    bob = users.create("bob", email="bob@example.org", password=None)
    languages.choose(anna.id, "de")
    lockout.lock(anna.id, reason="password")
    lockout.lock(bob.id, reason="password")
    assert mailer.outbox.wait_idle(10)
    by_recipient = {message.to: message.language for message in sent.messages}
    assert by_recipient == {"anna@example.org": "de", "bob@example.org": "en"}
