"""Pages every blueprint shows."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, make_response, render_template

from bridge.domain.wording import renamed
from bridge.web.language import translated

log = logging.getLogger(__name__)


def organisation_name(name: str, value: Any) -> Any:
    """For ``renamed``: an ``org`` value (a slug, as the services say it) as the organisation's
    name, when there is one; any other value as it is. A name is a courtesy: when it cannot be
    read (an outage), the slug stays."""
    state = current_app.extensions.get("bridge")
    if name != "org" or not isinstance(value, str) or state is None:
        return value
    try:
        found = state.services.explanations.organisation_name(value)
    except Exception:  # the page that says what went wrong must not fail itself
        log.debug("the name of the organisation %r could not be read", value, exc_info=True)
        return value
    return found or value


def error_page(
    title: str,
    message: str,
    status: int = 400,
    *,
    template: str = "error.html",
    code: str | None = None,
    contacts: list[str] | None = None,
) -> Response:
    """A plain error page: what happened and what to do, never a redirect. Views raise a
    ``bridge.domain.errors`` error instead; ``bridge.web.errors`` renders it with this. The
    title and message are English; the page shows them in its language, an organisation by
    its name."""
    page = render_template(
        template,
        title=translated(title),
        message=translated(renamed(message, organisation_name)),
        code=code,
        contacts=contacts or [],
    )
    return make_response(page, status)
