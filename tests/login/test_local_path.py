"""Where a finished login may send the browser on its own: paths on this server only."""

from __future__ import annotations

import pytest

from bridge.login.continuation import is_local_path


@pytest.mark.parametrize("path", ["/admin", "/admin/orgs/acme?tab=members", "/"])
def test_a_path_on_this_server_is_allowed(path: str) -> None:
    assert is_local_path(path)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "admin",
        "",
        None,
        42,
    ],
)
def test_anything_that_could_leave_the_server_is_refused(target: object) -> None:
    assert not is_local_path(target)
