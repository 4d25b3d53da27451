"""Malformed requests to /authorize and /token get the documented error, never a 5xx."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.services.container import Services

CALLBACK = "http://127.0.0.1:9/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
NASTY = ['"', "\\", "\x00", "\t", "é", "\u2028", "%", "'", "<script>", "\x7f", " "]


def authorization_params(client_id: str, **change: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(change)
    return params


@pytest.fixture
def client_id(services: Services) -> str:
    return services.clients.add("App", [CALLBACK])[0].id


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
@pytest.mark.parametrize("bad", NASTY, ids=repr)
def test_an_unregistered_redirect_uri_with_any_character_gets_the_error_page(
    client: FlaskClient, client_id: str, bad: str
) -> None:
    response = client.get(
        "/authorize", query_string=authorization_params(client_id, redirect_uri=CALLBACK + bad)
    )
    assert response.status_code == 400
    assert "Location" not in response.headers, "never redirect to an unregistered URI"
    assert "is not supported by client" in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ['code"', "code\\", "code\x00", "codé", "token"], ids=repr)
def test_an_unsupported_response_type_is_sent_back_to_the_registered_redirect_uri(
    client: FlaskClient, client_id: str, bad: str
) -> None:
    response = client.get(
        "/authorize", query_string=authorization_params(client_id, response_type=bad)
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == "s1"
    assert "is not supported" in params["error_description"]


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_a_client_id_with_a_nul_byte_is_an_unknown_client(client: FlaskClient) -> None:
    page = client.get("/authorize", query_string=authorization_params("app\x00"))
    assert page.status_code == 400 and "client does not exist" in page.get_data(as_text=True)
    token = client.post(
        "/token", data={"grant_type": "authorization_code", "code": "c", "client_id": "app\x00"}
    )
    assert token.status_code == 400 and token.get_json()["error"] == "invalid_client"
    basic = client.post(
        "/token", data={"grant_type": "authorization_code", "code": "c"}, auth=("app\x00", "s")
    )
    assert basic.status_code == 401 and basic.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "credentials", [b"\xff\xfe:\x80", b"app:\xff", b"\xc3(:secret"], ids=["both", "secret", "id"]
)
def test_basic_credentials_that_are_not_utf8_fail_client_authentication(
    client: FlaskClient, credentials: bytes
) -> None:
    response = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "c"},
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


# --- fuzzing --------------------------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
odd = st.one_of(st.sampled_from(NASTY), texts)


def mutated(valid: str) -> st.SearchStrategy[str | None]:
    """A parameter's valid value, left out, replaced, or with something odd appended."""
    return st.one_of(
        st.just(valid),
        st.none(),
        odd,
        odd.map(lambda extra: valid + extra),
    )


FUZZ = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_no_authorization_request_ends_in_a_server_error(
    client: FlaskClient, client_id: str
) -> None:
    @FUZZ
    @given(
        params=st.fixed_dictionaries(
            {name: mutated(value) for name, value in authorization_params(client_id).items()},
            optional={
                "prompt": mutated("none"),
                "max_age": mutated("60"),
                "claims": mutated('{"id_token": {"acr": {"values": ["urn:bridge:loa:2"]}}}'),
                "acr_values": mutated("urn:bridge:loa:2"),
                "login_hint": mutated("jane@example.com"),
                "id_token_hint": mutated("e30.e30.sig"),
                "nonce": mutated("n"),
            },
        ),
        method=st.sampled_from(["GET", "POST"]),
    )
    def no_server_error(params: dict[str, str | None], method: str) -> None:
        sent = {k: v for k, v in params.items() if v is not None}
        if method == "GET":
            response = client.get("/authorize", query_string=sent)
        else:
            response = client.post("/authorize", data=sent)
        assert response.status_code < 500, (sent, response.get_data(as_text=True)[:500])
        location = response.headers.get("Location", "")
        assert not location or location.startswith(("/login/", CALLBACK + "?")), location

    no_server_error()


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_no_token_request_ends_in_a_server_error(client: FlaskClient, client_id: str) -> None:
    credentials = st.one_of(
        st.none(),
        st.binary(max_size=30).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
        odd.map(lambda text: "Basic " + text),
        st.tuples(mutated(client_id), odd).map(
            lambda pair: "Basic " + base64.b64encode(f"{pair[0] or ''}:{pair[1]}".encode()).decode()
        ),
    )

    @FUZZ
    @given(
        data=st.fixed_dictionaries(
            {
                "grant_type": st.one_of(
                    st.sampled_from(["authorization_code", "refresh_token"]), odd
                )
            },
            optional={
                "code": mutated("c" * 40),
                "redirect_uri": mutated(CALLBACK),
                "code_verifier": mutated("v" * 43),
                "refresh_token": mutated("r" * 40),
                "client_id": mutated(client_id),
                "client_secret": odd,
                "scope": mutated("openid"),
            },
        ),
        authorization=credentials,
    )
    def no_server_error(data: dict[str, str | None], authorization: str | None) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        sent = {k: v for k, v in data.items() if v is not None}
        response = client.post("/token", data=sent, headers=headers)
        assert response.status_code < 500, (sent, headers, response.get_data(as_text=True)[:500])
        assert response.is_json

    no_server_error()
