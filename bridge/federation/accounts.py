"""Federated identities: which local user an upstream subject is, decided on each login.

A link is keyed by (provider alias, subject), never by e-mail alone. A first login either links
to a local account, which needs the user to prove that account's password (and second factor)
first, or creates a new account without a password; the provider's organisation, if any, gets
the user as a member.

Whose word on an e-mail counts (``vouches_for_email``): a provider the operator configured is
believed when it says an address is verified; a provider an organisation's admin added through
the admin API only for addresses in a domain that organisation has verified. Otherwise an admin
could mint accounts with a "verified" ``ceo@another-company.example`` that relying parties
would trust.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.federation.client import UpstreamIdentity
from bridge.federation.errors import ProviderMisconfigured
from bridge.federation.providers import IdentityProvider, IdentityProviders, email_domain
from bridge.services.audit import AuditLog, member_of_key
from bridge.services.users import USERNAME_PATTERN, normalise_username
from bridge.storage.db.engine import Database
from bridge.storage.db.models import FederatedIdentity, Membership, Organisation, OrgDomain, User
from bridge.storage.db.unit import forget

FEDERATED_AMR = "fed"


@dataclass(frozen=True)
class Linked:
    """The identity is this user's; ``created``: the account was made by this login."""

    user_id: str
    created: bool = False


@dataclass(frozen=True)
class NeedsLocalProof:
    """A local account has the provider-verified e-mail: the login must prove that account's
    password (and its second factor, if it has one), then call ``FederatedAccounts.link``."""

    user_id: str


@dataclass(frozen=True)
class Refused:
    """The linked account may not sign in (``reason``: ``account_disabled``)."""

    user_id: str
    reason: str


LinkDecision = Linked | NeedsLocalProof | Refused


def federated_amr(provider: IdentityProvider, identity: UpstreamIdentity) -> list[str]:
    """The downstream ``amr``: ``fed``, plus the upstream's values if the provider is trusted."""
    amr = [FEDERATED_AMR]
    if provider.trusted_amr:
        amr += [value for value in identity.amr if value != FEDERATED_AMR and value not in amr]
    return amr


