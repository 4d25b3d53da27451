"""Static files under versioned URLs, cached for a year (issue 16).

``url_for('static', filename=...)`` adds ``?v=`` and a hash of the file's content, so every
template's reference changes when the file does; in templates, that URL is remembered per script
root and version (building it was a quarter of a page's rendering). A request whose ``v`` is the
hash of the file served is answered with ``Cache-Control: public, max-age=31536000, immutable``:
a browser keeps it without asking again, and the next version has another URL. Any other
request (no ``v``, or the hash of an older version) is answered as before, revalidated with its
``ETag``. The hash is computed again when a file's size or modification time changes.
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
#: URLs ``static_url`` remembers before it starts again (script roots come from the server).
MAX_REMEMBERED_URLS = 64


class StaticVersions:
    """The content hash of each static file, read again when the file changes."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        #: filename: its path, mtime_ns, size and hash (only files that exist: a bounded set)
        self._known: dict[str, tuple[str, int, int, str]] = {}

    def version(self, filename: str) -> str | None:
        """The file's content hash, or None when there is no such file."""
        known = self._known.get(filename)
        path = known[0] if known is not None else safe_join(self._folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if known is not None and known[1:3] == (stat.st_mtime_ns, stat.st_size):
            return known[3]
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        except OSError:  # a directory, or gone since
            return None
        self._known[filename] = (path, stat.st_mtime_ns, stat.st_size, digest)
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

    build_url = app.url_for  # what Flask gives templates as ``url_for``
    remembered: dict[tuple[str, str, str | None], str] = {}

    def static_url(filename: str) -> str:
        """``url_for('static', filename=filename)``, built once per script root and version."""
        key = (request.script_root, filename, versions.version(filename))
        found = remembered.get(key)
        if found is None:
            if len(remembered) >= MAX_REMEMBERED_URLS:
                remembered.clear()
            found = remembered[key] = build_url("static", filename=filename)
        return found

    def url_for_in_templates(endpoint: str, **values: Any) -> str:
        """Flask's ``url_for``, but ``url_for('static', filename=...)`` from ``static_url``."""
        if endpoint == "static" and len(values) == 1 and "filename" in values:
            return static_url(values["filename"])
        return build_url(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for_in_templates

    def serve(filename: str) -> Response:
        response = app.send_static_file(filename)
        asked = request.args.get(VERSION_ARG)
        if asked is not None and asked == versions.version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = serve
