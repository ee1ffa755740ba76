"""A mail sink for the demo and tests: an SMTP server (aiosmtpd) on loopback that keeps every
message it is given in the sandbox's store, so the standard ordering process ("Standard
Bestellprozess" by e-mail) can be followed end to end: GET /_sandbox/mails lists them."""
import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# The one mailbox account of the demo's mail server: AUTH is offered (and checked) but not
# required, so the demo's "Verbindung testen" can fail at Anmeldung with a wrong password
# while mail without a login is still accepted.
DEMO_USER, DEMO_PASSWORD = "bestellungen@hoerwelt-demo.example", "Demo-Mail-2026"


class MailSink:
    """aiosmtpd handler: every accepted message goes to `store.mails` (under its lock)."""

    def __init__(self, store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.store.lock:
            self.store.mails.append(dict(
                seq=len(self.store.mails) + 1, mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos), subject=str(message["Subject"] or ""),
                message_id=str(message["Message-ID"] or ""),
                attachments=[part.get_filename() for part in message.iter_attachments()],
                text=body.get_content()[:4000] if body is not None else ""))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (DEMO_USER.encode(), DEMO_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # not handled: a failure is answered 535


def start_mail_sink(store, host="127.0.0.1", port=0):
    """Start the SMTP sink in its own thread (port 0: a free one); returns the running
    Controller, whose `.port` is the port. (aiosmtpd checks readiness by connecting to the
    port it was given, so a free one is picked here rather than by the server.)"""
    if not port:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    # Plain SMTP on loopback: AUTH without TLS is allowed here (auth_require_tls=False).
    controller = Controller(MailSink(store), hostname=host, port=port,
                            authenticator=_authenticate, auth_require_tls=False)
    controller.start()
    return controller
