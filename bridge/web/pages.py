"""Pages every blueprint shows."""

from __future__ import annotations

from flask import Response, make_response, render_template

from bridge.web.language import translated


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
    title and message are English; the page shows them in its language."""
    page = render_template(
        template,
        title=translated(title),
        message=translated(message),
        code=code,
        contacts=contacts or [],
    )
    return make_response(page, status)
