"""Mail messages and their templates (``bridge/templates/mail``).

Each kind of message has ``<kind>.<language>.txt``, whose first line is ``Subject: ...`` and the
rest the plain-text body, and ``<kind>.<language>.html``, the HTML body. Both are rendered with
the same context; the HTML is autoescaped, undefined variables are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

LANGUAGES = ("en", "de")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"


@dataclass(frozen=True)
class MailMessage:
    """One rendered message to one recipient. ``user_id``: whom it concerns, for the audit."""

    kind: str
    to: str
    subject: str
    text: str
    html: str
    language: str
    user_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_email(self, sender: str) -> EmailMessage:
        """A MIME ``multipart/alternative`` message: the text part first, then the HTML."""
        email = EmailMessage()
        email["From"] = sender
        email["To"] = self.to
        email["Subject"] = self.subject
        for name, value in self.headers.items():
            email[name] = value
        email.set_content(self.text)
        email.add_alternative(self.html, subtype="html")
        # After the content: setting content removes every Content-* header.
        email["Content-Language"] = self.language
        return email


class MailTemplates:
    def __init__(self, directory: Path = TEMPLATES, *, default_language: str = "en") -> None:
        if default_language not in LANGUAGES:
            raise ValueError(f"unknown language {default_language!r}: use one of {LANGUAGES}")
        self.default_language = default_language
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def language_for(self, preferred: str | None) -> str:
        """``preferred`` when it is one we have (``de-AT`` counts as ``de``), else the default."""
        if preferred:
            primary = preferred.strip().lower().replace("_", "-").split("-")[0]
            if primary in LANGUAGES:
                return primary
        return self.default_language

    def render(
        self,
        kind: str,
        *,
        to: str,
        language: str | None = None,
        user_id: str | None = None,
        **context: Any,
    ) -> MailMessage:
        lang = self.language_for(language)
        text = self._env.get_template(f"{kind}.{lang}.txt").render(context, language=lang)
        first, _, body = text.partition("\n")
        if not first.startswith("Subject: "):
            raise ValueError(f"mail/{kind}.{lang}.txt must start with a 'Subject: ' line")
        html = self._env.get_template(f"{kind}.{lang}.html").render(context, language=lang)
        return MailMessage(
            kind=kind,
            to=to,
            subject=first.removeprefix("Subject: ").strip(),
            text=body.lstrip("\n"),
            html=html,
            language=lang,
            user_id=user_id,
        )
