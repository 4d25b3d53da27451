"""The mailer: render a kind of message in the recipient's language and queue it."""

from __future__ import annotations

import logging
from typing import Any

from jinja2 import TemplateError

from bridge.config.sections import MailSettings
from bridge.mail.message import MailMessage, MailTemplates
from bridge.mail.outbox import FailureHandler, Outbox, OutcomeHandler
from bridge.mail.smtp import LogTransport, SmtpTransport, Transport
from bridge.storage.db.engine import Database

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
        file) and a template that does not render are logged, not sent. The message is a row of
        the outbox, written in the unit's transaction: a change rolled back is not announced."""
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
        self.outbox.send(message)
        return message

    def close(self, timeout: float = 5.0) -> None:
        self.outbox.close(timeout)


def build_mailer(
    settings: MailSettings,
    password: str | None,
    db: Database,
    *,
    on_failure: FailureHandler | None = None,
    on_outcome: OutcomeHandler | None = None,
) -> Mailer:
    """SMTP when ``mail.host`` is set, else a transport that logs each message. The outbox's
    sender is not started here: ``Outbox.start`` (serving processes, ``bridge mail worker``)."""
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
        db,
        transport,
        queue_size=settings.queue_size,
        max_attempts=settings.max_attempts,
        retry_delay=settings.retry_delay,
        # Longer than any delivery can take (each SMTP step waits at most mail.timeout).
        lease=max(300.0, 10.0 * settings.timeout),
        poll_interval=settings.poll_interval,
        on_failure=on_failure,
        on_outcome=on_outcome,
    )
    return Mailer(MailTemplates(default_language=settings.language), outbox)
