"""API clients (issue 12, seed 000): machine clients owned by an organisation.

An API client gets access tokens with its own credentials only (the ``client_credentials``
grant, ``bridge.oidc.server``), for the scopes an admin granted it and nothing more. It
authenticates with a secret (``client_secret_basic`` or ``client_secret_post``; shown once,
stored hashed, rotated by an admin) or, when it registered public keys, with a JWT signed by its
private key (``private_key_jwt``, RFC 7523), and then has no secret at all.

Admins of the owning organisation (or of the partner that manages it) and the operator create,
list, rotate and remove them (``authorise``); a client of another organisation is not found.
Each change is audited in the organisation's log.

Scopes are the names resource servers check (``invoices:read``): the bridge's own user scopes
(``openid``, ``profile``, ...) mean nothing without a user and cannot be granted.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import Conflict, NotFound
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.services.audit import AuditLog
from bridge.services.client_records import ClientRecord
from bridge.services.clients import (
    CLIENT_SECRET_BYTES,
    ClientService,
    InvalidClient,
    hash_secret,
    new_client_id,
)
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client

API_KIND = "api"
#: RFC 6749 §3.3 scope-token characters, and a length no scope name needs more of.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,64}")
MAX_SCOPES = 20
#: The bridge's user scopes: they describe a user, and an API client has none.
RESERVED_SCOPES = frozenset({"openid", "profile", "email", "offline_access", "admin"})
MAX_KEYS = 10
MAX_JWKS_CHARS = 20_000
KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise InvalidClient(N_("An API client needs a name of 1-200 characters."), field="name")
    return name.strip()


def check_scopes(scopes: Any) -> list[str]:
    """The scopes to grant: 1-20 distinct RFC 6749 scope names, none of the bridge's own."""
    if not isinstance(scopes, list) or not scopes or len(scopes) > MAX_SCOPES:
        raise InvalidClient(
            Phrase("Grant 1-%(most)s scopes, as a list of names.", most=MAX_SCOPES), field="scopes"
        )
    for scope in scopes:
        if not isinstance(scope, str) or not SCOPE_TOKEN.fullmatch(scope):
            raise InvalidClient(
                N_(
                    "A scope is 1-64 printable ASCII characters, without spaces, quotes or "
                    "backslashes."
                ),
                field="scopes",
            )
        if scope in RESERVED_SCOPES:
            raise InvalidClient(
                Phrase(
                    "The scope %(scope)r is about a user; an API client acts as itself and "
                    "cannot be granted it.",
                    scope=scope,
                ),
                field="scopes",
            )
    return list(dict.fromkeys(scopes))


def check_jwks(jwks: Any) -> dict[str, Any]:
    """A JWK Set of 1-10 public signing keys (RSA, EC or OKP), or ``InvalidClient``."""
    problem = N_("Send 'jwks' as a JWK Set of 1-10 public RSA, EC or OKP keys: {'keys': [...]}.")
    if not isinstance(jwks, dict) or len(json.dumps(jwks)) > MAX_JWKS_CHARS:
        raise InvalidClient(problem, field="jwks")
    keys = jwks.get("keys")
    if set(jwks) != {"keys"} or not isinstance(keys, list) or not 0 < len(keys) <= MAX_KEYS:
        raise InvalidClient(problem, field="jwks")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in KEY_TYPES:
            raise InvalidClient(problem, field="jwks")
        if PRIVATE_MEMBERS & set(key):
            raise InvalidClient(
                N_("The JWK Set holds a private key: register only the public half."), field="jwks"
            )
    try:
        KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidClient(
            Phrase("The JWK Set cannot be read: %(error)s", error=str(error)), field="jwks"
        ) from error
    return {"keys": keys}


