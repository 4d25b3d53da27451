"""Telling a user by e-mail that a security setting of their account changed."""

from __future__ import annotations

from bridge.domain.clock import utc_datetime
from bridge.services.container import Services


def notify_factor_change(s: Services, user_id: str, change: str) -> None:
    """E-mail the user that a security setting changed (``factor_changed``; never blocks)."""
    user = s.users.get(user_id)
    if user is None:
        return
    s.mailer.notify(
        "factor_changed",
        to=user.email,
        language=user.language,
        user_id=user.id,
        username=user.username,
        change=change,
        when=utc_datetime(s.clock).strftime("%Y-%m-%d %H:%M UTC"),
    )
