"""``otpauth://totp/...`` URIs (Google Authenticator's Key Uri Format), as Authelia exports them
and the generic import reads them."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs, unquote, urlsplit

from bridge.services.imports.records import ImportedTotp

ALGORITHMS = {"SHA1": "SHA1", "SHA256": "SHA256", "SHA512": "SHA512"}


def decode_base32(text: str, *, what: str = "secret") -> bytes:
    cleaned = text.replace(" ", "").upper()
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"the {what} is not valid base32") from error


def parse_otpauth(uri: str) -> tuple[str | None, ImportedTotp]:
    """The account name of the label (after ``issuer:``), and the authenticator."""
    parts = urlsplit(uri.strip())
    if parts.scheme != "otpauth":
        raise ValueError("not an otpauth:// URI")
    if parts.netloc != "totp":
        raise ValueError(f"otpauth type {parts.netloc!r} is not totp")
    label = unquote(parts.path.lstrip("/"))
    account = label.split(":", 1)[1].strip() if ":" in label else label.strip()
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if "secret" not in query:
        raise ValueError("the otpauth URI has no secret")
    algorithm = query.get("algorithm", "SHA1").upper()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"otpauth algorithm {algorithm!r} is not SHA1, SHA256 or SHA512")
    try:
        digits = int(query.get("digits", "6"))
        period = int(query.get("period", "30"))
    except ValueError as error:
        raise ValueError("otpauth digits and period must be numbers") from error
    secret = decode_base32(query["secret"])
    return account or None, ImportedTotp(
        secret=secret, algorithm=ALGORITHMS[algorithm], digits=digits, period=period
    )
