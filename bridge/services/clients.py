"""Relying parties: registration, lookup and client secret checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import select

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bridge.domain.wording import N_, Phrase
from bridge.services.client_records import ClientRecord, ClientRecords, read_client
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Client
from bridge.storage.ephemeral.base import EphemeralStore

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
CLIENT_ID_BYTES = 16  # 22 URL-safe characters
CLIENT_SECRET_BYTES = 32  # 43 URL-safe characters, 256 bits


def new_client_id() -> str:
    """A random client id that never starts with ``-``: an id is typed as a command-line
    argument (``bridge api-client remove SLUG ID``), where a leading dash reads as an option."""
    while True:
        client_id = secrets.token_urlsafe(CLIENT_ID_BYTES)
        if not client_id.startswith("-"):
            return client_id


class InvalidClient(InvalidInput):
    """A client registration the bridge refuses; the message says what to fix."""

    code = "invalid-client"
    title = N_("The client registration is not valid")


class UnknownClient(NotFound):
    """No relying party has this client id."""

    code = "unknown-client"
    title = N_("No such client")


class ClientHasNoSecret(Conflict):
    """A public client proves itself with PKCE alone: it has no secret to rotate."""

    code = "client-has-no-secret"
    title = N_("The client has no secret")


class ClientDisabled(NotAllowed):
    """What a person sent to the bridge by a disabled client is shown (never a redirect)."""

    code = "client-disabled"
    title = N_("This application is disabled")

    def __init__(self) -> None:
        super().__init__(
            N_(
                "An administrator has disabled the application that sent you here: you cannot "
                "sign in to it for now. Nothing was sent back to it."
            )
        )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_redirect_uri(uri: str) -> None:
    """Raise ``InvalidClient`` unless ``uri`` is absolute https (http for loopback only)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError as error:
        raise InvalidClient(
            Phrase("redirect URI %(uri)r is not a valid URL: %(error)s", uri=uri, error=str(error))
        ) from error
    if "#" in uri:
        raise InvalidClient(Phrase("redirect URI %(uri)r must not contain a fragment", uri=uri))
    if any(c.isspace() for c in uri):
        raise InvalidClient(Phrase("redirect URI %(uri)r must not contain whitespace", uri=uri))
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidClient(
            Phrase("redirect URI %(uri)r must be an absolute http(s) URL with a host", uri=uri)
        )
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidClient(
            Phrase(
                "redirect URI %(uri)r must use https; http is allowed only for "
                "127.0.0.1, [::1] and localhost",
                uri=uri,
            )
        )


def redirect_uri_list(uris: Iterable[str]) -> list[str]:
    """The URIs once each, in their order, each checked by ``check_redirect_uri``: what a client
    is registered with, and what ``bridge client set-redirect-uris`` replaces them with."""
    listed = list(dict.fromkeys(uris))
    for uri in listed:
        check_redirect_uri(uri)
    return listed


def web_origin(uri: str) -> str | None:
    """The origin a browser sends for pages at ``uri`` (RFC 6454: scheme, host, and the port
    unless it is the scheme's default), or None for what is not an absolute http(s) URL."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


class ClientService:
    def __init__(
        self, db: Database, clock: Clock, *, shared_store: EphemeralStore | None = None
    ) -> None:
        """``shared_store``: the ephemeral store every serving process uses, where changes of
        clients are versioned (``bridge.services.client_records``); None for the in-process
        store."""
        self._db = db
        self._clock = clock
        self._records = ClientRecords(db, shared_store)
        self._names: dict[str, str] = {}  # see ``display_name``

    def add(
        self,
        name: str,
        redirect_uris: Iterable[str],
        *,
        public: bool = False,
        post_logout_redirect_uris: Iterable[str] = (),
    ) -> tuple[Client, str | None]:
        """Register a client. The secret (None for a public client) is returned only here."""
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidClient(N_("a client needs a name of 1-200 characters"))
        redirects = redirect_uri_list(redirect_uris)
        logout_redirects = redirect_uri_list(post_logout_redirect_uris)
        secret = None if public else secrets.token_urlsafe(CLIENT_SECRET_BYTES)
        client = Client(
            id=new_client_id(),
            name=name,
            secret_hash=None if secret is None else hash_secret(secret),
            public=public,
            redirect_uris=redirects,
            post_logout_redirect_uris=logout_redirects,
            created_at=utc_datetime(self._clock),
        )
        with self._db.session() as session:
            session.add(client)
            session.flush()  # apply column defaults (scope) before the object leaves the session
        return client, secret

    def get(self, client_id: str) -> ClientRecord | None:
        """The client, or None: its row read at most once per request, and kept by the process
        while no client changes (``bridge.services.client_records``)."""
        return self._records.get(client_id)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around every block that changes, or deletes, client rows: each process reads the
        rows again (``ClientRecords.changing``)."""
        with self._records.changing():
            yield

    def display_name(self, client_id: str) -> str | None:
        """The name a login page shows for the application (its id when it has none); None
        for no such client. A client's id and name never change once it is registered (ids
        are drawn at random, and nothing renames a client), so this process keeps the names
        it read: each page of a login needs no query for it (issue 16). A client removed
        during a login keeps its name on that login's pages; the login's answer then fails,
        as it did."""
        name = self._names.get(client_id)
        if name is None:
            client = self.get(client_id)
            if client is None:
                return None
            name = client.name or client.id
            if len(self._names) >= MAX_KEPT_NAMES:
                self._names.clear()
            self._names[client_id] = name
        return name

    def list(self) -> list[Client]:
        with self._db.session() as session:
            return list(session.scalars(select(Client).order_by(Client.created_at, Client.id)))

    def allows_origin(self, origin: str) -> bool:
        """Whether ``origin`` (a browser's ``Origin`` header) is the web origin of a redirect
        URI some enabled client registered: a single-page application there may call the token
        endpoints across origins (``bridge.oidc.cors``)."""
        if web_origin(origin) != origin:
            return False  # "null", a path, a default port written out: never a match
        with self._db.session() as session:
            enabled = select(Client.redirect_uris).where(Client.disabled.is_(False))
            for uris in session.scalars(enabled):
                if any(web_origin(uri) == origin for uri in uris):
                    return True
        return False

    def check_secret(self, client: Client | ClientRecord, secret: str) -> bool:
        """Constant-time comparison of the secret's hash; always False for public clients."""
        if client.public or client.secret_hash is None:
            return False
        return hmac.compare_digest(hash_secret(secret), client.secret_hash)


#: How many client names ``display_name`` keeps (all of them, short of a flood of clients).
MAX_KEPT_NAMES = 10_000


def client_by_id(db: Database, client_id: str) -> ClientRecord | None:
    """The client ``client_id`` from the database, for a caller without the ``ClientService``
    (``ClientService.get`` keeps what it reads)."""
    return read_client(db, client_id)
