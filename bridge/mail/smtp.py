"""Delivery: one message to an SMTP server (``SmtpTransport``), or to the log (``LogTransport``)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from typing import Literal, Protocol

from bridge.mail.message import MailMessage

log = logging.getLogger(__name__)

Security = Literal["starttls", "tls", "none"]


class PermanentMailError(Exception):
    """The server refused the message for good (a 5xx reply): retrying would not help."""


class Transport(Protocol):
    def deliver(self, message: MailMessage) -> None:
        """Deliver or raise: ``PermanentMailError`` for good, any other error to be retried."""


class SmtpTransport:
    """A new SMTP connection per message: simple, and nothing half-open between messages."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if username is not None and password is None:
            raise ValueError("an SMTP username needs a password (BRIDGE_MAIL_PASSWORD)")
        self.host = host
        self.port = port
        self.sender = sender
        self._security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self._timeout, context=self._ssl_context
            )
        client = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        try:
            if self._security == "starttls":
                client.starttls(context=self._ssl_context)
        except BaseException:
            client.close()
            raise
        return client

    def deliver(self, message: MailMessage) -> None:
        email = message.to_email(self.sender)
        try:
            with self._connect() as client:
                if self._username is not None and self._password is not None:
                    client.login(self._username, self._password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentMailError(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                raise PermanentMailError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise


class LogTransport:
    """For a bridge without a mail server (``mail.host`` unset): each message is logged."""

    def deliver(self, message: MailMessage) -> None:
        log.warning(
            "mail.host is not set: %s mail to %s not sent (subject %r)",
            message.kind,
            message.to,
            message.subject,
        )
