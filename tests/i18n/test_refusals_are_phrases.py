"""No refusal a page may show is an f-string (issue 13): an f-string cannot be looked up in the
catalogue, so a German page would show it in English. A refusal with values is a ``Phrase``
(docs/languages.md); this test reads the code and names each one that is not."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import bridge
from bridge.domain.errors import BridgeError
from bridge.federation.errors import UpstreamError
from bridge.services.email_addresses import EmailsShared
from bridge.services.imports.records import ImportFailed

ROOT = Path(bridge.__file__).resolve().parent
#: Refusals no page shows: an upstream login's ``detail`` is for the audit log (its page shows the
#: fixed ``message``), an import's and ``EmailsShared`` are the command line's.
NEVER_ON_A_PAGE = (UpstreamError, ImportFailed, EmailsShared)
#: Where an f-string refusal is known and why it stays.
KNOWN: set[tuple[str, str]] = set()


def refusal_classes() -> dict[str, type[BridgeError]]:
    found: dict[str, type[BridgeError]] = {}
    for module in pkgutil.walk_packages(bridge.__path__, "bridge."):
        if ".migrations" in module.name or module.name == "bridge.wsgi":
            continue  # Alembic's scripts run under Alembic; the WSGI entry point builds an app
        for value in vars(importlib.import_module(module.name)).values():
            if inspect.isclass(value) and issubclass(value, BridgeError):
                found[value.__name__] = value
    return found


def test_no_refusal_a_page_may_show_is_an_f_string() -> None:
    classes = refusal_classes()
    offending = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        if where.startswith(("cli/", "services/imports/")):
            continue  # the command line's messages (an import is one) are English
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            refusal = classes.get(str(name))
            if refusal is None or issubclass(refusal, NEVER_ON_A_PAGE):
                continue
            if isinstance(node.args[0], ast.JoinedStr | ast.BinOp) and (where, name) not in KNOWN:
                offending.append(f"{where}:{node.lineno}: {name}({ast.unparse(node.args[0])})")
    assert offending == [], "make these Phrase(...) (docs/languages.md):\n" + "\n".join(offending)
