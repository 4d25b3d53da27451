"""The operator's brand on every page (``ui.*``, issue 13): the product name, a logo, colours
and the imprint and privacy links German sites must show.

Every template gets ``brand``; colours come as a small style sheet (``/branding.css``), so the
Content-Security-Policy keeps forbidding inline styles; a logo on another origin is allowed in
``img-src`` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app

from bridge.config.sections import UiSettings

#: The Content-Security-Policy of every response, with ``{img}`` the image sources.
CSP = "default-src 'self'; img-src {img}; frame-ancestors 'none'; base-uri 'none'"


@dataclass(frozen=True)
class Brand:
    product_name: str
    logo_url: str | None
    imprint_url: str | None
    privacy_url: str | None
    has_colours: bool


@lru_cache(maxsize=8)
def brand_of(ui: UiSettings) -> Brand:
    """The brand of these settings, made once per settings (every page shows it)."""
    return Brand(
        product_name=ui.product_name,
        logo_url=ui.logo_url,
        imprint_url=ui.imprint_url,
        privacy_url=ui.privacy_url,
        has_colours=ui.accent_colour is not None or ui.accent_colour_dark is not None,
    )


def _ui() -> UiSettings:
    state = current_app.extensions.get("bridge")
    return UiSettings() if state is None else state.services.settings.ui


def content_security_policy() -> str:
    """The policy of this app's responses: images from here, ``data:`` and the logo's origin."""
    return policy_for(_ui())


@lru_cache(maxsize=8)
def policy_for(ui: UiSettings) -> str:
    """``content_security_policy`` of an app with these settings (no app context needed);
    made once per settings, as every response carries it (the settings are frozen)."""
    sources = ["'self'", "data:"]
    logo = ui.logo_url
    if logo is not None and logo.startswith("https://"):
        parts = urlsplit(logo)
        sources.append(f"{parts.scheme}://{parts.netloc}")
    return CSP.format(img=" ".join(sources))


def branding_css() -> Response:
    """The configured accent colours as custom properties over ``bridge.css``."""
    ui = _ui()
    rules = []
    if ui.accent_colour is not None:
        rules.append(f":root {{ --accent: {ui.accent_colour}; }}")
    if ui.accent_colour_dark is not None:
        rules.append(
            "@media (prefers-color-scheme: dark) "
            f"{{ :root {{ --accent: {ui.accent_colour_dark}; }} }}"
        )
    response = Response("\n".join(rules) + "\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def install(app: Flask) -> None:
    app.add_url_rule("/branding.css", "branding_css", branding_css)

    @app.context_processor
    def _brand() -> dict[str, Any]:
        return {"brand": brand_of(_ui())}
