"""Input no page or endpoint can use is refused before any view sees it, never with a 5xx: NUL
bytes (400), a ``claims`` parameter nested too deep (``invalid_request``), a CSRF token that
is not ASCII (the form has expired); and a hypothesis fuzz test over the login pages,
``/revoke``, ``/introspect`` and ``/userinfo``. ``/authorize`` and ``/token`` are fuzzed in
tests/oidc/test_malformed_requests.py; the admin API's bodies in tests/admin."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from bridge.services.container import Services
from tests.oidc.test_malformed_requests import (
    CALLBACK,
    FUZZ,
    authorization_params,
    mutated,
    odd,
)


@pytest.fixture
def client_id(services: Services) -> str:
    return services.clients.add("App", [CALLBACK])[0].id


@pytest.fixture
def login_path(client: FlaskClient, client_id: str) -> str:
    """A login in progress in ``client``'s browser: the path of its password page."""
    response = client.get("/authorize", query_string=authorization_params(client_id))
    assert response.status_code == 302
    return urlsplit(response.headers["Location"]).path


def hidden_fields(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden fields of the page's form (``csrf_token``, the step's ``path``)."""
    soup = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    return {str(i["name"]): str(i["value"]) for i in soup.select("form input[type=hidden]")}


def csrf_of(client: FlaskClient, path: str) -> str:
    return hidden_fields(client, path)["csrf_token"]


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_a_nul_byte_in_a_query_string_or_form_is_a_400(
    client: FlaskClient, login_path: str
) -> None:
    assert client.get(login_path, query_string={"x": "a\x00"}).status_code == 400
    form = {"csrf_token": csrf_of(client, login_path), "username": "a\x00", "password": "p"}
    page = client.post(login_path, data=form)
    assert page.status_code == 400 and "NUL byte" in page.get_data(as_text=True)
    revoke = client.post("/revoke", data={"token": "t\x00"}, auth=("app", "secret"))
    assert revoke.status_code == 400 and revoke.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("query", ["x%00=a", "x=a%00b&y=c", "x=a\x00b", "y=1&x\x00=2"])
def test_a_nul_byte_anywhere_in_the_query_is_a_400(
    client: FlaskClient, login_path: str, query: str
) -> None:
    """Escaped or raw, in a name or a value: the query is refused (the check parses the
    arguments only when the raw query holds a NUL or its escape)."""
    page = client.get(login_path, query_string=query)
    assert page.status_code == 400 and "NUL byte" in page.get_data(as_text=True)


def test_good_input_still_reaches_the_login_page(client: FlaskClient, login_path: str) -> None:
    form = {**hidden_fields(client, login_path), "username": "nobody", "password": "p"}
    page = client.post(login_path, data=form, follow_redirects=True)
    assert page.status_code == 200
    assert "username or password" in page.get_data(as_text=True).lower()


@pytest.mark.parametrize("token", ["é", "\u2028" * 64, "a" * 63 + "é"], ids=repr)
def test_a_csrf_token_that_is_not_ascii_is_an_expired_form(
    client: FlaskClient, login_path: str, token: str
) -> None:
    page = client.post(login_path, data={"csrf_token": token, "username": "u", "password": "p"})
    assert page.status_code == 400
    assert "This form has expired" in page.get_data(as_text=True)


def test_a_claims_parameter_nested_a_thousand_levels_deep_is_invalid_request(
    client: FlaskClient, client_id: str
) -> None:
    claims = '{"userinfo": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.get("/authorize", query_string=authorization_params(client_id, claims=claims))
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["Location"]).query)
    assert params["error"] == ["invalid_request"]
    assert "nested at most 32 levels" in params["error_description"][0]


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_no_login_page_submission_ends_in_a_server_error(
    client: FlaskClient, login_path: str
) -> None:
    hidden = hidden_fields(client, login_path)

    @FUZZ
    @given(
        form=st.fixed_dictionaries(
            {"csrf_token": mutated(hidden["csrf_token"]), "path": mutated(hidden["path"])},
            optional={
                "username": mutated("jane"),
                "password": mutated("secret"),
                "code": mutated("123456"),
                "trust": mutated("yes"),
                "trust_offered": mutated("1"),
                "try_another_way": mutated("0"),
                "saved": mutated("yes"),
            },
        ),
        query=st.dictionaries(odd, odd, max_size=2),
        method=st.sampled_from(["GET", "POST"]),
    )
    def no_server_error(form: dict[str, str | None], query: dict[str, str], method: str) -> None:
        sent = {k: v for k, v in form.items() if v is not None}
        if method == "GET":
            response = client.get(login_path, query_string={**query, **sent})
        else:
            response = client.post(login_path, data=sent, query_string=query)
        assert response.status_code < 500, (sent, query, response.get_data(as_text=True)[:500])

    no_server_error()


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
@pytest.mark.parametrize("path", ["/revoke", "/introspect", "/userinfo"])
def test_no_token_side_request_ends_in_a_server_error(
    client: FlaskClient, client_id: str, path: str
) -> None:
    @FUZZ
    @given(
        form=st.fixed_dictionaries(
            {},
            optional={
                "token": mutated("t" * 40),
                "token_type_hint": mutated("refresh_token"),
                "access_token": mutated("a" * 40),
                "client_id": mutated(client_id),
                "client_secret": odd,
            },
        ),
        query=st.dictionaries(odd, odd, max_size=2),
        authorization=st.one_of(st.none(), odd.map(lambda t: "Bearer " + t), odd),
        method=st.sampled_from(["GET", "POST"]),
    )
    def no_server_error(
        form: dict[str, str | None], query: dict[str, str], authorization: str | None, method: str
    ) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        sent = {k: v for k, v in form.items() if v is not None}
        response = client.open(path, method=method, data=sent, query_string=query, headers=headers)
        assert response.status_code < 500, (sent, query, headers, response.status_code)

    no_server_error()
