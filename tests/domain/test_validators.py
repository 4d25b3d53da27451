"""Each name's pattern is written once; the Python checks and the constrained types (used by the
admin API's models and its OpenAPI document) accept exactly the same names."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from bridge.domain import validators as v

SAMPLES = {
    (v.SLUG, v.Slug): ["acme", "a", "a-b", "-a", "a-", "A", "a" * 63, "a" * 64, "a.b", ""],
    (v.DOMAIN, v.Domain): [
        "example.com",
        "a.example",
        "Example.com",
        "example",
        "-a.example",
        "a..example",
        "x.c",
        f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 53}.example",  # 253 characters
        f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 54}.example",  # 254
        "example.com\n",
    ],
    (v.PROVIDER_ALIAS, v.ProviderAlias): [
        "okta",
        "acme-okta",
        "a_b",
        "a.b",
        "-a",
        "a" * 63,
        "a" * 64,
    ],
    (v.SSO_IDP_ALIAS, v.SsoIdpAlias): ["okta", "a.b", "A", "a" * 100, "a" * 101, ".a"],
    (v.KEY_ID, v.KeyId): ["k1", "K_1-x", "a" * 32, "a" * 33, "", "k.1"],
}


@pytest.mark.parametrize(
    ("pattern", "kind", "text"), [(p, k, t) for (p, k), ts in SAMPLES.items() for t in ts]
)
def test_a_pattern_and_its_type_agree(pattern: Any, kind: Any, text: str) -> None:
    try:
        TypeAdapter(kind).validate_python(text)
        typed = True
    except ValidationError:
        typed = False
    assert typed == bool(pattern.fullmatch(text)), text


def test_a_domain_is_trimmed_and_lowered_or_refused() -> None:
    assert v.normal_domain(" Example.COM ") == "example.com"
    assert v.normal_domain("example") is None
    assert v.normal_domain(3) is None


def test_a_provider_alias_is_stricter_than_what_a_policy_may_name() -> None:
    assert v.SSO_IDP_ALIAS.fullmatch("acme.okta") and not v.PROVIDER_ALIAS.fullmatch("acme.okta")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" Ada@Example.COM ", "Ada@example.com"),  # the domain in lower case, the local part kept
        ("ada+tag@mail.example.co.uk", "ada+tag@mail.example.co.uk"),
        ("o'brien@xn--bcher-kva.example", "o'brien@xn--bcher-kva.example"),
        ("a@b@example.com", None),
        ("ada", None),
        ("@example.com", None),
        ("ada@", None),
        ("ada@localhost", None),
        ("ada lovelace@example.com", None),
        ('"ada"@example.com', None),
        ("ada@exa mple.com", None),
        ("ada@ example.com", None),
        ("a" * 65 + "@example.com", None),
        ("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".com", None),  # > 254
        (None, None),
    ],
)
def test_an_email_address_is_a_local_part_and_a_domain(raw: object, normal: str | None) -> None:
    assert v.normal_email(raw) == normal
