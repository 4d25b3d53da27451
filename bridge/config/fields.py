"""The building blocks of the settings models: the frozen section base, strict scalar types, range
checks, and the issuer and loopback checks that several sections share."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict

from bridge.domain.wording import Phrase

__all__ = ["Bool", "Int", "Section", "Text", "between", "check_issuer", "is_loopback"]

_LOOPBACK_NAMES = frozenset({"localhost"})


def between(low: int, high: int) -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(Phrase("must be between %(low)s and %(high)s", low=low, high=high))
        return value

    return AfterValidator(check)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError(Phrase("must not be empty"))
    return value


Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Text = Annotated[str, Strict(), AfterValidator(_non_empty)]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def check_issuer(value: str) -> str:
    if re.search(r"[\s?#]", value):
        raise ValueError(Phrase("must be an absolute URL without spaces, query or fragment"))
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(Phrase("must be an absolute http:// or https:// URL"))
    if parts.username is not None or parts.password is not None:
        raise ValueError(Phrase("must not contain a user name or password"))
    try:
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError:
        raise ValueError(Phrase("has an invalid port")) from None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            Phrase("must use https:// (http:// is allowed only for localhost and loopback)")
        )
    return value.rstrip("/")


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
