"""Mail: templates in two languages, real SMTP delivery, and an outbox that never blocks (its
durability and concurrent senders: tests/mail/test_outbox.py)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from bridge.config.sections import MailSettings
from bridge.mail import (
    LogTransport,
    MailMessage,
    MailTemplates,
    Outbox,
    SmtpTransport,
    build_mailer,
)
from bridge.storage.db.engine import Database
from tests.factors.smtp_server import Credentials, Inbox, self_signed, smtp_server
from tests.ports import unused_port

SENDER = "The bridge <bridge@example.org>"
LOCKED = {"username": "alice", "when": "2026-11-24 02:00 UTC", "reason": "codes", "until": None}


@pytest.fixture
def templates() -> MailTemplates:
    return MailTemplates()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def port() -> int:
    return unused_port()


def plain_transport(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, sender=SENDER, security="none", timeout=5)


class Failures:
    def __init__(self) -> None:
        self.seen: list[tuple[MailMessage, str]] = []

    def __call__(self, message: MailMessage, reason: str) -> None:
        self.seen.append((message, reason))


def test_a_message_arrives_with_subject_recipient_and_both_parts(
    templates: MailTemplates, inbox: Inbox, port: int, database: Database
) -> None:
    outbox = Outbox(database, plain_transport(port))
    with smtp_server(inbox, port):
        outbox.send(templates.render("account_locked", to="alice@example.org", **LOCKED))
        assert outbox.wait_idle(10)
    outbox.close()

    (received,) = inbox.messages
    assert received.recipients == ["alice@example.org"]
    assert received.message["Subject"] == "Your account has been locked"
    assert received.message["From"] == SENDER
    assert received.message.get_content_type() == "multipart/alternative"
    text = received.message.get_body(("plain",))
    html = received.message.get_body(("html",))
    assert text is not None and html is not None
    assert "contact an administrator" in text.get_content()
    assert "<p>Hello alice,</p>" in html.get_content()


def test_a_german_recipient_gets_the_german_message(
    templates: MailTemplates, inbox: Inbox, port: int, database: Database
) -> None:
    outbox = Outbox(database, plain_transport(port))
    with smtp_server(inbox, port):
        outbox.send(
            templates.render("account_locked", to="a@example.de", language="de-AT", **LOCKED)
        )
        assert outbox.wait_idle(10)
    outbox.close()

    message = inbox.messages[0].message
    assert message["Subject"] == "Ihr Konto wurde gesperrt"
    assert message["Content-Language"] == "de"
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    assert '<html lang="de">' in html.get_content()
    assert "falschen Codes gesperrt" in text.get_content()


def test_an_unknown_language_falls_back_to_the_default(templates: MailTemplates) -> None:
    message = templates.render("reset_approved", to="a@x", language="fr", username="a", when="now")
    assert message.language == "en"
    assert MailTemplates(default_language="de").language_for(None) == "de"


def test_html_escapes_what_users_typed(templates: MailTemplates) -> None:
    message = templates.render(
        "reset_requested",
        to="admin@example.org",
        username="mallory",
        email=None,
        org_name="Acme",
        when="now",
        message="<script>alert(1)</script>",
        url=None,
    )
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<script>alert(1)</script>" in message.text


@pytest.mark.parametrize(
    ("kind", "context"),
    [
        ("account_locked", LOCKED),
        ("account_locked", {**LOCKED, "reason": "passwords", "until": "03:00"}),
        ("account_unlocked", {"username": "alice", "when": "now"}),
        *[
            ("factor_changed", {"username": "alice", "when": "now", "change": change})
            for change in (
                "enabled",
                "reset",
                "disabled",
                "recovery_codes_regenerated",
                "device_trusted",
                "devices_revoked",
                "signed_out_everywhere",
            )
        ],
        (
            "reset_requested",
            {
                "username": "bob",
                "email": "bob@x",
                "org_name": "Acme",
                "when": "now",
                "message": "",
                "url": "https://x/admin",
            },
        ),
        ("reset_approved", {"username": "alice", "when": "now"}),
    ],
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_every_kind_renders_in_both_languages(
    templates: MailTemplates, kind: str, context: dict[str, str], language: str
) -> None:
    message = templates.render(kind, to="a@x", language=language, **context)
    assert message.subject
    assert message.text.strip()
    assert f'lang="{language}"' in message.html


def test_send_returns_while_the_server_is_still_busy(
    templates: MailTemplates, database: Database
) -> None:
    started, release = threading.Event(), threading.Event()

    class SlowServer:
        def deliver(self, message: MailMessage) -> None:
            started.set()
            release.wait(10)

    outbox = Outbox(database, SlowServer())
    outbox.start()
    assert outbox.send(templates.render("account_locked", to="a@x", **LOCKED))
    assert started.wait(10)
    assert not release.is_set()  # send returned although delivery has not finished
    release.set()
    assert outbox.wait_idle(10)
    outbox.close()


def test_a_message_is_retried_until_the_server_is_back(
    templates: MailTemplates, inbox: Inbox, port: int, database: Database
) -> None:
    first_failure = threading.Event()
    smtp = plain_transport(port)

    class Watching:
        def deliver(self, message: MailMessage) -> None:
            try:
                smtp.deliver(message)
            except OSError:
                first_failure.set()
                raise

    failures = Failures()
    outbox = Outbox(
        database, Watching(), retry_delay=0.05, max_delay=0.2, max_attempts=20, on_failure=failures
    )
    outbox.start()
    outbox.send(templates.render("account_locked", to="alice@example.org", **LOCKED))
    assert first_failure.wait(10)  # nothing listens on the port yet
    with smtp_server(inbox, port):
        assert outbox.wait_idle(10)
    outbox.close()

    assert [r.recipients for r in inbox.messages] == [["alice@example.org"]]
    assert failures.seen == []


def test_a_message_given_up_is_logged_and_reported(
    templates: MailTemplates, port: int, caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    failures = Failures()
    outbox = Outbox(
        database, plain_transport(port), retry_delay=0.01, max_attempts=2, on_failure=failures
    )
    with caplog.at_level(logging.WARNING, logger="bridge.mail"):
        outbox.send(templates.render("account_locked", to="alice@example.org", **LOCKED))
        assert outbox.wait_idle(10)
    outbox.close()

    ((message, reason),) = failures.seen
    assert message.to == "alice@example.org"
    assert "ConnectionRefusedError" in reason
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "NOT sent after 2 attempt(s)" in errors[0].getMessage()


def test_a_refused_recipient_is_not_retried(
    templates: MailTemplates, inbox: Inbox, port: int, database: Database
) -> None:
    inbox.refuse.add("gone@example.org")
    attempts: list[str] = []
    smtp = plain_transport(port)

    class Counting:
        def deliver(self, message: MailMessage) -> None:
            attempts.append(message.to)
            smtp.deliver(message)

    failures = Failures()
    outbox = Outbox(database, Counting(), retry_delay=0.01, on_failure=failures)
    with smtp_server(inbox, port):
        outbox.send(templates.render("account_locked", to="gone@example.org", **LOCKED))
        assert outbox.wait_idle(10)
    outbox.close()

    assert attempts == ["gone@example.org"]
    assert "refused" in failures.seen[0][1]


def test_a_full_outbox_refuses_and_reports_instead_of_blocking(
    templates: MailTemplates, database: Database
) -> None:
    release = threading.Event()

    class Stuck:
        def deliver(self, message: MailMessage) -> None:
            release.wait(10)

    failures = Failures()
    outbox = Outbox(database, Stuck(), queue_size=1, on_failure=failures)
    assert outbox.send(templates.render("account_locked", to="first@x", **LOCKED))
    assert not outbox.send(templates.render("account_locked", to="second@x", **LOCKED))
    release.set()
    assert outbox.wait_idle(10)
    outbox.close()
    assert [(m.to, "full" in reason) for m, reason in failures.seen] == [("second@x", True)]


def test_messages_still_queued_at_shutdown_stay_in_the_outbox(
    templates: MailTemplates, port: int, database: Database
) -> None:
    """Issue 15: they used to be reported as lost; the next sender delivers them
    (tests/mail/test_outbox.py)."""
    failures = Failures()
    outbox = Outbox(database, plain_transport(port), retry_delay=60, on_failure=failures)
    outbox.start()
    outbox.send(templates.render("account_locked", to="alice@example.org", **LOCKED))
    outbox.close(timeout=10)
    assert failures.seen == []
    assert outbox.pending() == 1


def test_starttls_with_credentials(
    templates: MailTemplates, inbox: Inbox, port: int, tmp_path: Path
) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    transport = SmtpTransport(
        "127.0.0.1",
        port,
        sender=SENDER,
        security="starttls",
        username="bridge",
        password="s3cret",
        ssl_context=client_tls,
    )
    with smtp_server(
        inbox,
        port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=Credentials("bridge", "s3cret"),
        auth_require_tls=True,
    ):
        transport.deliver(templates.render("reset_approved", to="a@x", username="a", when="now"))
    assert inbox.messages[0].recipients == ["a@x"]


def test_without_a_host_messages_are_logged(
    templates: MailTemplates, caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    mailer = build_mailer(MailSettings(), None, database)
    assert isinstance(mailer.outbox.transport, LogTransport)
    with caplog.at_level(logging.WARNING, logger="bridge.mail"):
        mailer.notify("account_locked", to="alice@example.org", **LOCKED)
        assert mailer.outbox.wait_idle(10)
    mailer.close()
    assert "not sent" in caplog.text and "alice@example.org" in caplog.text


def test_a_user_without_an_address_is_logged_not_queued(
    caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    mailer = build_mailer(MailSettings(), None, database)
    with caplog.at_level(logging.WARNING, logger="bridge.mail"):
        assert mailer.notify("account_locked", to=None, user_id="u1", **LOCKED) is None
    mailer.close()
    assert "no e-mail address" in caplog.text


def test_plaintext_credentials_to_a_remote_host_are_refused() -> None:
    with pytest.raises(ValueError, match="starttls or tls"):
        MailSettings(host="smtp.example.org", security="none", username="bridge")
    MailSettings(host="127.0.0.1", security="none", username="bridge")


def test_a_template_that_does_not_render_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture, database: Database
) -> None:
    mailer = build_mailer(MailSettings(), None, database)
    with caplog.at_level(logging.ERROR, logger="bridge.mail"):
        assert mailer.notify("account_locked", to="alice@example.org") is None  # no context
        assert mailer.notify("no_such_kind", to="alice@example.org") is None
    mailer.close()
    assert caplog.text.count("its template does not render") == 2
