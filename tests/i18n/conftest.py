"""Helpers of the language tests: a browser that says which languages it reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.harness import Browser


@pytest.fixture
def reading() -> Iterator[Callable[[str], Browser]]:
    """``reading("de")``: a scripted browser sending ``Accept-Language: de``."""
    made: list[Browser] = []

    def make(accept_language: str) -> Browser:
        browser = Browser()
        browser.http.headers["Accept-Language"] = accept_language
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.http.close()
