"""The sandbox's mail sink: a real SMTP server whose messages show up under /_sandbox/mails."""
import smtplib
from email.message import EmailMessage

import pytest

from sandbox import create_sandbox_app
from sandbox.mail import start_mail_sink
from tests.factories import serving


@pytest.fixture
def sink_app():
    app = create_sandbox_app()
    sink = start_mail_sink(app.extensions["sandbox_store"])
    yield app, sink.port
    sink.stop()


def test_mails_sent_to_the_sink_are_listed_until_reset(sink_app, http):
    """Envelope, subject, Message-ID and the plain text arrive; a reset forgets them."""
    app, port = sink_app
    message = EmailMessage()
    message["From"], message["To"] = "filiale@example.org", "labor@example.org"
    message["Subject"], message["Message-ID"] = "Otoplastikbestellung", "<key-1@example.org>"
    message.set_content("Bestellschein B-2026-000001")
    message.add_attachment(b"<p>x</p>", maintype="text", subtype="html",
                           filename="Bestellschein.html")
    with serving(app) as url:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(message)
        mails = http.get(f"{url}/_sandbox/mails", timeout=5).json()["mails"]
        assert [(m["rcpt_tos"], m["subject"], m["message_id"], m["attachments"])
                for m in mails] == [(["labor@example.org"], "Otoplastikbestellung",
                                     "<key-1@example.org>", ["Bestellschein.html"])]
        assert "B-2026-000001" in mails[0]["text"]
        http.post(f"{url}/_sandbox/reset", timeout=5).raise_for_status()
        assert http.get(f"{url}/_sandbox/mails", timeout=5).json()["mails"] == []


def test_the_sink_checks_a_login_but_does_not_require_one(sink_app):
    """The demo's mail server account: the right password logs in, a wrong one is answered
    535, and mail without a login is still taken (the e-mail ordering demo sends that way)."""
    from sandbox.mail import DEMO_PASSWORD, DEMO_USER

    _app, port = sink_app
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        assert smtp.login(DEMO_USER, DEMO_PASSWORD)[0] == 235
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.login(DEMO_USER, "falsch")
        assert refused.value.smtp_code == 535
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        assert smtp.sendmail("a@example.org", ["b@example.org"], "Subject: x\r\n\r\ny") == {}
