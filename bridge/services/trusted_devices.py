"""Trusted browsers (R12): a browser that proved the second factor may skip it for N days.

``trust`` makes a random 256-bit token for the browser's cookie and stores only its SHA-256 with
the user, a short description of the browser (from its User-Agent), creation, last use and
expiry. ``is_trusted`` is False for anything but an unexpired token of this very user: a copied
cookie of another user, a tampered, expired, revoked or unknown token, or none at all.

How many days a browser may be trusted is ``days_for``: the shortest ``trusted_browser_days`` of
the user's organisations, none at all when any of them turned trusted browsers off (R12, R14),
``DEFAULT_DAYS`` for a user of no organisation.

The cookie itself (HttpOnly, Secure, SameSite=Lax, Max-Age = the same days) is set by the login
views. Audit: ``trust`` records ``device_trusted`` and ``revoke``/``revoke_all`` record
``device_revoked`` here.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Collection, Iterable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Membership, Organisation, TrustedDevice

MIN_DAYS, MAX_DAYS = 1, 90
DEFAULT_DAYS = 30  # for a user of no organisation
COOKIE_NAME = "bridge_trusted_browser"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)
_DESCRIPTION_LENGTH = 200
# (pattern, name): the first match wins, so Edge and Opera come before Chrome, Chrome before Safari.
_BROWSERS = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_user_agent(user_agent: str | None) -> str:
    """ "Firefox on Linux" for the account page; the trimmed header when nothing is recognised."""
    text = " ".join((user_agent or "").split())
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, text)), None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, text)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return text[:_DESCRIPTION_LENGTH] or "Unknown browser"


def cookie_options(days: int, *, secure: bool) -> dict[str, object]:
    """Keyword arguments for Flask's ``response.set_cookie(COOKIE_NAME, token, **...)``:
    HttpOnly, SameSite=Lax, Secure over https, and as long-lived as the trust itself."""
    return {
        "max_age": days * 86_400,
        "httponly": True,
        "secure": secure,
        "samesite": "Lax",
        "path": "/",
    }


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def trust_days(orgs: Iterable[Organisation]) -> int | None:
    """The days a browser may be trusted for a member of ``orgs``: the shortest limit of them,
    None when any of them turned trusted browsers off, ``DEFAULT_DAYS`` for no organisation."""
    orgs = list(orgs)
    if any(not org.trusted_browsers_enabled for org in orgs):
        return None
    return min((org.trusted_browser_days for org in orgs), default=DEFAULT_DAYS)


class TrustedDevices:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def days_for(self, user_id: str) -> int | None:
        """How many days this user may trust a browser now (``trust_days``); None: not at all."""
        with self._db.session() as session:
            orgs = session.scalars(
                select(Organisation)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(Membership.user_id == user_id)
            )
            return trust_days(orgs)

    def trust(
        self,
        user_id: str,
        description: str,
        days: int,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> str:
        """Trust this browser for ``days`` (1..90); return the token for its cookie."""
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise ValueError(f"days must be between {MIN_DAYS} and {MAX_DAYS}, got {days}")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utc_datetime(self._clock)
        device = TrustedDevice(
            id=uuid.uuid4().hex,
            user_id=user_id,
            token_hash=_hash(token),
            description=" ".join(description.split())[:_DESCRIPTION_LENGTH] or "Unknown browser",
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(days=days),
        )
        with self._db.session() as session:
            session.add(device)
        self._audit.record(
            AuditEventName.DEVICE_TRUSTED,
            user_id=user_id,
            actor_id=user_id,
            ip=ip,
            user_agent=user_agent,
            details={"device_id": device.id, "days": days, "description": device.description},
        )
        return token

    def is_trusted(self, user_id: str, token: str | None) -> bool:
        """True only for an unexpired token that was issued to ``user_id``; notes its use."""
        if not token or not _TOKEN.fullmatch(token):
            return False
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            result = session.execute(
                update(TrustedDevice)
                .where(
                    TrustedDevice.token_hash == _hash(token),
                    TrustedDevice.user_id == user_id,
                    TrustedDevice.expires_at > now,
                )
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
            return affected_rows(result) == 1

    def list(self, user_id: str) -> list[TrustedDevice]:
        """The user's unexpired trusted browsers, most recently used first."""
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            return list(
                session.scalars(
                    select(TrustedDevice)
                    .where(TrustedDevice.user_id == user_id, TrustedDevice.expires_at > now)
                    .order_by(TrustedDevice.last_used_at.desc(), TrustedDevice.id)
                )
            )

    def revoke(
        self,
        user_id: str,
        device_id: str,
        *,
        actor_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        """Forget one browser of ``user_id``; False when it is not one of theirs."""
        with self._db.session() as session:
            result = session.execute(
                delete(TrustedDevice)
                .where(TrustedDevice.id == device_id, TrustedDevice.user_id == user_id)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                return False
        self._audit.record(
            AuditEventName.DEVICE_REVOKED,
            user_id=user_id,
            actor_id=actor_id or user_id,
            ip=ip,
            user_agent=user_agent,
            details={"device_id": device_id},
        )
        return True

    def revoke_all(
        self,
        user_id: str,
        *,
        actor_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Forget every browser of ``user_id`` (also expired ones); how many there were."""
        with self._db.session() as session:
            count = delete_trusted_devices(session, [user_id])
        if count:
            self._audit.record(
                AuditEventName.DEVICE_REVOKED,
                user_id=user_id,
                actor_id=actor_id or user_id,
                ip=ip,
                user_agent=user_agent,
                reason=reason,
                details={"count": count, "all": True},
            )
        return count

    def purge_expired(self) -> int:
        """Delete expired rows (housekeeping; an expired token is refused either way)."""
        with self._db.session() as session:
            result = session.execute(
                delete(TrustedDevice)
                .where(TrustedDevice.expires_at <= utc_datetime(self._clock))
                .execution_options(synchronize_session=False)
            )
            return affected_rows(result)


def delete_trusted_devices(session: Session, user_ids: Collection[str]) -> int:
    """Delete the trusted browsers of these users inside the caller's transaction (for
    ``bridge.services.orgs.second_factors.delete_second_factors``: reset, disable, organisation
    wipe)."""
    if not user_ids:
        return 0
    result = session.execute(
        delete(TrustedDevice)
        .where(TrustedDevice.user_id.in_(list(user_ids)))
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)
