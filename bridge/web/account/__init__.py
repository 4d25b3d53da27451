"""Self-service account pages (R10, issue 5): the user's own second factor, trusted browsers
and sessions (``views``), the rules behind them (``changes``) and what they set off."""
