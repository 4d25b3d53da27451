"""``bridge export``: everything the bridge holds, as the document ``bridge_file`` reads back.

Client secrets and upstream providers' client secrets are never written. Password hashes and
TOTP secrets are written only when a passphrase is given, and then only inside the encrypted
``secrets`` section.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bridge.domain.clock import Clock
from bridge.domain.events import AuditEventName
from bridge.services.audit import AuditLog
from bridge.services.imports.bridge_file import FORMAT, POLICY_FIELDS, VERSION, seal_secrets
from bridge.services.orgs.service import policy_of
from bridge.services.totp import TotpService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import (
    Client,
    FederatedIdentity,
    IdentityProviderDomain,
    IdentityProviderRecord,
    Membership,
    Organisation,
    OrgDomain,
    TotpCredential,
    User,
)


class Exporter:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, totp: TotpService, issuer: str
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._totp = totp
        self._issuer = issuer

    def export(self, *, passphrase: str | None = None) -> dict[str, Any]:
        with self._db.session() as session:
            orgs = list(session.scalars(select(Organisation).order_by(Organisation.slug)))
            slugs = {org.id: org.slug for org in orgs}
            users = list(session.scalars(select(User).order_by(User.username)))
            memberships = list(session.scalars(select(Membership)))
            links = list(session.scalars(select(FederatedIdentity)))
            domains = list(session.scalars(select(OrgDomain)))
            clients = list(session.scalars(select(Client).order_by(Client.id)))
            providers = list(session.scalars(select(IdentityProviderRecord)))
            provider_domains = list(session.scalars(select(IdentityProviderDomain)))
            credentials = list(
                session.scalars(
                    select(TotpCredential)
                    .where(TotpCredential.confirmed_at.is_not(None))
                    .order_by(TotpCredential.confirmed_at)
                )
            )
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": datetime.fromtimestamp(self._clock(), tz=UTC).isoformat(),
            "issuer": self._issuer,
            "organisations": [
                {
                    "slug": org.slug,
                    "name": org.name,
                    "kind": org.kind,
                    "mode": org.mode,
                    "parent": slugs.get(org.parent_id) if org.parent_id else None,
                    "policy": {
                        key: value
                        for key, value in policy_of(org).items()
                        if key in POLICY_FIELDS or key.startswith("sso_")
                    },
                    "verified_domains": sorted(d.domain for d in domains if d.org_id == org.id),
                }
                for org in orgs
            ],
            "users": [
                {
                    "username": user.username,
                    "email": user.email,
                    "email_verified": bool(user.email_verified),
                    "name": user.name,
                    "disabled": bool(user.disabled),
                    "mfa_required": bool(user.mfa_required),
                    "service_account": bool(user.service_account),
                    "has_password": user.password_hash is not None,
                    "has_totp": any(c.user_id == user.id for c in credentials),
                    "memberships": [
                        {"org": slugs[m.org_id], "role": m.role}
                        for m in memberships
                        if m.user_id == user.id
                    ],
                    "links": [
                        {"provider": link.provider, "subject": link.subject}
                        for link in links
                        if link.user_id == user.id
                    ],
                }
                for user in users
            ],
            "clients": [
                {
                    "client_id": client.id,
                    "name": client.name,
                    "public": bool(client.public),
                    "redirect_uris": list(client.redirect_uris),
                    "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
                    "scope": client.scope,
                    "org": slugs.get(client.org_id) if client.org_id else None,
                }
                for client in clients
            ],
            "identity_providers": [
                {
                    "alias": provider.alias,
                    "org": slugs.get(provider.org_id),
                    "issuer": provider.issuer,
                    "client_id": provider.client_id,
                    "has_client_secret": provider.client_secret is not None,
                    "display_name": provider.display_name,
                    "scopes": list(provider.scopes),
                    "claims": dict(provider.claims),
                    "domains": sorted(
                        d.domain for d in provider_domains if d.provider_id == provider.id
                    ),
                }
                for provider in providers
            ],
            "secrets": None,
        }
        if passphrase is not None:
            document["secrets"] = seal_secrets(
                {"users": self._secrets(users, credentials)}, passphrase
            )
        self._audit.record(
            AuditEventName.DATA_EXPORTED,
            details={
                "users": len(users),
                "organisations": len(orgs),
                "include_secrets": passphrase is not None,
            },
        )
        return document

    def _secrets(
        self, users: list[User], credentials: list[TotpCredential]
    ) -> dict[str, dict[str, Any]]:
        by_user = {credential.user_id: credential for credential in credentials}  # newest wins
        secrets: dict[str, dict[str, Any]] = {}
        for user in users:
            entry: dict[str, Any] = {}
            if user.password_hash is not None:
                entry["password_hash"] = user.password_hash
            credential = by_user.get(user.id)
            if credential is not None:
                raw = self._totp.secret_of(credential)
                entry["totp"] = {
                    "secret": base64.b32encode(raw).decode().rstrip("="),
                    "algorithm": credential.algorithm,
                    "digits": credential.digits,
                    "period": credential.period,
                    "last_used_step": credential.last_used_step,
                }
            if entry:
                secrets[user.username] = entry
        return secrets
