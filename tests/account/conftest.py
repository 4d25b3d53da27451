"""The account pages run against the live bridge of the end-to-end tests."""

from tests.e2e.conftest import browser, browsers, live, rp  # noqa: F401 (fixtures)
