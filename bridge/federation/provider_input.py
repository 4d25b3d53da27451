"""An admin's description of a provider, checked by the configuration's own validators.

The body of ``POST``/``PATCH .../identity-providers`` mirrors ``IdentityProviderSettings``:
it is validated by that model, so the configuration file and the admin API accept and refuse
the same aliases, issuers, scopes, algorithms (never ``none``, never HMAC), domains and claims.
``client_secret`` is the one field the file never holds: it is checked here and never echoed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bridge.config.providers import IdentityProviderSettings
from bridge.domain.wording import N_, Phrase
from bridge.services.orgs.errors import InvalidInput

#: What a body may hold. ``client_secret`` is write-only.
FIELDS = (
    "alias",
    "issuer",
    "client_id",
    "client_secret",
    "display_name",
    "scopes",
    "domains",
    "claims",
    "link_by_verified_email",
    "trusted_amr",
    "algorithms",
    "timeout",
    "metadata_ttl",
    "max_clock_skew",
)
REQUIRED = ("alias", "issuer", "client_id")
#: Column sizes (bridge.storage.db.models.IdentityProviderRecord) and list sizes.
MAX_LENGTH = {"issuer": 2048, "client_id": 255, "display_name": 200, "client_secret": 1024}
MAX_ITEMS = {"scopes": 20, "domains": 100, "algorithms": 9}
MAX_WORD = 255  # a scope or a claim name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ProviderInput:
    """A valid provider description; ``secret_given`` tells whether the body named a secret."""

    settings: IdentityProviderSettings
    client_secret: str | None
    secret_given: bool


def refuse_unknown(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(N_("Send a JSON object with the provider's fields."))
    unknown = sorted(map(str, set(raw) - set(FIELDS)))
    if unknown:
        raise InvalidInput(
            Phrase(
                "Unknown field(s): %(unknown)s. Known: %(known)s.",
                unknown=", ".join(unknown),
                known=", ".join(FIELDS),
            ),
            field=unknown[0],
        )
    return dict(raw)


def _secret(value: Any) -> str | None:
    if value is None:
        return None  # a public client: PKCE only
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_LENGTH["client_secret"]
        or _CONTROL.search(value)
    ):
        raise InvalidInput(
            Phrase(
                "'%(field)s' must be null (a public client) or 1-1024 printable characters.",
                field="client_secret",
            ),
            field="client_secret",
        )
    return value


def _check_sizes(data: dict[str, Any]) -> None:
    """What the columns can hold, and no control characters (PostgreSQL refuses NUL)."""
    for name, limit in MAX_LENGTH.items():
        value = data.get(name)
        if isinstance(value, str) and len(value) > limit and name != "client_secret":
            raise InvalidInput(too_long(name, limit), field=name)
    for name, limit in MAX_ITEMS.items():
        value = data.get(name)
        if isinstance(value, list | tuple) and len(value) > limit:
            raise InvalidInput(
                Phrase("'%(field)s' must hold at most %(most)s entries.", field=name, most=limit),
                field=name,
            )
    scopes = data.get("scopes")
    words: list[tuple[str, Any]] = (
        [("scopes", s) for s in scopes] if isinstance(scopes, list | tuple) else []
    )
    claims = data.get("claims")
    if isinstance(claims, dict):
        words += [(f"claims.{k}", v) for k, v in claims.items()]
    for name, value in words:
        if isinstance(value, str) and len(value) > MAX_WORD:
            raise InvalidInput(too_long(name, MAX_WORD), field=name)
    for name, value in data.items():
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, list | tuple):
            texts = [v for v in value if isinstance(v, str)]
        if isinstance(value, dict):
            texts = [v for v in [*value, *value.values()] if isinstance(v, str)]
        if any(_CONTROL.search(text) for text in texts):
            raise InvalidInput(
                Phrase("'%(field)s' must not contain control characters.", field=name), field=name
            )


def too_long(name: str, most: int) -> Phrase:
    return Phrase("'%(field)s' must be at most %(most)s characters.", field=name, most=most)


def _problem(error: Any) -> str:
    """What is wrong with the field, in the validator's words: its ``Phrase`` when it raised
    one (so a page can translate it), else pydantic's English message."""
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, ValueError) and raised.args and isinstance(raised.args[0], Phrase):
        return raised.args[0]
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def parse_provider(raw: dict[str, Any], organisation: str) -> ProviderInput:
    """Validate a whole description (a new provider, or a stored one with changes applied)."""
    missing = [name for name in REQUIRED if name not in raw]
    if missing:
        raise InvalidInput(
            Phrase("A provider needs %(missing)s.", missing=", ".join(repr(m) for m in missing)),
            field=missing[0],
        )
    data = {name: value for name, value in raw.items() if name != "client_secret"}
    secret = _secret(raw.get("client_secret"))
    _check_sizes(data)
    try:
        settings = IdentityProviderSettings.model_validate({**data, "organisation": organisation})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        field = field or "body"
        raise InvalidInput(
            Phrase("'%(field)s' %(problem)s.", field=field, problem=_problem(error)), field=field
        ) from None
    return ProviderInput(settings, secret, "client_secret" in raw)


def settings_fields(settings: IdentityProviderSettings) -> dict[str, Any]:
    """The body fields of a valid description, as JSON values (for diffs and responses)."""
    return {
        "alias": settings.alias,
        "issuer": settings.issuer,
        "client_id": settings.client_id,
        "display_name": settings.display_name,
        "scopes": list(settings.scopes),
        "domains": sorted(settings.domains),
        "claims": settings.claims.model_dump(),
        "link_by_verified_email": settings.link_by_verified_email,
        "trusted_amr": settings.trusted_amr,
        "algorithms": list(settings.algorithms),
        "timeout": settings.timeout,
        "metadata_ttl": settings.metadata_ttl,
        "max_clock_skew": settings.max_clock_skew,
    }
