"""Self-service account pages (R10, issue 5): the user's own second factor, trusted browsers
and sessions."""

from bridge.account.views import bp

__all__ = ["bp"]
