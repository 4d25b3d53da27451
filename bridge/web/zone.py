"""Times in the person's time zone (issue 13), with the zone shown.

``bridge/static/timezone.js`` puts the browser's IANA time zone
(``Intl.DateTimeFormat().resolvedOptions().timeZone``) in the ``tz`` cookie; the ``when`` filter
shows a stored (UTC) time in that zone, in the page's language, followed by the zone's name:
``2026-11-30 14:05 Europe/Berlin`` in English, ``30.11.2026, 14:05 (Europe/Berlin)`` in German.
A zone the server does not know, a garbage cookie or no cookie at all means UTC: never an error.

Each time is a ``<time datetime="...Z">`` that names its zone, with the layout it was written
in (``data-format``): on a page the server wrote in another zone than the browser's (the first
page a browser sees, before the script set the cookie), the script rewrites each in the
browser's zone, in the same layout. Without JavaScript the time stays in UTC, saying so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime
from flask import Flask, g, has_request_context, request
from markupsafe import Markup

from bridge.domain.clock import as_utc
from bridge.domain.language import LANGUAGES

TZ_COOKIE = "tz"
_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")

# The pattern (Unicode CLDR) of each precision and how the zone follows, per language. The
# script reads a pattern's yyyy, MM, dd, HH, mm and ss: use no other field.
_PATTERNS = {
    "en": {"day": "yyyy-MM-dd", "minute": "yyyy-MM-dd HH:mm", "second": "yyyy-MM-dd HH:mm:ss"},
    "de": {"day": "dd.MM.yyyy", "minute": "dd.MM.yyyy, HH:mm", "second": "dd.MM.yyyy, HH:mm:ss"},
}
_WITH_ZONE = {"en": "{when} {zone}", "de": "{when} ({zone})"}


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> tuple[str, tzinfo]:
    """The zone of that IANA name, or UTC for anything the server does not know."""
    if name and len(name) <= 64 and _NAME.fullmatch(name) and name in _known_zones():
        try:
            return name, ZoneInfo(name)
        except (ValueError, OSError):  # a zone file that vanished or does not parse
            pass
    return "UTC", UTC


def page_zone() -> tuple[str, tzinfo]:
    """This request's zone: the browser's ``tz`` cookie when it names a known zone, else UTC."""
    if not has_request_context():
        return "UTC", UTC
    found = g.get("page_zone")
    if found is None:
        found = g.page_zone = zone_named(request.cookies.get(TZ_COOKIE))
    return found  # type: ignore[no-any-return]


def _language() -> str:
    from bridge.web.language import current_language  # language imports this module

    language = current_language()
    return language if language in _PATTERNS else LANGUAGES[0]


def when(value: datetime | None, precision: str = "minute") -> Markup:
    """A stored time in the page's zone and language, the zone named, as a ``<time>`` the
    script can rewrite in the browser's zone (empty for none)."""
    if value is None:
        return Markup("")
    language = _language()
    name, zone = page_zone()
    pattern = _PATTERNS[language].get(precision, _PATTERNS[language]["minute"])
    moment = as_utc(value)
    text = format_datetime(moment, pattern, tzinfo=zone, locale=language)
    return Markup('<time datetime="{}" data-format="{}" data-zone="{}">{}</time>').format(
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        _WITH_ZONE[language].format(when=pattern, zone="{zone}"),
        name,
        _WITH_ZONE[language].format(when=text, zone=name),
    )


def install(app: Flask) -> None:
    """The ``when`` filter of the templates."""
    app.jinja_env.filters["when"] = when
