"""Static files under versioned URLs: the pages link each file with a hash of its content, and a
request for the current hash may be cached for a year (issue 16)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

from bridge.web.static import IMMUTABLE, StaticVersions
from bridge.web.static import install as install_static

STATIC = Path(__file__).resolve().parents[2] / "bridge" / "static"


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_every_static_file_is_linked_with_its_content_hash(app: Flask) -> None:
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    assert files
    with app.test_request_context():
        for path in files:
            name = path.relative_to(STATIC).as_posix()
            assert url_for("static", filename=name) == f"/static/{name}?v={_hash(path)}"


def test_a_page_links_its_style_sheet_by_version(client: FlaskClient) -> None:
    page = client.get("/authorize").get_data(as_text=True)  # the error page, on base.html
    (href,) = re.findall(r'href="(/static/bridge\.css[^"]*)"', page)
    assert href == f"/static/bridge.css?v={_hash(STATIC / 'bridge.css')}"
    with client.get(href) as response:  # closed: a static file's handle
        assert response.status_code == 200
        assert response.data == (STATIC / "bridge.css").read_bytes()
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_a_file_asked_without_its_current_hash_is_revalidated(client: FlaskClient) -> None:
    for path in ("/static/bridge.css", "/static/bridge.css?v=0123456789abcdef"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert response.data == (STATIC / "bridge.css").read_bytes()
            assert "immutable" not in response.headers.get("Cache-Control", ""), path
            assert response.headers["ETag"]


def test_a_missing_file_is_still_404(client: FlaskClient) -> None:
    assert client.get("/static/nothing.css?v=0123456789abcdef").status_code == 404
    assert client.get("/static/../bridge/app.py").status_code == 404


def test_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    versions = StaticVersions(str(tmp_path))
    (tmp_path / "a.css").write_text("a { color: red }")
    first = versions.version("a.css")
    assert first == _hash(tmp_path / "a.css")
    (tmp_path / "a.css").write_text("a { color: blue; }")
    assert versions.version("a.css") == _hash(tmp_path / "a.css") != first
    assert versions.version("missing.css") is None
    assert versions.version("../outside.css") is None


def test_a_template_links_each_static_file_as_flasks_url_for_does(app: Flask) -> None:
    template_url_for = app.jinja_env.globals["url_for"]
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    for script_root in ("", "/sso"):
        with app.test_request_context(base_url=f"http://localhost{script_root}/"):
            for path in files:
                name = path.relative_to(STATIC).as_posix()
                linked = template_url_for("static", filename=name)  # type: ignore[operator]
                assert linked == url_for("static", filename=name)
                assert linked.startswith(f"{script_root}/static/")


def test_a_template_links_a_changed_file_by_its_new_version(tmp_path: Path) -> None:
    app = Flask(__name__, static_folder=str(tmp_path), static_url_path="/static")
    install_static(app)
    (tmp_path / "a.css").write_text("a { color: red }")
    template_url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context():
        first = template_url_for("static", filename="a.css")  # type: ignore[operator]
        assert first == f"/static/a.css?v={_hash(tmp_path / 'a.css')}"
        (tmp_path / "a.css").write_text("a { color: blue; }")
        second = template_url_for("static", filename="a.css")  # type: ignore[operator]
        assert second == f"/static/a.css?v={_hash(tmp_path / 'a.css')}" != first
