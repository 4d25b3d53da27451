"""The audit trail of a deleted account (GDPR Art. 17, issue 14): kept, under a pseudonym.

The audit log is the record of who did what (R17), which the bridge's operators need to keep
for security and to answer claims (Art. 17(3)(b) and (e)); deleting a person's events would
also let whoever deletes an account erase its traces. So when an account is deleted its events
stay, and what identifies the person in them is replaced:

- ``user_id`` and ``actor_id`` become ``deleted-<24 hex digits>``, an HMAC-SHA256 of the user
  id under a key derived from the bridge's secret key. The same account always gets the same
  pseudonym, so its events still line up (a sign-in, the lockout, the admin who unlocked); the
  key makes it unguessable from a user id that a relying party knows (its ``sub``), and only
  whoever holds the secret key can link it back to a former id (pseudonymisation, Art. 4(5));
- in the details of the events about the person, what they typed or what names them is dropped
  (``PERSONAL_KEYS``: usernames, addresses, an app password's comment, a browser's description,
  a request's message, old and new values of a rename or address change); anywhere in any
  event's details, a value that is their username, e-mail address or user id becomes the
  pseudonym.

The IP address and user agent of each event stay, as the security record they are, until
``bridge audit prune`` removes the event (``audit.retention_days``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from bridge.storage.db.models import AuditEvent

PREFIX = "deleted-"
#: Hex digits of the HMAC kept: 96 bits, and the pseudonym fits the 32 characters of an id.
DIGITS = 24
#: Keys of event details that hold what a person typed, or that name them.
PERSONAL_KEYS = frozenset(
    {"username", "email", "name", "to", "from", "comment", "description", "message"}
)


def pseudonym_key(secret_key: bytes) -> bytes:
    """The HMAC key for pseudonyms, derived from the bridge's secret key."""
    return hmac.new(secret_key, b"bridge/audit-pseudonyms/v1", hashlib.sha256).digest()


def pseudonym(secret_key: bytes, user_id: str) -> str:
    """The deleted account's stable name in the audit log."""
    digest = hmac.new(pseudonym_key(secret_key), user_id.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]


def is_pseudonym(text: str) -> bool:
    """Is ``text`` shaped like a pseudonym (an audit search names a deleted account by it)?"""
    digits = text.removeprefix(PREFIX)
    return (
        text.startswith(PREFIX)
        and len(digits) == DIGITS
        and all(c in "0123456789abcdef" for c in digits)
    )


@dataclass(frozen=True)
class Person:
    """What identifies the account in the audit log."""

    user_id: str
    username: str
    email: str | None

    def matches(self, text: str) -> bool:
        folded = text.casefold()
        if folded == self.username or self.user_id in text:
            return True
        return bool(self.email) and self.email.casefold() in folded  # type: ignore[union-attr]


def pseudonymise_audit(session: Session, person: Person, alias: str) -> int:
    """Rewrite every event that names ``person`` (see the module); the number rewritten."""
    details = func.lower(cast(AuditEvent.details, String))
    named = [
        AuditEvent.user_id == person.user_id,
        AuditEvent.actor_id == person.user_id,
        details.contains(person.user_id),
        details.contains(person.username.lower()),
    ]
    if person.email:
        named.append(details.contains(person.email.lower()))
    rewritten = 0
    for row in session.scalars(select(AuditEvent).where(or_(*named))):
        about = row.user_id == person.user_id
        drop = PERSONAL_KEYS if about else frozenset()
        cleaned = _scrub(row.details or {}, person, alias, drop)
        changed = about or row.actor_id == person.user_id or cleaned != row.details
        if about:
            row.user_id = alias
        if row.actor_id == person.user_id:
            row.actor_id = alias
        if cleaned != row.details:
            row.details = cleaned
        rewritten += changed
    return rewritten


def _scrub(value: Any, person: Person, alias: str, drop: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, person, alias, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_scrub(item, person, alias, drop) for item in value]
    if isinstance(value, str) and person.matches(value):
        return alias
    return value
