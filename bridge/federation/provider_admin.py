"""Adding, changing and removing an organisation's providers: one service for the API and CLI.

The admin API and ``bridge idp`` both call ``ProviderAdmin``; the checks are in
``bridge.federation.provider_rules``. Rules (docs/federation.md, "Providers through the admin
API"):

- only admins of the organisation, or of the partner that manages it, act on its providers;
- an alias is never a configured provider's, another stored provider's, or one that upstream
  links (``federated_identities``) still name: a new provider must not inherit accounts;
- every domain is one the organisation verified (``org_domains``) and no other provider's;
- the issuer never changes (subjects are unique per issuer only): add a new provider instead;
- a provider that an SSO policy names is not removed; removing one removes its domains and
  its links in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.federation.provider_input import (
    ProviderInput,
    parse_provider,
    refuse_unknown,
    settings_fields,
)
from bridge.federation.provider_rules import (
    check_alias,
    check_domains,
    configured_of,
    refuse_configured,
    refuse_while_sso_names,
)
from bridge.federation.providers import IdentityProvider, IdentityProviders
from bridge.federation.registry import MAX_ALIAS, StoredProviders, plausible_key, seal_secret
from bridge.services.audit import AuditLog
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.services.orgs.errors import Conflict, NotFound
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import (
    FederatedIdentity,
    IdentityProviderDomain,
    IdentityProviderRecord,
    Organisation,
)

__all__ = ["ProviderAdmin", "ProviderView", "Removed"]


@dataclass(frozen=True)
class ProviderView:
    """What the API and the CLI show of a provider: never its secret."""

    provider: IdentityProvider
    created_at: str | None = None
    updated_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        p = self.provider
        body: dict[str, Any] = {
            "alias": p.alias,
            "source": p.source,
            "read_only": p.source == "config",
            "organisation": p.organisation,
            "issuer": p.issuer,
            "client_id": p.client_id,
            "client_secret_set": p.client_secret is not None or p.unusable is not None,
            "unusable": p.unusable,
            "display_name": p.display_name,
            "scopes": list(p.scopes),
            "domains": sorted(p.domains),
            "claims": p.claims.model_dump(),
            "link_by_verified_email": p.link_by_verified_email,
            "trusted_amr": p.trusted_amr,
            "algorithms": list(p.algorithms),
            "timeout": p.timeout,
            "metadata_ttl": p.metadata_ttl,
            "max_clock_skew": p.max_clock_skew,
        }
        if p.source == "database":
            body["created_at"] = self.created_at
            body["updated_at"] = self.updated_at
        return body


@dataclass(frozen=True)
class Removed:
    alias: str
    links_removed: int
    domains: list[str]


def _stored_fields(record: IdentityProviderRecord, domains: Iterable[str]) -> dict[str, Any]:
    """A stored provider as a body, so a PATCH is validated as a whole new description."""
    fields: dict[str, Any] = {
        "alias": record.alias,
        "issuer": record.issuer,
        "client_id": record.client_id,
        "scopes": list(record.scopes),
        "domains": sorted(domains),
        "claims": dict(record.claims),
        "link_by_verified_email": record.link_by_verified_email,
        "trusted_amr": record.trusted_amr,
        "algorithms": list(record.algorithms),
        "timeout": record.timeout,
        "metadata_ttl": record.metadata_ttl,
        "max_clock_skew": record.max_clock_skew,
    }
    if record.display_name is not None:
        fields["display_name"] = record.display_name
    return fields


def _iso(record: IdentityProviderRecord) -> tuple[str, str]:
    return (
        record.created_at.isoformat().replace("+00:00", "Z"),
        record.updated_at.isoformat().replace("+00:00", "Z"),
    )


class ProviderAdmin:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditLog,
        keyring: Keyring,
        providers: IdentityProviders,
        stored: StoredProviders,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._keyring = keyring
        self._providers = providers
        self._stored = stored

    # --- reading ------------------------------------------------------------------------------

    def of_organisation(self, actor: Actor, slug: str) -> list[ProviderView]:
        """The organisation's providers: configured ones (read-only) first, then stored ones."""
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            configured = [
                ProviderView(p)
                for p in self._providers.configured
                if p.organisation == authority.org.slug
            ]
            records = session.scalars(
                select(IdentityProviderRecord)
                .where(IdentityProviderRecord.org_id == authority.org.id)
                .order_by(IdentityProviderRecord.alias)
            ).all()
            stored = [self._view(session, record, slug) for record in records]
        return [*configured, *stored]

    def get(self, actor: Actor, slug: str, alias: str) -> ProviderView:
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            configured = configured_of(self._providers, alias, authority.org.slug)
            if configured is not None:
                return ProviderView(configured)
            return self._view(session, self._record(session, authority, alias), slug)

    def all(self) -> list[ProviderView]:
        """Every provider of both sources (the operator's ``bridge idp list``)."""
        configured = [ProviderView(p) for p in self._providers.configured]
        return [*configured, *(ProviderView(p) for p in self._stored.all())]

    # --- changing -----------------------------------------------------------------------------

    def add(self, actor: Actor, slug: str, raw: Any) -> ProviderView:
        body = refuse_unknown(raw)
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            given = parse_provider(body, authority.org.slug)
            alias = given.settings.alias
            check_alias(session, self._providers, alias)
            check_domains(session, self._providers, authority, given.settings.domains, None)
            now = utc_datetime(self._clock)
            record = IdentityProviderRecord(
                id=uuid.uuid4().hex,
                alias=alias,
                org_id=authority.org.id,
                created_at=now,
                created_by=actor.user_id,
            )
            self._apply(record, given, now)
            try:
                session.add(record)
                session.flush()  # the row first: its domains refer to it
                self._set_domains(session, record.id, given.settings.domains)
                session.flush()
            except IntegrityError as error:  # a parallel add took the alias or a domain
                raise Conflict(
                    Phrase(
                        "The alias %(alias)r or one of the domains was taken meanwhile; reload "
                        "and try again.",
                        alias=alias,
                    )
                ) from error
            view = self._view(session, record, slug)
        self._record_event(
            AuditEventName.IDENTITY_PROVIDER_ADDED,
            authority,
            provider=alias,
            issuer=given.settings.issuer,
            domains=sorted(given.settings.domains),
            client_secret_set=given.client_secret is not None,
        )
        return view

    def change(self, actor: Actor, slug: str, alias: str, raw: Any) -> ProviderView:
        body = refuse_unknown(raw)
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            refuse_configured(self._providers, alias, authority.org.slug, "changed")
            record = self._record(session, authority, alias)
            domains = self._domains(session, record.id)
            before = _stored_fields(record, domains)
            for name in ("alias", "issuer"):
                if name in body and body[name] != before[name]:
                    raise Conflict(
                        Phrase(
                            "The %(field)s of a provider cannot change: upstream links are kept "
                            "by alias and subjects are unique per issuer only. Add a new "
                            "provider.",
                            field=name,
                        ),
                        field=name,
                    )
            merged = {**before, **body}
            if merged.get("display_name") is None:
                merged.pop("display_name", None)
            given = parse_provider(merged, authority.org.slug)
            after = settings_fields(given.settings)
            old = settings_fields(parse_provider(before, authority.org.slug).settings)
            changed = sorted(name for name in after if after[name] != old[name])
            if given.secret_given:
                changed.append("client_secret")
            if "domains" in changed:
                check_domains(
                    session, self._providers, authority, given.settings.domains, record.id
                )
            if changed:
                self._apply(record, given, utc_datetime(self._clock), keep_secret=True)
                if "domains" in changed:
                    self._set_domains(session, record.id, given.settings.domains)
                try:
                    session.flush()
                except IntegrityError as error:
                    raise Conflict(
                        N_("One of the domains was taken meanwhile; reload and try again."),
                        field="domains",
                    ) from error
            view = self._view(session, record, slug)
        if changed:
            self._record_event(
                AuditEventName.IDENTITY_PROVIDER_CHANGED,
                authority,
                provider=alias,
                changed=sorted(changed),
            )
        return view

    def remove(self, actor: Actor, slug: str, alias: str) -> Removed:
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            refuse_configured(self._providers, alias, authority.org.slug, "removed")
            record = self._record(session, authority, alias)
            removed = self._delete(session, record)
        self._record_event(
            AuditEventName.IDENTITY_PROVIDER_REMOVED,
            authority,
            provider=alias,
            links_removed=removed.links_removed,
            domains=removed.domains,
        )
        return removed

    def remove_by_alias(self, actor: Actor, alias: str) -> Removed:
        """The operator's removal by alias alone (``bridge idp remove``), same rules."""
        with self._db.session() as session:
            slug = (
                None
                if not plausible_key(alias, MAX_ALIAS)
                else session.scalar(
                    select(Organisation.slug)
                    .join(IdentityProviderRecord, IdentityProviderRecord.org_id == Organisation.id)
                    .where(IdentityProviderRecord.alias == alias)
                )
            )
        if slug is None:
            configured = self._providers.configured_alias(alias) is not None
            raise NotFound(
                Phrase(
                    "There is no provider %(alias)r added through the admin API (it is in the "
                    "configuration file: remove it there).",
                    alias=alias,
                )
                if configured
                else Phrase(
                    "There is no provider %(alias)r added through the admin API.", alias=alias
                )
            )
        return self.remove(actor, slug, alias)

    # --- rows ---------------------------------------------------------------------------------

    def _record(self, session: Session, authority: Authority, alias: str) -> IdentityProviderRecord:
        record = None
        if plausible_key(alias, MAX_ALIAS):
            record = session.scalar(
                select(IdentityProviderRecord).where(
                    IdentityProviderRecord.alias == alias,
                    IdentityProviderRecord.org_id == authority.org.id,
                )
            )
        if record is None:
            raise NotFound(
                Phrase(
                    "%(org)r has no identity provider %(alias)r.",
                    org=authority.org.slug,
                    alias=alias,
                )
            )
        return record

    def _apply(
        self,
        record: IdentityProviderRecord,
        given: ProviderInput,
        now: Any,
        *,
        keep_secret: bool = False,
    ) -> None:
        config = given.settings
        record.issuer = config.issuer
        record.client_id = config.client_id
        if given.secret_given or not keep_secret:
            record.client_secret = seal_secret(self._keyring, record.id, given.client_secret)
        record.display_name = config.display_name
        record.scopes = list(config.scopes)
        record.claims = config.claims.model_dump()
        record.link_by_verified_email = config.link_by_verified_email
        record.trusted_amr = config.trusted_amr
        record.algorithms = list(config.algorithms)
        record.timeout = config.timeout
        record.metadata_ttl = config.metadata_ttl
        record.max_clock_skew = config.max_clock_skew
        record.updated_at = now

    def _domains(self, session: Session, provider_id: str) -> list[str]:
        return sorted(
            session.scalars(
                select(IdentityProviderDomain.domain).where(
                    IdentityProviderDomain.provider_id == provider_id
                )
            )
        )

    def _set_domains(self, session: Session, provider_id: str, domains: Iterable[str]) -> None:
        session.execute(
            delete(IdentityProviderDomain).where(IdentityProviderDomain.provider_id == provider_id)
        )
        session.add_all(
            IdentityProviderDomain(domain=domain, provider_id=provider_id) for domain in domains
        )

    def _delete(self, session: Session, record: IdentityProviderRecord) -> Removed:
        refuse_while_sso_names(session, record.alias)
        domains = self._domains(session, record.id)
        links = session.execute(
            delete(FederatedIdentity).where(FederatedIdentity.provider == record.alias)
        )
        session.execute(
            delete(IdentityProviderDomain).where(IdentityProviderDomain.provider_id == record.id)
        )
        session.delete(record)
        return Removed(record.alias, affected_rows(links), domains)

    def _view(self, session: Session, record: IdentityProviderRecord, slug: str) -> ProviderView:
        created, updated = _iso(record)
        provider = self._stored.provider(record, slug, self._domains(session, record.id))
        return ProviderView(provider, created, updated)

    def _record_event(self, event: AuditEventName, authority: Authority, **details: Any) -> None:
        actor = authority.actor
        self._audit.record(
            event,
            actor_id=actor.user_id,
            org_id=authority.org.id,
            ip=actor.ip,
            user_agent=actor.user_agent,
            details=authority.audit_details(**details),
        )
