"""Levels of assurance: what ``acr_values`` (or an ``acr`` claim request) asks for, and what a
finished login earned.

A level (``flows.acr_levels`` in the settings) names how many distinct factors a login must
have proven and, optionally, how old it may be. The login request tells the flow how many
factors are needed (so an existing session with fewer does not count, and the flow can ask
for more); when the flow ends, the level is computed from what actually happened, the amr and
auth_time, never from what was asked. A request whose levels cannot be met gets the OIDC
error ``unmet_authentication_requirements``, never a token with a lower level.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from bridge.config.sections import AcrLevel
from flows.results import NOT_FACTORS

UNMET = "unmet_authentication_requirements"


class UnmetAcr(ValueError):  # noqa: N818 - reads as "raise UnmetAcr(...)"
    """The request asks only for levels this login did not (or cannot) reach."""

    error = UNMET


def requested_acr(params: Mapping[str, str]) -> tuple[str, ...]:
    """The acr values a request names: ``acr_values``, then ``claims`` → ``id_token.acr``.

    Raises ``ValueError`` for a ``claims`` parameter that is not the JSON object OIDC defines.
    """
    values = list(params.get("acr_values", "").split())
    raw = params.get("claims")
    if raw:
        try:
            claims = json.loads(raw)
        except ValueError:
            raise ValueError("'claims' must be a JSON object.") from None
        if not isinstance(claims, dict):
            raise ValueError("'claims' must be a JSON object.")
        id_token = claims.get("id_token") or {}
        acr = id_token.get("acr") if isinstance(id_token, dict) else None
        if isinstance(acr, dict):
            named = acr.get("values") or ([acr["value"]] if "value" in acr else [])
            if not isinstance(named, list) or not all(isinstance(v, str) for v in named):
                raise ValueError("'claims': id_token.acr values must be strings.")
            values.extend(named)
    return tuple(dict.fromkeys(values))


def requirement(levels: Sequence[AcrLevel], requested: Sequence[str]) -> tuple[int, int | None]:
    """(factors, max_age) the least demanding requested level needs; (0, None) when nothing
    is requested. ``UnmetAcr`` when only unknown levels are requested."""
    if not requested:
        return 0, None
    known = [level for level in levels if level.name in requested]
    if not known:
        supported = ", ".join(level.name for level in levels)
        raise UnmetAcr(f"None of the requested acr values is supported (supported: {supported}).")
    easiest = min(known, key=lambda level: (level.factors, -(level.max_age or 10**12)))
    return easiest.factors, easiest.max_age


def earned(
    levels: Sequence[AcrLevel], amr: Sequence[str], auth_time: int, now: int
) -> list[AcrLevel]:
    """Every level a login with these factors, authenticated at ``auth_time``, meets now."""
    factors = len(set(amr) - NOT_FACTORS)
    return [
        level
        for level in levels
        if factors >= level.factors and (level.max_age is None or now - auth_time <= level.max_age)
    ]


def settle(
    levels: Sequence[AcrLevel],
    requested: Sequence[str],
    amr: Sequence[str],
    auth_time: int,
    now: int,
) -> str | None:
    """The ``acr`` of a finished login: the most demanding level it earned among those
    requested (or among all, when none was). ``UnmetAcr`` when a request named levels and
    the login earned none of them."""
    met = earned(levels, amr, auth_time, now)
    if requested:
        met = [level for level in met if level.name in requested]
        if not met:
            raise UnmetAcr(
                "This login did not reach the requested level of assurance "
                f"({', '.join(requested)})."
            )
    if not met:
        return None
    return max(met, key=lambda level: level.factors).name
