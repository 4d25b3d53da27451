"""Client ids are typed as command-line arguments, so none starts with a dash."""

from __future__ import annotations

import pytest

from bridge.services import clients


def test_a_client_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-starts-with-a-dash", "-again", "fine_id-with-dash"])
    monkeypatch.setattr(clients.secrets, "token_urlsafe", lambda _bytes: next(drawn))
    assert clients.new_client_id() == "fine_id-with-dash"
