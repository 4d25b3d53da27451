"""Static files under versioned URLs, cached for a year (issue 16).

``url_for('static', filename=...)`` adds ``?v=`` and a hash of the file's content, so every
template's reference changes when the file does. A request whose ``v`` is the hash of the file
served is answered with ``Cache-Control: public, max-age=31536000, immutable``: a browser keeps
it without asking again, and the next version has another URL. Any other request (no ``v``, or
the hash of an older version) is answered as before, revalidated with its ``ETag``. The hash is
computed again when a file's size or modification time changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.security import safe_join

#: The query argument that carries the content hash.
VERSION_ARG = "v"
#: The caching of a file requested under its current hash.
IMMUTABLE = "public, max-age=31536000, immutable"


class StaticVersions:
    """The content hash of each static file, read again when the file changes."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._known: dict[str, tuple[int, int, str]] = {}  # filename: mtime_ns, size, hash

    def version(self, filename: str) -> str | None:
        """The file's content hash, or None when there is no such file."""
        path = safe_join(self._folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known.get(filename)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        except OSError:  # a directory, or gone since
            return None
        self._known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def install(app: Flask) -> None:
    """Versioned ``url_for('static', ...)`` and the long-lived answer to a current version."""
    if app.static_folder is None:
        return
    versions = StaticVersions(app.static_folder)

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and VERSION_ARG not in values:
            version = versions.version(str(values.get("filename", "")))
            if version is not None:
                values[VERSION_ARG] = version

    def serve(filename: str) -> Response:
        response = app.send_static_file(filename)
        asked = request.args.get(VERSION_ARG)
        if asked is not None and asked == versions.version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = serve
