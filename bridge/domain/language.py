"""Which language a person sees: the order of the hints, with no I/O and no HTTP (issue 13).

In order: the application's ``ui_locales`` (OIDC Core 3.1.2.1, from the authorization request),
the person's saved choice, the browser's ``Accept-Language``, the organisation's default, the
configured default. English is the fallback of every message that has no translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: The languages of the pages and mails; English first, the fallback of every message.
LANGUAGES = ("en", "de")
#: Their names in their own language, for the language choice on the account page.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


def supported(tag: str | None) -> str | None:
    """The supported language of a BCP 47 tag (``de-AT`` is ``de``), or None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def first_supported(tags: Iterable[str]) -> str | None:
    """The first of ``tags`` that is supported, or None."""
    for tag in tags:
        if (language := supported(tag)) is not None:
            return language
    return None


@dataclass(frozen=True)
class Known:
    """A hint the request has read already: ``value`` is what it found (None: not set)."""

    value: str | None


@dataclass(frozen=True)
class LanguageHints:
    """What a page knows about whom it is for: the application's ``ui_locales`` (space
    separated, as sent), the person and the organisation of the login, when known.

    ``saved`` and ``organisation``: the person's saved language and the organisation's
    default (as ``Languages.saved`` and ``Languages.of_organisation`` answer for ``user_id``
    and ``org_id``) when the request has read them already (a login's subject); None: ask."""

    ui_locales: str | None = None
    user_id: str | None = None
    org_id: str | None = None
    saved: Known | None = None
    organisation: Known | None = None


def choose_language(
    *,
    ui_locales: str | None,
    saved: Callable[[], str | None],
    accepted: Callable[[], str | None],
    organisation: Callable[[], str | None],
    default: str,
) -> str:
    """The first hint that names a supported language; each is asked only when needed."""
    if (language := first_supported((ui_locales or "").split())) is not None:
        return language
    for hint in (saved, accepted, organisation):
        if (language := supported(hint())) is not None:
            return language
    return supported(default) or LANGUAGES[0]
