"""Signing a user out everywhere: every bridge session in every browser, and every grant that
relying parties hold, so that an application's refresh token stops working too."""

from __future__ import annotations

from bridge.services.container import Services


def sign_out_everywhere(services: Services, user_id: str, reason: str) -> int:
    """End the user's sessions and token families; returns how many families were live."""
    services.sessions.end_all(user_id)
    return services.tokens.revoke_user_grants(user_id, reason)
