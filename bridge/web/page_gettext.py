"""The templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` (issue 16).

Flask-Babel installs callables that find the request's locale and catalogue again for every
message, through half a dozen context-local lookups each, and Jinja wraps them in two more
calls (``_`` resolves ``gettext``, which calls Flask-Babel's callable). A page shows a dozen
messages: these callables take the page's catalogue from the template context, where the
context processor put it once per page (``PAGE_TRANSLATIONS``), and do what Jinja's new-style
wrappers do (``jinja2.ext._make_new_gettext``: the message marked safe when autoescaping, then
always formatted with its variables) in one call. Where a template has no page context (a macro
imported without context), the catalogue is looked up as Flask-Babel does.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: The template variable that holds the page's catalogue.
PAGE_TRANSLATIONS = "page_translations"


def page_translations(context: Context) -> Any:
    """The catalogue of the page the template renders."""
    found = context.get(PAGE_TRANSLATIONS)
    return get_translations() if found is None else found


def _formatted(context: Context, message: str, variables: dict[str, Any]) -> str:
    """What Jinja's new-style wrappers do with a translated message: mark it safe when the
    template autoescapes (a catalogue message is the template's own text), then always format
    it with its variables (which are escaped then)."""
    if context.eval_ctx.autoescape:
        message = Markup(message)  # noqa: S704 - the catalogue's text, as Jinja marks it
    return message % variables


@pass_context
def _gettext(__context: Context, __string: str, **variables: Any) -> str:
    rv = page_translations(__context).ugettext(__string)
    return _formatted(__context, rv, variables)


@pass_context
def _ngettext(
    __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
) -> str:
    variables.setdefault("num", __num)
    rv = page_translations(__context).ungettext(__singular, __plural, __num)
    return _formatted(__context, rv, variables)


@pass_context
def _pgettext(__context: Context, __string_ctx: str, __string: str, **variables: Any) -> str:
    variables.setdefault("context", __string_ctx)
    rv = page_translations(__context).upgettext(__string_ctx, __string)
    return _formatted(__context, rv, variables)


@pass_context
def _npgettext(
    __context: Context,
    __string_ctx: str,
    __singular: str,
    __plural: str,
    __num: int,
    **variables: Any,
) -> str:
    variables.setdefault("context", __string_ctx)
    variables.setdefault("num", __num)
    rv = page_translations(__context).unpgettext(__string_ctx, __singular, __plural, __num)
    return _formatted(__context, rv, variables)


def install(env: Environment) -> None:
    """Replace the callables Flask-Babel installed (new-style gettext, as Flask-Babel's)."""
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
