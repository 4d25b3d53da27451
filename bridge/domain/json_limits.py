"""How deep a JSON document the bridge reads may be nested, checked on its text before it is
parsed (Python's parser recurses, and a document nested about a thousand levels deep raises
``RecursionError`` instead of ``ValueError``)."""

from __future__ import annotations

#: The deepest nesting of arrays and objects any document the bridge reads needs (the admin
#: API's bodies and the ``claims`` parameter need far less).
MAX_JSON_DEPTH = 32


def json_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``text`` opens more than ``limit`` arrays or objects inside each other
    (outside strings). Malformed text is not judged here: the parser refuses it."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False
