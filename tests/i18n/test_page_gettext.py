"""The templates' translation callables take the page's catalogue from the template context
(``bridge.web.page_gettext``, issue 16): what a template shows is what Flask-Babel's own
callables showed, in the page's language, including where a template has no page context."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_babel import gettext, ngettext

from bridge.web.page_gettext import PAGE_TRANSLATIONS

PAGE = (
    '{{ _("Sign in") }}|{{ gettext("Log in with %(provider)s", provider="<b>&") }}|'
    '{{ ngettext("Ask your administrator to unlock your account:", '
    '"Ask one of your administrators to unlock your account:", 2) }}|'
    "{% trans client='<i>' %}to {{ client }}{% endtrans %}"
)


def rendered(app: Flask, language: str, source: str) -> str:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return render_template_string(source)


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_page_shows_what_flask_babels_callables_show(app: Flask, language: str) -> None:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        expected = "|".join(
            [
                gettext("Sign in"),
                gettext("Log in with %(provider)s", provider="&lt;b&gt;&amp;"),
                ngettext(
                    "Ask your administrator to unlock your account:",
                    "Ask one of your administrators to unlock your account:",
                    2,
                ),
                gettext("to %(client)s", client="&lt;i&gt;"),
            ]
        )
    assert rendered(app, language, PAGE) == expected


def test_a_german_page_is_german(app: Flask) -> None:
    assert rendered(app, "de", '{{ _("Sign in") }}') == "Anmelden"


def test_the_page_context_carries_the_catalogue(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        context: dict[str, object] = {}
        app.update_template_context(context)
        assert context[PAGE_TRANSLATIONS] is not None


def test_a_macro_imported_without_context_translates_in_the_pages_language(app: Flask) -> None:
    macros = app.jinja_env.from_string('{% macro word() %}{{ _("Sign in") }}{% endmacro %}')
    source = "{% import macros as m %}{{ m.word() }}"
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert render_template_string(source, macros=macros) == "Anmelden"