@dataclass(frozen=True)
class ApiClientView:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    auth_method: str  # "client_secret" or "private_key_jwt"
    created_at: datetime

    @classmethod
    def of(cls, client: Client) -> ApiClientView:
        return cls(
            client_id=client.id,
            name=client.name,
            scopes=tuple(client.scope.split()),
            auth_method="private_key_jwt" if client.jwks else "client_secret",
            created_at=client.created_at,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "auth_method": self.auth_method,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class NewSecret:
    """A client and its secret, shown once (None for a client that signs with its key)."""

    view: ApiClientView
    secret: str | None


class ApiClients:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog, clients: ClientService) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._clients = clients  # its ``changing`` announces changed clients

    def create(
        self,
        actor: Actor,
        slug: str,
        name: Any,
        scopes: Any,
        jwks: Any = None,
    ) -> NewSecret:
        name, granted = check_name(name), check_scopes(scopes)
        keys = None if jwks is None else check_jwks(jwks)
        secret = None if keys else secrets.token_urlsafe(CLIENT_SECRET_BYTES)
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            client = Client(
                id=new_client_id(),
                name=name,
                secret_hash=None if secret is None else hash_secret(secret),
                public=False,
                redirect_uris=[],
                post_logout_redirect_uris=[],
                scope=" ".join(granted),
                created_at=utc_datetime(self._clock),
                org_id=authority.org.id,
                kind=API_KIND,
                jwks=keys,
            )
            session.add(client)
            session.flush()
            view = ApiClientView.of(client)
        self._record(AuditEventName.API_CLIENT_CREATED, authority, view)
        return NewSecret(view, secret)

    def list(self, actor: Actor, slug: str) -> list[ApiClientView]:
        with self._db.session() as session:
            org = authorise(session, actor, slug).org
            rows = session.scalars(
                select(Client)
                .where(Client.org_id == org.id, Client.kind == API_KIND)
                .order_by(Client.created_at, Client.id)
            )
            return [ApiClientView.of(client) for client in rows]

    def get(self, actor: Actor, slug: str, client_id: str) -> ApiClientView:
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            return ApiClientView.of(_owned(session, authority, client_id))

    def rotate_secret(self, actor: Actor, slug: str, client_id: str) -> NewSecret:
        """A new secret; the old one stops working at once. Tokens already issued run out."""
        secret = secrets.token_urlsafe(CLIENT_SECRET_BYTES)
        with self._clients.changing(), self._db.session() as session:
            authority = authorise(session, actor, slug)
            client = _owned(session, authority, client_id)
            if client.jwks:
                raise Conflict(
                    N_(
                        "This client signs its requests with its own key (private_key_jwt) and "
                        "has no secret to rotate."
                    )
                )
            client.secret_hash = hash_secret(secret)
            view = ApiClientView.of(client)
        self._record(AuditEventName.API_CLIENT_SECRET_ROTATED, authority, view)
        return NewSecret(view, secret)

    def remove(self, actor: Actor, slug: str, client_id: str) -> ApiClientView:
        """Remove the client: it gets no more tokens, and its tokens stop introspecting as
        active."""
        with self._clients.changing(), self._db.session() as session:
            authority = authorise(session, actor, slug)
            client = _owned(session, authority, client_id)
            view = ApiClientView.of(client)
            session.delete(client)
        self._record(AuditEventName.API_CLIENT_REMOVED, authority, view)
        return view

    def _record(self, event: AuditEventName, authority: Authority, view: ApiClientView) -> None:
        actor = authority.actor
        self._audit.record(
            event,
            actor_id=actor.user_id,
            org_id=authority.org.id,
            client_id=view.client_id,
            ip=actor.ip,
            user_agent=actor.user_agent,
            details=authority.audit_details(
                name=view.name, scopes=list(view.scopes), auth_method=view.auth_method
            ),
        )


def _owned(session: Session, authority: Authority, client_id: str) -> Client:
    plausible = len(client_id) <= 64 and "\x00" not in client_id
    client = session.get(Client, client_id) if plausible else None
    if client is None or client.kind != API_KIND or client.org_id != authority.org.id:
        raise NotFound(
            Phrase(
                "There is no API client %(client)r in %(org)r.",
                client=client_id,
                org=authority.org.slug,
            )
        )
    return client


def granted_scopes(
    client: Client | ClientRecord, requested: Sequence[str] | None
) -> list[str] | None:
    """The scopes a token request gets: every granted one when it names none, exactly those it
    names when all were granted, else None (``invalid_scope``)."""
    granted = client.scope.split()
    if not requested:
        return granted
    wanted = list(dict.fromkeys(requested))
    return wanted if set(wanted) <= set(granted) else None