class FederatedAccounts:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, providers: IdentityProviders
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._providers = providers

    def _provider(self, identity: UpstreamIdentity) -> IdentityProvider:
        provider = self._providers.get(identity.provider)
        if provider is None:
            raise ProviderMisconfigured(
                f"unknown provider {identity.provider!r}", provider=identity.provider
            )
        return provider

    def linked_user(self, provider: str, subject: str) -> str | None:
        with self._db.session() as session:
            return session.scalar(
                select(FederatedIdentity.user_id).where(
                    FederatedIdentity.provider == provider, FederatedIdentity.subject == subject
                )
            )

    def links_of(self, user_id: str) -> list[FederatedIdentity]:
        with self._db.session() as session:
            return list(
                session.scalars(
                    select(FederatedIdentity)
                    .where(FederatedIdentity.user_id == user_id)
                    .order_by(FederatedIdentity.provider)
                )
            )

    def resolve(self, identity: UpstreamIdentity) -> LinkDecision:
        """The existing link; else a local account to prove (linking by verified e-mail, when
        the provider allows it); else a new account, linked and made a member."""
        provider = self._provider(identity)
        existing = self._touch(identity)
        if existing is not None:
            return existing
        vouched = self.vouches_for_email(provider, identity)
        candidate = self._verified_email_owner(provider, identity) if vouched else None
        if candidate is not None:
            return NeedsLocalProof(candidate)
        try:
            return self._create(provider, identity, email_verified=vouched)
        except IntegrityError:
            # A parallel first login of the same subject won: use its link.
            linked = self._touch(identity)
            if linked is None:
                raise
            return linked

    def link(self, identity: UpstreamIdentity, user_id: str) -> Linked:
        """Link after the caller proved the local account (``NeedsLocalProof``)."""
        provider = self._provider(identity)
        try:
            with self._db.session() as session:
                session.add(self._row(identity, user_id))
                org_id, joined = self._join(session, provider, user_id)
        except IntegrityError:
            # Linked already (a parallel login): fine if to the same user, else refused.
            linked = self._touch(identity)
            if not isinstance(linked, Linked) or linked.user_id != user_id:
                raise
            return linked
        self._audit.record(
            AuditEventName.FEDERATED_IDENTITY_LINKED,
            user_id=user_id,
            org_id=org_id,
            details={"provider": provider.alias, "by": "verified_email"},
        )
        if joined:
            self._record_join(provider, user_id, org_id)
        return Linked(user_id)

    # --- inside -------------------------------------------------------------------------------

    def _row(self, identity: UpstreamIdentity, user_id: str) -> FederatedIdentity:
        now = utc_datetime(self._clock)
        return FederatedIdentity(
            id=uuid.uuid4().hex,
            provider=identity.provider,
            subject=identity.subject,
            user_id=user_id,
            created_at=now,
            last_login_at=now,
        )

    def _touch(self, identity: UpstreamIdentity) -> Linked | Refused | None:
        with self._db.session() as session:
            row = session.execute(
                select(FederatedIdentity.id, User.id, User.disabled)
                .join(User, User.id == FederatedIdentity.user_id)
                .where(
                    FederatedIdentity.provider == identity.provider,
                    FederatedIdentity.subject == identity.subject,
                )
            ).first()
            if row is None:
                return None
            link_id, user_id, disabled = row
            if disabled:
                return Refused(user_id, "account_disabled")
            session.execute(
                update(FederatedIdentity)
                .where(FederatedIdentity.id == link_id)
                .values(last_login_at=utc_datetime(self._clock))
            )
        return Linked(user_id)

    def vouches_for_email(self, provider: IdentityProvider, identity: UpstreamIdentity) -> bool:
        """Whether the provider's "this e-mail is verified" counts here (see the module)."""
        if not (identity.email and identity.email_verified):
            return False
        if provider.source == "config":
            return True
        domain = email_domain(identity.email)
        if domain is None or provider.org_id is None:
            return False
        with self._db.session() as session:
            owned = session.scalar(
                select(OrgDomain.domain).where(
                    OrgDomain.domain == domain, OrgDomain.org_id == provider.org_id
                )
            )
        return owned is not None

    def _verified_email_owner(
        self, provider: IdentityProvider, identity: UpstreamIdentity
    ) -> str | None:
        """The one local account with a password whose verified e-mail the provider verified."""
        if not (provider.link_by_verified_email and identity.email and identity.email_verified):
            return None
        with self._db.session() as session:
            owners = list(
                session.scalars(
                    select(User.id)
                    .where(
                        func.lower(User.email) == identity.email.strip().lower(),
                        User.email_verified.is_(True),
                        User.password_hash.is_not(None),
                    )
                    .limit(2)
                )
            )
        return owners[0] if len(owners) == 1 else None

    def _create(
        self, provider: IdentityProvider, identity: UpstreamIdentity, *, email_verified: bool
    ) -> Linked:
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            user = User(
                id=uuid.uuid4().hex,
                username=self._username(session, identity, email_verified=email_verified),
                email=identity.email,
                email_verified=email_verified,
                name=identity.name[:200] if identity.name else None,
                password_hash=None,  # signs in only through the provider
                disabled=False,
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            session.flush()
            session.add(self._row(identity, user.id))
            org_id, joined = self._join(session, provider, user.id)
        self._audit.record(
            AuditEventName.FEDERATED_USER_CREATED,
            user_id=user.id,
            org_id=org_id,
            details={"provider": provider.alias, "username": user.username},
        )
        if joined:
            self._record_join(provider, user.id, org_id)
        return Linked(user.id, created=True)

    def _username(
        self, session: Session, identity: UpstreamIdentity, *, email_verified: bool
    ) -> str:
        """The vouched-for e-mail when it is free and fits, else ``<alias>.<hash of subject>``."""
        if identity.email and email_verified:
            wanted = normalise_username(identity.email)
            taken = session.scalar(select(User.id).where(User.username == wanted))
            if USERNAME_PATTERN.fullmatch(wanted) and taken is None:
                return wanted
        digest = hashlib.sha256(identity.subject.encode()).hexdigest()[:20]
        return f"{identity.provider}.{digest}"

    def _join(
        self, session: Session, provider: IdentityProvider, user_id: str
    ) -> tuple[str | None, bool]:
        """Make the user a member of the provider's organisation: (its id, newly joined)."""
        if provider.organisation is None:
            return None, False
        org_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == provider.organisation)
        )
        if org_id is None:
            raise ProviderMisconfigured(
                f"organisation {provider.organisation!r} does not exist", provider=provider.alias
            )
        if session.get(Membership, (org_id, user_id)) is None:
            session.add(
                Membership(
                    org_id=org_id,
                    user_id=user_id,
                    role="member",
                    created_at=utc_datetime(self._clock),
                )
            )
            forget(member_of_key(user_id))
            joined = True
        else:
            joined = False
        return str(org_id), joined

    def _record_join(self, provider: IdentityProvider, user_id: str, org_id: str | None) -> None:
        if org_id is not None:
            self._audit.record(
                AuditEventName.MEMBER_ADDED,
                user_id=user_id,
                org_id=org_id,
                details={
                    "org": provider.organisation,
                    "via": "federation",
                    "role": "member",
                    "provider": provider.alias,
                },
            )
