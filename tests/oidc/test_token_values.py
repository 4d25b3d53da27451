"""Codes and tokens: Authlib's lengths (code and refresh token 48 characters, access token 42),
URL-safe characters drawn from the operating system's CSPRNG, never one value twice."""

from __future__ import annotations

import re

import pytest

from bridge.oidc.server import random_token
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_login

URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@pytest.mark.parametrize("length", [1, 2, 3, 4, 42, 48, 64])
def test_a_random_token_has_the_length_asked_for(length: int) -> None:
    values = {random_token(length) for _ in range(50)}
    assert all(len(value) == length and URL_SAFE.fullmatch(value) for value in values)
    if length >= 4:
        assert len(values) == 50


def test_codes_and_tokens_keep_their_lengths(live: LiveBridge, rp: RelyingParty) -> None:
    request, params = first_login(live, rp, Browser(), "lengths")
    code = params["code"]
    assert len(code) == 48 and URL_SAFE.fullmatch(code)
    tokens = rp.exchange(code, request.verifier).json()
    refreshed = rp.refresh(tokens["refresh_token"]).json()
    for issued in (tokens, refreshed):
        assert len(issued["access_token"]) == 42 and URL_SAFE.fullmatch(issued["access_token"])
        assert len(issued["refresh_token"]) == 48 and URL_SAFE.fullmatch(issued["refresh_token"])
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"] != tokens["refresh_token"]
