"""Pages every blueprint shows."""

from __future__ import annotations

from flask import render_template


def error_page(title: str, message: str, status: int = 400) -> tuple[str, int]:
    """A plain error page: what happened and what to do, never a redirect."""
    return render_template("error.html", title=title, message=message), status
