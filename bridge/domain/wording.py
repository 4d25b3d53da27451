"""Words a person reads, written in English and translated where they are shown (issue 13).

The domain, the services and the flow engine never translate: they say what happened in
English, and each face (a page, a mail) looks the English text up in the catalogue of the
person's language (``bridge/translations``), falling back to the English. Two helpers make that
possible without any I/O here:

- ``N_("...")`` marks a constant message for extraction (``make messages``); it returns the text
  unchanged.
- ``Phrase("... %(name)s ...", name=value)`` is a message with values in it: a ``str`` holding
  the English text with the values filled in (so logs, the admin API and tests read English)
  that also keeps its template and values, so a face can translate the template and fill the
  values in again. A value that is itself a ``Phrase`` (or a ``Joined`` list of them) is
  translated too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


class Phrase(str):
    """An English message with values: ``str(phrase)`` is the filled-in English text."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        phrase = super().__new__(cls, template % values if values else template)
        phrase.template = template
        phrase.values = values
        return phrase

    def __reduce__(self) -> Any:  # copies and pickles keep the template and values
        return (_phrase, (self.template, self.values))


def _phrase(template: str, values: dict[str, Any]) -> Phrase:
    return Phrase(template, **values)


class Joined(str):
    """Messages said one after the other (``"a; b"``), each translated where it is shown."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Iterable[str], separator: str = "; ") -> Joined:
        listed = tuple(parts)
        joined = super().__new__(cls, separator.join(listed))
        joined.parts = listed
        joined.separator = separator
        return joined

    def __reduce__(self) -> Any:
        return (Joined, (self.parts, self.separator))


def translate(message: str, gettext: Any) -> str:
    """``message`` in the language of ``gettext`` (``gettext(template) -> str``): a ``Phrase``
    is translated by its template and filled in again (its ``Phrase`` values translated too),
    a ``Joined`` part by part, any other text by itself."""
    if isinstance(message, Joined):
        return message.separator.join(translate(part, gettext) for part in message.parts)
    if isinstance(message, Phrase):
        translated = gettext(message.template)
        if not message.values:
            return str(translated)
        values = {
            name: translate(value, gettext) if isinstance(value, (Phrase, Joined)) else value
            for name, value in message.values.items()
        }
        try:
            return str(translated % values)
        except (KeyError, TypeError, ValueError):  # a broken translation: say it in English
            return str(message)
    return str(gettext(message))


def renamed(message: str, change: Callable[[str, Any], Any]) -> str:
    """``message`` with each value ``change(name, value)``, in the messages among its values
    too: a face words a value its own way (a page names an organisation, not its slug)."""
    if isinstance(message, Joined):
        return Joined([renamed(part, change) for part in message.parts], message.separator)
    if isinstance(message, Phrase) and message.values:
        values = {
            name: renamed(value, change)
            if isinstance(value, Phrase | Joined)
            else change(name, value)
            for name, value in message.values.items()
        }
        return Phrase(message.template, **values)
    return message
