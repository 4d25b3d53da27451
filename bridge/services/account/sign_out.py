"""Signing a user out everywhere: every bridge session in every browser, every grant that
relying parties hold, so that an application's refresh token stops working too, and every app
password (issue 12: an integration signed in with one is signed in too)."""

from __future__ import annotations

from bridge.services.container import Services


def sign_out_everywhere(services: Services, user_id: str, reason: str) -> int:
    """End the user's sessions, token families and app passwords; returns how many families
    were live."""
    services.sessions.end_all(user_id)
    services.app_passwords.revoke_all(user_id, reason)
    return services.tokens.revoke_user_grants(user_id, reason)
