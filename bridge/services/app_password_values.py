"""The values of app passwords (issue 12): how a secret looks, is typed and is keyed, what a
comment and scopes may be, and how a password is shown. The rules that create, check and revoke
them are ``bridge.services.app_passwords``."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bridge.domain.errors import InvalidInput
from bridge.domain.wording import N_, Phrase
from bridge.storage.db.models import AppPassword

#: Crockford's base32 (no i, l, o, u), lower case: 5 bits a character.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH, GROUP = 30, 5  # 150 bits
SCOPES = ("proxy",)
DEFAULT_SCOPES = ("proxy",)
MAX_COMMENT = 100
MAX_PER_USER = 50
#: ``app_password_used`` and "last used" are written at most this often per password.
USE_RECORD_INTERVAL = timedelta(minutes=1)


def app_password_key(secret_key: bytes) -> bytes:
    """The HMAC key for app passwords, derived from the bridge's secret key."""
    return hmac.new(secret_key, b"bridge/app-passwords/v1", hashlib.sha256).digest()


def normalise_secret(text: str) -> str | None:
    """The secret as generated, or None when ``text`` cannot be one (so it is not looked up)."""
    raw = "".join(ch for ch in text.lower() if ch not in "- \t")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def looks_like_app_password(text: str) -> bool:
    return normalise_secret(text) is not None


@dataclass(frozen=True)
class Origin:
    """Who asked and from where, for the audit log."""

    actor_id: str | None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class AppPasswordView:
    id: str
    user_id: str
    comment: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    last_used_ip: str | None

    @classmethod
    def of(cls, row: AppPassword) -> AppPasswordView:
        return cls(
            row.id,
            row.user_id,
            row.comment,
            tuple(row.scopes),
            row.created_at,
            row.last_used_at,
            row.last_used_ip,
        )

    def as_json(self) -> dict[str, Any]:
        def iso(when: datetime | None) -> str | None:
            return when.isoformat().replace("+00:00", "Z") if when else None

        return {
            "id": self.id,
            "comment": self.comment,
            "scopes": list(self.scopes),
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "last_used_ip": self.last_used_ip,
        }


@dataclass(frozen=True)
class NewAppPassword:
    """A created password: ``secret`` is shown once and never again."""

    view: AppPasswordView
    secret: str


def format_secret(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def check_comment(comment: Any) -> str:
    if not isinstance(comment, str) or not comment.strip():
        raise InvalidInput(N_("Describe what the app password is for."), field="comment")
    text = " ".join(comment.split())
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            Phrase("The description may have at most %(most)s characters.", most=MAX_COMMENT),
            field="comment",
        )
    return text


def check_scopes(scopes: Any) -> tuple[str, ...]:
    if scopes is None:
        return DEFAULT_SCOPES
    if (
        not isinstance(scopes, list | tuple)
        or not scopes
        or any(not isinstance(s, str) or s not in SCOPES for s in scopes)
    ):
        raise InvalidInput(
            Phrase(
                "'%(field)s' must be a non-empty list of: %(choices)s.",
                field="scopes",
                choices=", ".join(SCOPES),
            ),
            field="scopes",
        )
    return tuple(sorted(set(scopes)))
