"""A relying party's life from ``bridge client add`` on (issue 14): registration, disable,
enable, delete, new redirect URIs (after sign-in or after sign-out), a new secret.

A disabled client is refused wherever it shows up: the authorization endpoint shows the person
an error page (never a redirect), the token endpoint answers ``invalid_client`` (refresh
included), and the tokens issued to it stop working at userinfo and introspection. Enabling it
lifts all of that: its grants were kept, and tokens that have not expired work again. Deleting
a client ends it for good, with its grants and their refresh tokens (its access tokens die with
their grant). Relying parties only: an organisation's API clients have ``bridge api-client``.

Each change is audited in the same transaction, in the log of the client's organisation when it
has one, with the operator as actor (None: the command line), and is seen by every serving
process at once (``ClientService.changing``: each process keeps the clients it reads).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bridge.domain.events import AuditEventName
from bridge.domain.wording import Phrase
from bridge.services.api_clients import API_KIND
from bridge.services.audit import AuditLog
from bridge.services.clients import (
    CLIENT_SECRET_BYTES,
    ClientHasNoSecret,
    ClientService,
    InvalidClient,
    UnknownClient,
    hash_secret,
    redirect_uri_list,
)
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client, Grant, RefreshToken

MAX_CLIENT_ID = 64


@dataclass(frozen=True)
class DeletedClient:
    """What ``delete`` removed."""

    client_id: str
    name: str
    grants: int


class ClientLifecycle:
    def __init__(self, db: Database, audit: AuditLog, clients: ClientService) -> None:
        self._db = db
        self._audit = audit
        self._clients = clients

    def add(
        self,
        name: str,
        redirect_uris: Iterable[str],
        *,
        public: bool = False,
        post_logout_redirect_uris: Iterable[str] = (),
        actor_id: str | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client (``ClientService.add``'s checks) and audit it; the secret (None
        for a public client) is returned only here."""
        client, secret = self._clients.add(
            name,
            redirect_uris,
            public=public,
            post_logout_redirect_uris=post_logout_redirect_uris,
        )
        self._record(
            AuditEventName.CLIENT_CREATED,
            client.id,
            client.org_id,
            actor_id,
            name=client.name,
            public=client.public,
            redirect_uris=list(client.redirect_uris),
            post_logout_redirect_uris=list(client.post_logout_redirect_uris),
        )
        return client, secret

    def find(self, client_id: str) -> Client:
        """The relying party, or ``UnknownClient`` (an API client is not one)."""
        with self._db.session() as session:
            return _relying_party(session, client_id)

    def disable(self, client_id: str, *, actor_id: str | None = None) -> bool:
        """Refuse the client everywhere from now on; False when it was disabled already."""
        return self._set_disabled(client_id, True, AuditEventName.CLIENT_DISABLED, actor_id)

    def enable(self, client_id: str, *, actor_id: str | None = None) -> bool:
        """Accept the client again; False when it was not disabled."""
        return self._set_disabled(client_id, False, AuditEventName.CLIENT_ENABLED, actor_id)

    def delete(self, client_id: str, *, actor_id: str | None = None) -> DeletedClient:
        """Remove the client, its grants and their refresh tokens."""
        with self._clients.changing(), self._db.session() as session:
            client = _relying_party(session, client_id)
            grants = select(Grant.id).where(Grant.client_id == client.id)
            count = session.scalar(select(func.count()).select_from(grants.subquery())) or 0
            session.execute(delete(RefreshToken).where(RefreshToken.grant_id.in_(grants)))
            session.execute(delete(Grant).where(Grant.client_id == client.id))
            session.delete(client)
            deleted = DeletedClient(client.id, client.name, count)
            org_id = client.org_id
        self._record(
            AuditEventName.CLIENT_DELETED,
            deleted.client_id,
            org_id,
            actor_id,
            name=deleted.name,
            grants_deleted=count,
        )
        return deleted

    def set_redirect_uris(
        self, client_id: str, uris: Iterable[str], *, actor_id: str | None = None
    ) -> Client:
        """Replace the client's redirect URIs, checked as ``bridge client add`` checks them."""
        listed = redirect_uri_list(uris)
        if not listed:
            raise InvalidClient("a client needs at least one redirect URI")
        return self._replace_uris(
            client_id,
            "redirect_uris",
            listed,
            AuditEventName.CLIENT_REDIRECT_URIS_CHANGED,
            actor_id,
        )

    def set_post_logout_redirect_uris(
        self, client_id: str, uris: Iterable[str], *, actor_id: str | None = None
    ) -> Client:
        """Replace where the client may send people after signing out (RP-initiated logout),
        checked as redirect URIs are; an empty list allows none."""
        return self._replace_uris(
            client_id,
            "post_logout_redirect_uris",
            redirect_uri_list(uris),
            AuditEventName.CLIENT_POST_LOGOUT_REDIRECT_URIS_CHANGED,
            actor_id,
        )

    def _replace_uris(
        self,
        client_id: str,
        attribute: str,
        listed: list[str],
        event: AuditEventName,
        actor_id: str | None,
    ) -> Client:
        with self._clients.changing(), self._db.session() as session:
            client = _relying_party(session, client_id)
            before = list(getattr(client, attribute))
            setattr(client, attribute, listed)
        self._record(
            event, client.id, client.org_id, actor_id, name=client.name, before=before, after=listed
        )
        return client

    def rotate_secret(self, client_id: str, *, actor_id: str | None = None) -> str:
        """A new secret for a confidential client, returned only here; the old one stops
        working at once."""
        secret = secrets.token_urlsafe(CLIENT_SECRET_BYTES)
        with self._clients.changing(), self._db.session() as session:
            client = _relying_party(session, client_id)
            if client.public:
                raise ClientHasNoSecret(
                    Phrase(
                        "client %(client)r is public: it has no secret to rotate (it proves "
                        "itself with PKCE alone)",
                        client=client.id,
                    )
                )
            client.secret_hash = hash_secret(secret)
        self._record(
            AuditEventName.CLIENT_SECRET_ROTATED,
            client.id,
            client.org_id,
            actor_id,
            name=client.name,
        )
        return secret

    def _set_disabled(
        self, client_id: str, disabled: bool, event: AuditEventName, actor_id: str | None
    ) -> bool:
        with self._clients.changing(), self._db.session() as session:
            client = _relying_party(session, client_id)
            if client.disabled == disabled:
                return False
            client.disabled = disabled
        self._record(event, client.id, client.org_id, actor_id, name=client.name)
        return True

    def _record(
        self,
        event: AuditEventName,
        client_id: str,
        org_id: str | None,
        actor_id: str | None,
        **details: Any,
    ) -> None:
        self._audit.record(
            event,
            actor_id=actor_id,
            org_id=org_id,
            client_id=client_id,
            reason="operator",
            details=details,
        )


def _relying_party(session: Session, client_id: str) -> Client:
    plausible = 0 < len(client_id) <= MAX_CLIENT_ID and "\x00" not in client_id
    client = session.get(Client, client_id) if plausible else None
    if client is None:
        raise UnknownClient(Phrase("no client %(client)r", client=client_id))
    if client.kind == API_KIND:
        raise UnknownClient(
            Phrase(
                "%(client)r is an API client of an organisation, not a relying party: "
                "manage it with 'bridge api-client'",
                client=client_id,
            )
        )
    return client
