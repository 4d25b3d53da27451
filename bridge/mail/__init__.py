"""Outgoing e-mail: templates in English and German, SMTP delivery, a durable outbox.

``Mailer.notify(kind, to=..., language=..., **context)`` renders a message and hands it to the
``Outbox`` (a table, in the caller's transaction), whose sender (a thread, or ``bridge mail
worker``) delivers it with retries; a login never waits for a mail server.
"""

from __future__ import annotations

from bridge.mail.mailer import Mailer, build_mailer
from bridge.mail.message import LANGUAGES, MailMessage, MailTemplates
from bridge.mail.outbox import Outbox
from bridge.mail.smtp import LogTransport, PermanentMailError, SmtpTransport, Transport

__all__ = [
    "LANGUAGES",
    "LogTransport",
    "MailMessage",
    "MailTemplates",
    "Mailer",
    "Outbox",
    "PermanentMailError",
    "SmtpTransport",
    "Transport",
    "build_mailer",
]
