"""The admin API through Flask's test client, with bearer tokens the bridge issued (the ``api``
fixture in ``tests/conftest.py`` is one on the test's ``services``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bridge.oidc.tokens import CodeData
from bridge.services.container import Services

API = "/admin/api/v1"


@dataclass
class Api:
    client: FlaskClient
    services: Services
    client_id: str

    def token(self, username: str, scope: str = "openid admin") -> str:
        """An access token as the token endpoint would issue it to this user."""
        user = self.services.users.find(username)
        assert user is not None
        code = CodeData(
            client_id=self.client_id,
            redirect_uri="http://127.0.0.1:9/callback",
            scope=scope,
            user_id=user.id,
            auth_time=int(self.services.clock()),
            amr=["pwd", "otp"],
            acr=None,
            nonce=None,
            code_challenge=None,
            code_challenge_method=None,
        )
        self.services.tokens.open_grant(code)
        token = secrets.token_urlsafe(32)
        self.services.tokens.store_tokens(
            code.grant_id,
            client_id=self.client_id,
            user_id=user.id,
            scope=scope,
            access_token=token,
            refresh_token=None,
        )
        return token

    def call(
        self, method: str, path: str, as_user: str | None, json: Any = None, **kw: Any
    ) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token(as_user)}"} if as_user else {}
        return self.client.open(f"{API}{path}", method=method, headers=headers, json=json, **kw)

    def get(self, path: str, as_user: str) -> TestResponse:
        return self.call("GET", path, as_user)

    def patch(self, path: str, as_user: str, json: Any) -> TestResponse:
        return self.call("PATCH", path, as_user, json)

    def post(self, path: str, as_user: str, json: Any = None) -> TestResponse:
        return self.call("POST", path, as_user, json)


def assert_problem(response: TestResponse, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["type"] == f"urn:bridge:problem:{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body
