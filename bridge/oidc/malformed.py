"""Malformed protocol input: answered with an OAuth error, never a server error.

Authlib builds some error descriptions from request parameters (an unregistered redirect URI,
an unknown response type) and refuses, with a ``ValueError``, a description holding characters
RFC 6749 §4.1.2.1 forbids there (``"``, ``\\``, controls, non-ASCII). The bridge echoes such a
parameter percent-encoded instead. Basic credentials that are not UTF-8 name no client, and a
client id with a NUL byte names none either (PostgreSQL refuses NUL in a query's text).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from authlib.oauth2.rfc6749 import authenticate_client

#: What RFC 6749 allows in ``error_description``.
_ALLOWED = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}
#: The most of a parameter an error description repeats.
MAX_ECHO = 200
#: The description of a request Authlib could not describe (the last line of defence).
MALFORMED = "The request has a malformed parameter."


def printable(value: str) -> str:
    """``value`` as an error description may carry it: forbidden characters percent-encoded."""
    value = value[:MAX_ECHO]
    return "".join(c if c in _ALLOWED else quote(c, safe="") for c in value)


def plausible_client_id(client_id: str) -> bool:
    """Whether a client id from a request can name a client at all."""
    return "\x00" not in client_id


def authenticate_client_secret_basic(query_client: Any, request: Any) -> Any:
    """Authlib's ``client_secret_basic``, where credentials that are not UTF-8 name no client
    (the request then fails client authentication: 401 ``invalid_client``)."""
    try:
        return authenticate_client.authenticate_client_secret_basic(query_client, request)
    except UnicodeDecodeError:
        return None
