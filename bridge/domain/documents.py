"""A public JSON document (discovery, the JWKS) serialized once: its bytes and a strong ETag.

The bytes are what ``flask.jsonify`` answers with the default JSON provider (sorted keys,
compact separators, ASCII, a final newline), so a document built here and one built per
request are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JsonDocument:
    body: bytes
    etag: str  # unquoted; strong (the same bytes, and only those, have the same tag)

    @classmethod
    def of(cls, document: Any) -> JsonDocument:
        text = json.dumps(document, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
        body = (text + "\n").encode("ascii")
        return cls(body=body, etag=hashlib.sha256(body).hexdigest()[:32])
