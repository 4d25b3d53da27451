"""``World``: organisations and people made through the bridge's own services (the ``world``
fixture in ``tests/conftest.py`` is one on the test's ``services``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.models import Membership, TotpCredential, User
from tests.e2e.harness import PASSWORD

OPERATOR = Actor.operator()


@dataclass
class World:
    """Organisations and people, made through the same services the product uses."""

    services: Services
    clock: FrozenClock

    def user(self, username: str, *, domain: str = "example.com") -> str:
        return self.services.users.create(
            username, email=f"{username}@{domain}", password=PASSWORD
        ).id

    def org(
        self,
        slug: str,
        *,
        kind: str = "standalone",
        mode: str = "production",
        parent: str | None = None,
    ) -> str:
        return self.services.orgs.create(
            OPERATOR, slug, slug.title(), kind=kind, mode=mode, parent=parent
        ).id

    def join(self, slug: str, username: str, role: str = "member") -> None:
        self.services.members.add(OPERATOR, slug, username, role)

    def enrol(self, username: str) -> str:
        """Give the user an active TOTP credential; return its secret."""
        import pyotp

        user = self.services.users.find(username)
        assert user is not None
        offer = self.services.totp.start_enrolment(user.id, username)
        code = pyotp.TOTP(offer.secret).at(self.clock())
        assert self.services.totp.confirm_enrolment(user.id, offer.credential_id, code)
        self.clock.advance(30)
        return offer.secret

    def code(self, secret: str) -> str:
        import pyotp

        return pyotp.TOTP(secret).at(self.clock())

    def actor(self, username: str) -> Actor:
        user = self.services.users.find(username)
        assert user is not None
        return Actor(user_id=user.id)

    def has_totp(self, username: str) -> bool:
        with self.services.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
            return (
                session.scalar(select(TotpCredential.id).where(TotpCredential.user_id == user_id))
                is not None
            )

    def row(self, username: str) -> User:
        user = self.services.users.find(username)
        assert user is not None
        return user

    def memberships(self) -> list[tuple[str, str, str]]:
        with self.services.db.session() as session:
            return sorted(
                (m.org_id, m.user_id, m.role) for m in session.scalars(select(Membership))
            )
