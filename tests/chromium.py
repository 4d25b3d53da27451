"""Debian's Chromium driven by Playwright: the browser every UI test uses.

Playwright's own browser download cannot work here, so tests launch ``/usr/bin/chromium`` with the
flags that keep it off the network. One browser process per test module (its tests share an xdist
group, so they run in one worker); each test gets fresh contexts (their own cookie jars), so no
state passes from one test to the next. Imported as a pytest plugin by ``tests/conftest.py``.
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist (``--dist loadgroup``), the tests that use Chromium in one module go to one
    worker together, so each module still starts one browser, not one per worker."""
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            module = item.nodeid.split("::")[0]
            item.add_marker(pytest.mark.xdist_group(f"chromium:{module}"))


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
