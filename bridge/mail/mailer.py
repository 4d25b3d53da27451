"""The mailer: render a kind of message in the recipient's language and queue it."""

from __future__ import annotations

import logging
from typing import Any

from jinja2 import TemplateError

from bridge.config.sections import MailSettings
from bridge.mail.message import MailMessage, MailTemplates
from bridge.mail.outbox import FailureHandler, Outbox
from bridge.mail.smtp import LogTransport, SmtpTransport, Transport
from bridge.storage.db.unit import when_committed

log = logging.getLogger(__name__)


class Mailer:
    def __init__(self, templates: MailTemplates, outbox: Outbox) -> None:
        self.templates = templates
        self.outbox = outbox

    def notify(
        self,
        kind: str,
        *,
        to: str | None,
        language: str | None = None,
        user_id: str | None = None,
        **context: Any,
    ) -> MailMessage | None:
        """Render and queue; returns at once and never raises for a template problem, so a
        notice cannot break the login or admin action that sends it. ``to=None`` (no address on
        file) and a template that does not render are logged, not sent. Inside a unit of work
        the message is queued once the unit commits: a change that is rolled back is not
        announced."""
        if not to:
            log.warning("%s mail for user %s not sent: no e-mail address", kind, user_id)
            return None
        try:
            message = self.templates.render(
                kind, to=to, language=language, user_id=user_id, **context
            )
        except (TemplateError, ValueError):
            log.exception("%s mail to %s NOT sent: its template does not render", kind, to)
            return None
        when_committed(lambda: self.outbox.send(message))
        return message

    def close(self, timeout: float = 5.0) -> None:
        self.outbox.close(timeout)


def build_mailer(
    settings: MailSettings,
    password: str | None,
    *,
    on_failure: FailureHandler | None = None,
) -> Mailer:
    """SMTP when ``mail.host`` is set, else a transport that logs each message."""
    transport: Transport
    if settings.host is None:
        transport = LogTransport()
    else:
        transport = SmtpTransport(
            settings.host,
            settings.port,
            sender=settings.from_address,
            security=settings.security,
            username=settings.username,
            password=password,
            timeout=settings.timeout,
        )
    outbox = Outbox(
        transport,
        queue_size=settings.queue_size,
        max_attempts=settings.max_attempts,
        retry_delay=settings.retry_delay,
        on_failure=on_failure,
    )
    return Mailer(MailTemplates(default_language=settings.language), outbox)
