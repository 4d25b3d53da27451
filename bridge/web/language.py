"""The language of each page (issue 13): Flask-Babel, the locale selector, template helpers.

The order of the hints is the domain's (``bridge.domain.language.choose_language``): the
application's ``ui_locales``, the person's saved choice, ``Accept-Language``, the organisation's
default, ``ui.language``. A view that knows more than the request (a login page knows its
authorization request, person and organisation) tells it with ``remember(hints)``; otherwise the
signed-in person of the bridge session, if any, is the person.

Messages of the domain, the services and the flow engine arrive in English; templates show them
with the ``translated`` filter, which looks them up in the catalogue (``bridge/translations``)
and falls back to the English. Looking a hint up never breaks a page: an unreachable store (the
503 page itself is rendered in some language) only skips that hint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, get_locale, get_translations, gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from bridge.domain.language import LANGUAGE_NAMES, LANGUAGES, LanguageHints, choose_language
from bridge.domain.wording import translate
from bridge.web import page_gettext, zone
from bridge.web.page_gettext import PAGE_TRANSLATIONS, page_translations

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def remember(hints: LanguageHints) -> None:
    """What this request's page knows of its application, person and organisation."""
    g.language_hints = hints


def current_language() -> str:
    """The language of this request's page (``en`` outside a request)."""
    locale = get_locale()
    return LANGUAGES[0] if locale is None else str(locale.language)


def translated(message: Any, lookup: Callable[[str], str] = gettext) -> str:
    """An English message (a flow step's error, a refusal's text) in the page's language; the
    English itself in an app without the catalogues (a bare Flask app in tests). ``lookup``
    translates one message (Flask-Babel's ``gettext`` unless a template has the catalogue)."""
    if message is None:
        return ""
    if isinstance(message, Markup):
        return message
    text = message if isinstance(message, str) else str(message)
    if "babel" not in current_app.extensions:
        return text
    return translate(text, lookup)


@pass_context
def _translated_on_page(context: Context, message: Any) -> str:
    """The ``translated`` filter: ``translated``, with the page's catalogue."""
    return translated(message, lambda text: str(page_translations(context).ugettext(text)))


def _quietly(lookup: Any, *args: Any) -> str | None:
    try:
        answer = lookup(*args)
    except Exception:  # an outage or a broken record must not take the page with it
        log.debug("a language hint could not be read", exc_info=True)
        return None
    return answer if isinstance(answer, str) else None


def _signed_in_user_id() -> str | None:
    from bridge.login.visit import session_token  # the login layer imports this module's users

    s = current_app.extensions["bridge"].services
    session = s.sessions.get(session_token())
    return None if session is None else str(session.user_id)


def select_language() -> str:
    """Flask-Babel's locale selector: the language of this request's page."""
    hints: LanguageHints = g.get("language_hints") or LanguageHints()
    state = current_app.extensions.get("bridge")
    if state is None:  # an app without its services (only in tests of the web shell)
        found = request.accept_languages.best_match(LANGUAGES)
        return found or LANGUAGES[0]
    s = state.services
    user_id = hints.user_id or _quietly(_signed_in_user_id)
    # What the page's request read already (a login's subject) is not asked again.
    known_saved = hints.saved if hints.user_id is not None else None
    known_org = hints.organisation if hints.user_id is not None else None

    def saved() -> str | None:
        if known_saved is not None:
            return known_saved.value
        return None if user_id is None else _quietly(s.languages.saved, user_id)

    def organisation() -> str | None:
        if known_org is not None:
            return known_org.value
        if hints.org_id is None and user_id is None:
            return None  # nobody to ask about: no database session for a stranger's page
        return _quietly(s.languages.of_organisation, hints.org_id, user_id)

    return choose_language(
        ui_locales=hints.ui_locales,
        saved=saved,
        accepted=lambda: request.accept_languages.best_match(LANGUAGES),
        organisation=organisation,
        default=s.settings.ui.language,
    )


def install(app: Flask) -> None:
    """Flask-Babel with the bridge's catalogues, the ``translated`` filter, the page's
    ``page_language`` in every template, and ``Vary: Accept-Language`` on every page."""
    Babel(
        app,
        locale_selector=select_language,
        default_locale=LANGUAGES[0],
        default_translation_directories=str(TRANSLATIONS),
    )
    page_gettext.install(app.jinja_env)  # the page's catalogue, looked up once per page
    app.jinja_env.filters["translated"] = _translated_on_page
    zone.install(app)  # times in the browser's time zone, in the page's language
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {
            "page_language": current_language(),
            "language_names": LANGUAGE_NAMES,
            PAGE_TRANSLATIONS: get_translations(),
        }

    @app.after_request
    def _vary(response: Response) -> Response:
        if response.mimetype == "text/html":
            headers = response.headers
            if "Vary" in headers:
                response.vary.add("Accept-Language")
            else:  # what ``vary.add`` writes, without parsing and writing back a header set
                headers["Vary"] = "Accept-Language"
        return response
