"""Debian's Chromium driven by Playwright: the browser every UI test uses.

Playwright's own browser download cannot work here, so tests launch ``/usr/bin/chromium`` with the
flags that keep it off the network. One browser process per test module; each test gets fresh
contexts (their own cookie jars), so no state passes from one test to the next. Imported as a
pytest plugin by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """The module's Chromium process (a test opens its own contexts in it)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A page in a context of its own: an empty cookie jar."""
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()
