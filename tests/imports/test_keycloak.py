"""Importing a Keycloak realm export: every user keeps their password and authenticator."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridge.domain.events import AuditEventName
from bridge.services.container import Services
from bridge.services.imports.keycloak import read_keycloak
from bridge.storage.db.models import (
    AuditEvent,
    FederatedIdentity,
    Membership,
    Organisation,
    TotpCredential,
    User,
)
from tests.e2e.harness import Browser, LiveBridge, Page, RelyingParty
from tests.imports.codes import oathtool_code
from tests.imports.sources import (
    KEYCLOAK_BAD_USERS,
    PASSWORDS,
    SECRETS,
    TOTP_SETTINGS,
    write_keycloak_export,
    write_mapping,
)

IMPORTED = ["alice", "bob", "carol", "dave"]


def sign_in(
    live: LiveBridge, rp: RelyingParty, browser: Browser, username: str, *, enrols: bool = False
) -> None:
    """Password, then the code the user's app shows (oathtool), to the application; ``enrols``:
    a user without an authenticator who must have one is asked to set one up instead."""
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username=username, password=PASSWORDS[username])
    if enrols:
        assert isinstance(page, Page) and page.title == "Set up two-factor authentication", page
        return
    if username in SECRETS:
        assert isinstance(page, Page) and page.title == "Two-factor authentication", page
        algorithm, digits, period = TOTP_SETTINGS[username]
        code = oathtool_code(
            SECRETS[username], live.clock(), algorithm=algorithm, digits=digits, period=period
        )
        page = browser.submit(code=code)
    assert isinstance(page, str), f"expected a redirect to the app, got {page}"
    assert page.startswith(rp.redirect_uri)


def _members(services: Services) -> set[tuple[str, str, str]]:
    with services.db.session() as session:
        rows = session.execute(
            select(User.username, Organisation.slug, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Organisation, Organisation.id == Membership.org_id)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_a_realm_export_imports_users_from_the_realm_and_the_users_files(
    services: Services, tmp_path: Path
) -> None:
    source = read_keycloak(
        write_keycloak_export(tmp_path / "export"), write_mapping(tmp_path / "m.yaml")
    )
    report = services.importer.run(source)
    assert [o.username for o in report.outcomes] == IMPORTED
    assert {o.action for o in report.outcomes} == {"create"}
    assert report.problems == []
    alice = services.users.find("alice")
    assert alice is not None
    assert (alice.email, alice.email_verified, alice.name) == (
        "alice@acme.example",
        True,
        "Alice Example",
    )
    assert alice.password_hash is not None
    assert alice.password_hash.startswith("imported:v1:keycloak-pbkdf2-sha256:")
    assert alice.password_imported_at is not None
    assert _members(services) == {
        ("alice", "acme", "admin"),
        ("bob", "acme", "member"),
        ("bob", "globex", "member"),
        ("carol", "globex", "admin"),
    }
    with services.db.session() as session:
        settings = {
            username: (row.algorithm, row.digits, row.period)
            for username, row in session.execute(
                select(User.username, TotpCredential).join(TotpCredential)
            )
        }
        links = list(session.execute(select(FederatedIdentity.provider, FederatedIdentity.subject)))
    assert settings == {name: TOTP_SETTINGS[name] for name in ("alice", "bob", "dave")}
    assert [tuple(link) for link in links] == [("google", "1098765")]


def test_imported_users_sign_in_with_their_password_and_app_and_are_upgraded(
    live: LiveBridge, rp: RelyingParty, browsers: object, tmp_path: Path
) -> None:
    source = read_keycloak(
        write_keycloak_export(tmp_path / "export"), write_mapping(tmp_path / "m.yaml")
    )
    live.services.importer.run(source)
    assert callable(browsers)
    for username in IMPORTED:
        sign_in(live, rp, browsers(), username)
        user = live.services.users.find(username)
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$"), username
        assert user.password_imported_at is None
        live.clock.advance(60)  # the next user's code is of a new time-step


def test_every_bad_record_is_reported_with_its_position_and_reason(
    services: Services, tmp_path: Path
) -> None:
    realm = write_keycloak_export(tmp_path / "export", bad=True)
    report = services.importer.run(read_keycloak(realm, write_mapping(tmp_path / "m.yaml")))
    assert [o.username for o in report.outcomes] == IMPORTED
    assert len(report.problems) == len(KEYCLOAK_BAD_USERS)
    for _, reason in KEYCLOAK_BAD_USERS:
        matching = [p for p in report.problems if reason in p.reason]
        assert len(matching) == 1, (reason, report.problems)
        assert matching[0].position.startswith("acme-realm.json: users[")
    with services.db.session() as session:
        names = set(session.scalars(select(User.username)))
    assert names == set(IMPORTED)


def test_a_dry_run_says_what_would_change_and_writes_nothing(
    services: Services, tmp_path: Path
) -> None:
    source = read_keycloak(
        write_keycloak_export(tmp_path / "export"), write_mapping(tmp_path / "m.yaml")
    )
    report = services.importer.run(source, dry_run=True)
    assert [str(o) for o in report.outcomes][:2] == [
        "create alice (password: keycloak-pbkdf2-sha256, totp: SHA1/6/30s, orgs: acme:admin)",
        "create bob (password: keycloak-pbkdf2-sha512, totp: SHA256/8/30s, "
        "orgs: acme:member globex:member)",
    ]
    assert "would create organisation acme" in report.notes
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_run_is_one_audit_event_and_one_per_user(services: Services, tmp_path: Path) -> None:
    source = read_keycloak(
        write_keycloak_export(tmp_path / "export"), write_mapping(tmp_path / "m.yaml")
    )
    services.importer.run(source)
    runs = services.audit.events(event=AuditEventName.USERS_IMPORTED)
    assert len(runs) == 1
    assert runs[0].details["created"] == 4
    per_user = services.audit.events(event=AuditEventName.USER_IMPORTED)
    assert len(per_user) == 4
    assert all("secret" not in str(event.details).lower() for event in per_user)


@pytest.mark.parametrize(
    ("on_conflict", "action", "problems"),
    [("skip", "skip", 0), ("update", "update", 0), ("report", None, 4)],
)
def test_an_existing_user_is_skipped_updated_or_reported(
    services: Services, tmp_path: Path, on_conflict: str, action: str | None, problems: int
) -> None:
    source = read_keycloak(
        write_keycloak_export(tmp_path / "export"), write_mapping(tmp_path / "m.yaml")
    )
    services.importer.run(source)
    again = services.importer.run(source, on_conflict=on_conflict)  # type: ignore[arg-type]
    assert len(again.problems) == problems
    assert [o.action for o in again.outcomes] == ([action] * 4 if action else [])
    if on_conflict == "report":
        assert "a user named 'alice' exists" in again.problems[0].reason
