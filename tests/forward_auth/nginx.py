"""Debian's nginx in front of a tiny protected application, configured with ``auth_request`` to
a live bridge: the configuration docs/integrations.md shows (``NGINX_SITE``), run for real."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

NGINX = "/usr/sbin/nginx"

#: The site configuration, as the documentation shows it ({bridge} and {app} filled in).
NGINX_SITE = """\
location = /_bridge_auth {
    internal;
    proxy_pass {bridge}/forward-auth?redirect=no;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-Uri $request_uri;
    proxy_set_header X-Forwarded-For $remote_addr;
}

location / {
    auth_request /_bridge_auth;
    auth_request_set $bridge_user $upstream_http_x_bridge_user;
    auth_request_set $bridge_roles $upstream_http_x_bridge_roles;
    auth_request_set $bridge_sign_in $upstream_http_x_bridge_sign_in;
    auth_request_set $bridge_challenge $upstream_http_www_authenticate;
    error_page 401 = @bridge_sign_in;
    proxy_set_header X-Bridge-User $bridge_user;
    proxy_set_header X-Bridge-Roles $bridge_roles;
    proxy_set_header Authorization "";
    proxy_pass {app};
}

location @bridge_sign_in {
    if ($bridge_sign_in) {
        return 302 $bridge_sign_in;
    }
    add_header WWW-Authenticate $bridge_challenge always;
    return 401;
}
"""


def protected_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with what the proxy told it about the user."""
    body = json.dumps(
        {
            "user": environ.get("HTTP_X_BRIDGE_USER"),
            "roles": environ.get("HTTP_X_BRIDGE_ROLES"),
            "path": environ.get("PATH_INFO"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@dataclass
class Proxy:
    url: str


@contextmanager
def running_app(port: int) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", port, protected_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@contextmanager
def running_nginx(directory: Path, port: int, bridge: str, app: str) -> Iterator[Proxy]:
    if not Path(NGINX).is_file():
        raise AssertionError(
            f"{NGINX} is missing: install Debian's nginx (apt-get install nginx; .ci/run does)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    site = NGINX_SITE.replace("{bridge}", bridge).replace("{app}", app)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
master_process off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{site}
    }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(directory), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"nginx did not start: {output}") from None
                time.sleep(0.05)
        yield Proxy(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
        shutil.rmtree(directory / "body", ignore_errors=True)
