"""Organisations and their security policy: creating them, their domains and clients, and changes
to their policy.

Rules (see docs/organisations.md): only admins of the organisation, or of the partner that
manages it, act on it (R18, R15); a policy change passes ``policy_rules`` first (SSO and 2FA
(R6), production partners (R15), the admin's code for a wipe (R5)); turning enforcement off with
``on_disable: wipe`` deletes every member's second factor in the same transaction as the change
(R5). Enforcement takes effect at each member's next login: running sessions are not touched (R3).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.domain.validators import SLUG, normal_domain
from bridge.domain.wording import N_, Phrase
from bridge.services.audit import AuditLog
from bridge.services.clients import ClientService
from bridge.services.orgs.access import Actor, Authority, administered, authorise, find_org
from bridge.services.orgs.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    SsoEnabled,
)
from bridge.services.orgs.policy import users_with_totp, wipes_second_factors
from bridge.services.orgs.policy_input import parse_policy_changes
from bridge.services.orgs.policy_rules import check_admin_code, check_policy_change
from bridge.services.orgs.second_factors import wipe_second_factors
from bridge.services.totp import TotpService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client, Membership, Organisation, OrgDomain

if TYPE_CHECKING:
    from bridge.federation.providers import IdentityProviders

KINDS = ("partner", "customer", "standalone")
MODES = ("trial", "production")


def policy_of(org: Organisation) -> dict[str, Any]:
    return {
        "mfa_enforced": bool(org.mfa_enforced),
        "mfa_always_enforced": org.production_partner,
        "on_disable": org.on_disable,
        "trusted_browsers_enabled": bool(org.trusted_browsers_enabled),
        "trusted_browser_days": org.trusted_browser_days,
        "lockout_password_failures": org.lockout_password_failures,
        "lockout_code_failures": org.lockout_code_failures,
        "lockout_action": org.lockout_action,
        "sso_enabled": bool(org.sso_enabled),
        "sso_idp_alias": org.sso_idp_alias,
        "sso_domains": list(org.sso_domains),
        "admin_reset_requires_verified_domain": bool(org.admin_reset_requires_verified_domain),
        "app_passwords_allowed": bool(org.app_passwords_allowed),
        "password_reset_allowed": bool(org.password_reset_allowed),
    }


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(
            Phrase(
                "'%(field)s' must be one of %(choices)s.", field=name, choices=", ".join(choices)
            ),
            field=name,
        )
    return str(value)


def _domain(name: str, value: Any) -> str:
    domain = normal_domain(value)
    if domain is None:
        raise InvalidInput(
            Phrase("'%(field)s' must be a domain name such as example.com.", field=name), field=name
        )
    return domain


def already_verified(domain: str) -> Phrase:
    return Phrase("%(domain)s is already verified by an organisation.", domain=domain)


@dataclass(frozen=True)
class PolicyResult:
    org: Organisation
    changes: dict[str, list[Any]]
    wiped_users: int = 0


class OrgService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditLog,
        totp: TotpService,
        providers: IdentityProviders,
        *,
        clients: ClientService | None = None,
    ) -> None:
        """``clients``: the service whose ``changing`` announces changed clients (without it,
        one that keeps no client from one request to the next)."""
        self._db = db
        self._clock = clock
        self._audit = audit
        self._totp = totp
        self._providers = providers
        self._clients = clients or ClientService(db, clock)

    # --- organisations (the operator creates them) ------------------------------------------

    def create(
        self,
        actor: Actor,
        slug: str,
        name: str,
        *,
        kind: str = "standalone",
        mode: str = "production",
        parent: str | None = None,
    ) -> Organisation:
        actor.require_operator(N_("Creating an organisation"))
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise InvalidInput(
                Phrase(
                    "slug %(slug)r must be 1-63 characters of a-z, 0-9 and '-', "
                    "not starting or ending with '-'.",
                    slug=slug,
                ),
                field="slug",
            )
        name = (name or "").strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput(
                N_("An organisation needs a name of 1-200 characters."), field="name"
            )
        _choice("kind", kind, KINDS)
        _choice("mode", mode, MODES)
        if (kind == "customer") != (parent is not None):
            raise InvalidInput(
                N_("A customer names its partner (--parent); other kinds have none."),
                field="parent",
            )
        with self._db.session() as session:
            parent_id = None
            if parent is not None:
                partner = find_org(session, parent)
                if partner.kind != "partner":
                    raise InvalidInput(
                        Phrase("%(org)r is not a partner.", org=parent), field="parent"
                    )
                parent_id = partner.id
            if session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
                raise Conflict(Phrase("An organisation %(org)r exists.", org=slug))
            org = Organisation(
                id=uuid.uuid4().hex,
                slug=slug,
                name=name,
                kind=kind,
                parent_id=parent_id,
                mode=mode,
                created_at=utc_datetime(self._clock),
                on_disable="keep",
                trusted_browsers_enabled=True,
                trusted_browser_days=30,
                lockout_password_failures=5,
                lockout_code_failures=3,
                lockout_action="lock",
                sso_enabled=False,
                sso_idp_alias=None,
                sso_domains=[],
            )
            org.mfa_enforced = org.production_partner  # always enforced by those (R15)
            session.add(org)
        self._audit.record(
            AuditEventName.ORG_CREATED,
            org_id=org.id,
            details={"org": slug, "kind": kind, "mode": mode, "parent": parent, "operator": True},
        )
        return org

    def set_mode(self, actor: Actor, slug: str, mode: str) -> Organisation:
        """Switch trial/production. A partner switched to production gets 2FA enforced (R15)."""
        actor.require_operator(N_("Changing an organisation's mode"))
        _choice("mode", mode, MODES)
        with self._db.session() as session:
            org = find_org(session, slug)
            old = org.mode
            org.mode = mode
            if org.production_partner:
                if org.sso_enabled:
                    raise SsoEnabled(
                        Phrase(
                            "%(org)r uses single sign-on; a production partner must enforce "
                            "2FA. Turn SSO off first.",
                            org=slug,
                        )
                    )
                org.mfa_enforced = True
        self._audit.record(
            AuditEventName.ORG_MODE_CHANGED,
            org_id=org.id,
            details={"org": slug, "from": old, "to": mode, "operator": True},
        )
        return org

    def get(self, actor: Actor, slug: str) -> Organisation:
        with self._db.session() as session:
            return authorise(session, actor, slug).org

    def authority(self, actor: Actor, slug: str) -> Authority:
        with self._db.session() as session:
            return authorise(session, actor, slug)

    def administered(self, actor: Actor) -> list[Organisation]:
        with self._db.session() as session:
            return administered(session, actor)

    def domains(self, actor: Actor, slug: str) -> list[str]:
        with self._db.session() as session:
            org = authorise(session, actor, slug).org
            return list(
                session.scalars(
                    select(OrgDomain.domain)
                    .where(OrgDomain.org_id == org.id)
                    .order_by(OrgDomain.domain)
                )
            )

    def add_domain(self, actor: Actor, slug: str, domain: str) -> None:
        """Record a domain as verified (the operator checked the DNS record or the mailbox)."""
        actor.require_operator(N_("Verifying a domain"))
        domain = _domain("domain", domain)
        try:
            with self._db.session() as session:
                org = find_org(session, slug)
                owner = session.get(OrgDomain, domain)
                if owner is not None:
                    raise Conflict(already_verified(domain))
                session.add(
                    OrgDomain(domain=domain, org_id=org.id, verified_at=utc_datetime(self._clock))
                )
        except IntegrityError as error:
            raise Conflict(already_verified(domain)) from error
        self._audit.record(
            AuditEventName.ORG_DOMAIN_VERIFIED,
            org_id=org.id,
            details={"org": slug, "domain": domain, "operator": True},
        )

    def assign_client(self, actor: Actor, slug: str, client_id: str) -> None:
        """Logins through this client belong to the organisation."""
        actor.require_operator(N_("Assigning a client"))
        with self._clients.changing(), self._db.session() as session:
            org = find_org(session, slug)
            client = session.get(Client, client_id)
            if client is None:
                raise NotFound(Phrase("There is no client %(client)r.", client=client_id))
            client.org_id = org.id
        self._audit.record(
            AuditEventName.ORG_CLIENT_ASSIGNED,
            org_id=org.id,
            client_id=client_id,
            details={"org": slug, "operator": True},
        )

    # --- policy -----------------------------------------------------------------------------

    def policy(self, actor: Actor, slug: str) -> dict[str, Any]:
        return policy_of(self.get(actor, slug))

    def policy_wipes(self, actor: Actor, slug: str, raw_changes: Any) -> bool:
        """Whether ``update_policy`` with these changes would delete every member's 2FA, so a
        face can ask for a confirmation first."""
        before = self.policy(actor, slug)
        return wipes_second_factors(before, {**before, **parse_policy_changes(raw_changes)})

    def update_policy(
        self, actor: Actor, slug: str, raw_changes: Any, *, admin_code: str | None = None
    ) -> PolicyResult:
        """Apply a partial policy after every rule passed; nothing changes when one fails."""
        changes = parse_policy_changes(raw_changes)
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            org = authority.org
            before = policy_of(org)
            after = {**before, **changes}
            member_ids = list(
                session.scalars(select(Membership.user_id).where(Membership.org_id == org.id))
            )
            with_totp = users_with_totp(session, member_ids)
            check_policy_change(session, self._providers, org, before, after, with_totp)
            wipe = wipes_second_factors(before, after)
        code_checked = False
        if wipe and with_totp:
            check_admin_code(self._totp, actor, admin_code)
            code_checked = True
        with self._db.session() as session:
            org = find_org(session, slug)
            if policy_of(org) != before:
                raise Conflict(N_("The policy changed meanwhile; reload it and try again."))
            for name, value in changes.items():
                setattr(org, name, value)
            wiped = 0
            removed: dict[str, int] = {}
            if wipe:
                member_ids = list(
                    session.scalars(select(Membership.user_id).where(Membership.org_id == org.id))
                )
                wiped = len(users_with_totp(session, member_ids))
                if wiped and not code_checked:  # a member enrolled meanwhile
                    check_admin_code(self._totp, actor, None)
                removed = wipe_second_factors(session, member_ids).as_json()
        diff = {k: [before[k], after[k]] for k in changes if before[k] != after[k]}
        if diff:
            event = AuditEventName.ORG_POLICY_CHANGED
            if "mfa_enforced" in diff:
                event = (
                    AuditEventName.ORG_MFA_ENFORCED
                    if after["mfa_enforced"]
                    else AuditEventName.ORG_MFA_DISABLED
                )
            self._audit.record(
                event,
                actor_id=actor.user_id,
                org_id=org.id,
                ip=actor.ip,
                user_agent=actor.user_agent,
                details=authority.audit_details(
                    changes=diff,
                    **(
                        {"wiped_users": wiped, "on_disable": "wipe", "removed": removed}
                        if wipe and removed
                        else {}
                    ),
                ),
            )
        return PolicyResult(org, diff, wiped)

    def slug_of_client(self, client_id: str) -> str | None:
        """The slug of the organisation a client belongs to: the organisation of its logins.

        Login requests and flow bindings (``flows.bindings.organisations``) name organisations
        by slug.
        """
        with self._db.session() as session:
            return session.scalar(
                select(Organisation.slug)
                .join(Client, Client.org_id == Organisation.id)
                .where(Client.id == client_id)
            )

    def clients(self, actor: Actor, slug: str) -> list[Client]:
        with self._db.session() as session:
            org = authorise(session, actor, slug).org
            # Its relying parties; its API clients are ``bridge.services.api_clients``'.
            return list(
                session.scalars(select(Client).where(Client.org_id == org.id, Client.kind != "api"))
            )

    def allow_admin_scope(self, actor: Actor, client_id: str) -> None:
        """Let a client request the ``admin`` scope (for an admin console or script)."""
        actor.require_operator(N_("Allowing the admin scope"))
        with self._clients.changing(), self._db.session() as session:
            client = session.get(Client, client_id)
            if client is None:
                raise NotFound(Phrase("There is no client %(client)r.", client=client_id))
            scopes = client.scope.split()
            if "admin" not in scopes:
                session.execute(
                    update(Client)
                    .where(Client.id == client_id)
                    .values(scope=" ".join([*scopes, "admin"]))
                )
        self._audit.record(
            AuditEventName.CLIENT_ADMIN_SCOPE_ALLOWED,
            client_id=client_id,
            details={"operator": True},
        )
