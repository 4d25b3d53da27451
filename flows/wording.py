"""``N_``: marks a message a step shows for the bridge's catalogue (``make messages``).

The engine speaks English and never translates (it knows nothing of requests or languages): a
step's errors, labels and deny messages are English text that the web layer looks up in the
person's language, falling back to the English.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message
