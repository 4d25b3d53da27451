"""The German catalogue is complete: every message the code and the templates show has a German
entry that is neither empty nor fuzzy, with the same placeholders, and the compiled ``.mo`` the
bridge reads is what its ``.po`` compiles to (``make messages``, then ``make compile``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "bridge" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Phrase": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def translated(entry: Message | None) -> bool:
    """An entry with every form translated (a plural has several) and not fuzzy."""
    if entry is None or entry.fuzzy:
        return False
    forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return all(forms)


def extracted() -> set[str]:
    """Every message id ``make messages`` extracts, as babel.cfg says."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else message[0]  # a plural: by its singular
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    }


def catalogue(language: str) -> Catalog:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def singular(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def entries(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Each message's translation (every plural form), by its singular id."""
    return {
        singular(m.id): tuple(m.string) if not isinstance(m.string, str) else (m.string,)
        for m in catalog
        if m.id
    }


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return extracted()


def test_every_message_has_a_german_translation(messages: set[str]) -> None:
    german = catalogue("de")
    missing = sorted(message for message in messages if not translated(german.get(message)))
    assert missing == [], "run `make messages`, translate these in de/messages.po:\n" + "\n".join(
        missing
    )


def test_the_german_catalogue_has_nothing_fuzzy_or_empty() -> None:
    bad = [entry.id for entry in catalogue("de") if entry.id and not translated(entry)]
    assert bad == []


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for entry in catalogue("de"):
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        if entry.id and any(set(PLACEHOLDER.findall(form)) != wanted for form in forms):
            wrong.append(entry.id)
    assert wrong == []


def test_the_compiled_catalogue_is_the_current_one() -> None:
    german = catalogue("de")
    compiled = io.BytesIO()
    write_mo(compiled, german)
    compiled.seek(0)
    with open(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        shipped = read_mo(mo)
    expected = read_mo(compiled)
    assert entries(shipped) == entries(expected), "run `make compile` and commit messages.mo"


def test_the_template_lists_what_the_code_says(messages: set[str]) -> None:
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        template = {singular(entry.id) for entry in read_po(pot) if entry.id}
    assert messages == template, "run `make messages`"
