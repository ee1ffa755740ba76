"""Real mail servers for the mail connection tests, once per session on loopback ports:
aiosmtpd in four setups (plain, STARTTLS with login only once encrypted, TLS from the first
byte, a certificate for another host), and Debian's dovecot with its own configuration in a
temporary folder (IMAP with STARTTLS, IMAPS; on 127.0.0.2 it shows a certificate for another
host). Plus `raw_server`, a socket that says one fixed thing (or nothing) and then keeps quiet."""
import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.probes.tls import make_certificates
from webapp.devrun import free_port
from webapp.outbound_policy import Policy
from webapp.probes import SKIPPED, STEPS

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
LOOPBACK_POLICY = Policy.from_config({"OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"]})
SMTP_USER, SMTP_PASSWORD = "mailer", "Smtp-Pw-7q"
IMAP_USER, IMAP_PASSWORD = "orders@kette.example.org", "Imap-Pw-3z"
# A folder whose name needs IMAP's modified UTF-7 and quoting ("Auftr&AOQ-ge Eingang").
ODD_FOLDER = "Aufträge Eingang"
ODD_FOLDER_WIRE = '"Auftr&AOQ-ge Eingang"'


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("mail-certificates"))


# --- SMTP: aiosmtpd ------------------------------------------------------------------------

class MailHandler:
    """Accepts nothing it is not asked for; `noop_reply` makes NOOP fail."""

    def __init__(self, noop_reply="250 OK"):
        self.noop_reply = noop_reply

    async def handle_NOOP(self, server, session, envelope, arg):
        return self.noop_reply


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
    if ok or auth_data.password != b"echo-me":
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535
    # A careless server that repeats the password it was given.
    return AuthResult(success=False, handled=False,
                      message=f"535 5.7.8 password {auth_data.password.decode()} is wrong")


def _start_smtp(handler=None, **options):
    for _attempt in range(5):  # the free port may be taken between the check and the bind
        controller = Controller(handler or MailHandler(), hostname="127.0.0.1", port=free_port(),
                                authenticator=_authenticator, **options)
        try:
            controller.start()
            return controller
        except (OSError, RuntimeError):
            continue
    raise RuntimeError("no aiosmtpd server could be started")


@pytest.fixture(scope="session")
def smtp_servers(certificates):
    """Ports of the SMTP servers: plain (login without TLS), starttls (login only once
    encrypted), tls (TLS from the first byte), wrong_host (STARTTLS, a certificate for
    wrong.example), noop_fails (plain, NOOP answered 554)."""
    controllers = {}
    try:
        controllers["plain"] = _start_smtp(auth_require_tls=False)
        controllers["starttls"] = _start_smtp(tls_context=certificates.server_context(),
                                              auth_require_tls=True)
        # aiosmtpd counts only STARTTLS as encrypted, so TLS from the start needs this.
        controllers["tls"] = _start_smtp(ssl_context=certificates.server_context(),
                                         auth_require_tls=False)
        controllers["wrong_host"] = _start_smtp(
            tls_context=certificates.server_context(wrong_host=True), auth_require_tls=True)
        controllers["noop_fails"] = _start_smtp(MailHandler("554 5.3.0 not today"),
                                                auth_require_tls=False)
        yield SimpleNamespace(**{name: c.port for name, c in controllers.items()})
    finally:
        for controller in controllers.values():
            controller.stop()


# --- IMAP: dovecot -------------------------------------------------------------------------

def _dovecot_version():
    output = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True,
                            check=True).stdout
    return tuple(int(part) for part in output.split()[0].split("-")[0].split(".")[:2])


CONFIG_2_3 = """\
ssl_cert = <{cert_file}
ssl_key = <{key_file}
disable_plaintext_auth = no
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = {folder}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={folder}/mail/%u
}}
local 127.0.0.2 {{
  ssl_cert = <{wrong_cert_file}
  ssl_key = <{wrong_key_file}
}}
"""

CONFIG_2_4 = """\
ssl_server_cert_file = {cert_file}
ssl_server_key_file = {key_file}
auth_allow_cleartext = yes
mail_driver = maildir
mail_path = {folder}/mail/%{{user}}
passdb passwd-file {{
  passwd_file_path = {folder}/users
}}
userdb static {{
  fields {{
    uid = {mail_user}
    gid = {mail_group}
    home = {folder}/mail/%{{user}}
  }}
}}
local 127.0.0.2 {{
  ssl_server_cert_file = {wrong_cert_file}
  ssl_server_key_file = {wrong_key_file}
}}
"""

COMMON = """\
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = probe-test-{port}
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1, 127.0.0.2
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {first_uid}
ssl = yes
auth_mechanisms = plain login
auth_failure_delay = 0
namespace inbox {{
  inbox = yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """One dovecot in the foreground (its PID is ours to stop) with a configuration, a user
    and the maildirs in `folder`, never /etc/dovecot. As root its login processes run as
    Debian's dovenull and its mail processes as the dovecot user (dovecot refuses root for
    both); as anyone else everything runs as that user."""

    def __init__(self, folder, certificates):
        self.folder = Path(folder)
        self.certificates = certificates
        self.port = self.tls_port = None
        self.process = None
        self._stderr = None

    def start(self):
        version = _dovecot_version()
        if os.geteuid() == 0:
            login_user, mail_user = "dovenull", "dovecot"
        else:
            login_user = mail_user = getpass.getuser()
        mail = pwd.getpwnam(mail_user)
        for name in ("run", "state", "mail"):
            (self.folder / name).mkdir(exist_ok=True)
        os.chown(self.folder / "mail", mail.pw_uid, mail.pw_gid)
        (self.folder / "users").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
        for _attempt in range(3):  # a free port may be taken between the check and the bind
            self.port, self.tls_port = free_port(), free_port()
            tls = self.certificates
            values = dict(
                folder=self.folder, port=self.port, tls_port=self.tls_port,
                login_user=login_user, internal_user=mail_user,
                internal_group=grp.getgrgid(mail.pw_gid).gr_name,
                mail_user=mail.pw_uid, mail_group=mail.pw_gid, first_uid=mail.pw_uid,
                cert_file=tls.cert_file, key_file=tls.key_file,
                wrong_cert_file=tls.wrong_cert_file, wrong_key_file=tls.wrong_key_file)
            preamble = ("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
                        if version >= (2, 4) else "")
            specific = CONFIG_2_4 if version >= (2, 4) else CONFIG_2_3
            (self.folder / "dovecot.conf").write_text(
                preamble + COMMON.format(**values) + specific.format(**values))
            if self._launch():
                self._add_folder(ODD_FOLDER_WIRE)
                return self
        raise RuntimeError("dovecot did not start: " + self.log()[-2000:])

    def _launch(self):
        (self.folder / "dovecot.log").unlink(missing_ok=True)
        self._stderr = open(self.folder / "stderr.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                if "in use" in self.log():
                    return False
                raise RuntimeError("dovecot exited: " + self.log()[-2000:])
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.tls_port), 0.2):
                return True
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dovecot did not start listening: " + self.log()[-2000:])

    def _add_folder(self, wire_name):
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        try:
            client.login(IMAP_USER, IMAP_PASSWORD)
            kind, data = client.create(wire_name)
            assert kind == "OK", data
        finally:
            client.logout()

    def log(self):
        return "".join(path.read_text(errors="replace") for path in
                       (self.folder / "stderr.log", self.folder / "dovecot.log") if path.exists())

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


@contextlib.contextmanager
def _running_dovecot(certificates):
    if not Path(DOVECOT).exists():
        pytest.fail(f"dovecot is not installed ({DOVECOT}): apt-get install dovecot-imapd")
    # Not in pytest's tmp_path: its folders are private to us, and dovecot's unprivileged
    # processes must reach their sockets and the maildirs.
    folder = tempfile.mkdtemp(prefix="probe-dovecot-")
    os.chmod(folder, 0o755)
    server = Dovecot(folder, certificates)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot(certificates):
    """Debian's dovecot (package dovecot-imapd) for the session: .port (IMAP with STARTTLS),
    .tls_port (IMAPS). One user, IMAP_USER / IMAP_PASSWORD, with INBOX and ODD_FOLDER."""
    with _running_dovecot(certificates) as server:
        yield server


@pytest.fixture
def dovecot_of_its_own(certificates):
    """A dovecot for one test that fails a login: after one, dovecot delays every login from
    that address for seconds (its auth penalty), which would slow the shared one down."""
    with _running_dovecot(certificates) as server:
        yield server


# --- a server that says one thing and then nothing ----------------------------------------

@pytest.fixture
def raw_server():
    """raw_server(greeting=b"", answer=b"") → the port of a server that accepts, sends
    `greeting`, then answers every line it reads with `answer` (keeps silent without one),
    and holds each connection open until the test ends."""
    threads, sockets, stop = [], [], threading.Event()

    def talk(connection, greeting, answer):
        connection.sendall(greeting)
        while answer and not stop.is_set():
            try:
                if not connection.recv(1024):
                    return
                connection.sendall(answer)
            except TimeoutError:
                continue
            except OSError:
                return

    def serve(listener, greeting, answer):
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(0.05)
            sockets.append(connection)
            threads.append(threading.Thread(target=talk, args=(connection, greeting, answer)))
            threads[-1].start()

    def start(greeting=b"", answer=b""):
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        sockets.append(listener)
        threads.append(threading.Thread(target=serve, args=(listener, greeting, answer)))
        threads[-1].start()
        return listener.getsockname()[1]

    yield start
    stop.set()
    for thread in threads:  # also those a last accept adds meanwhile
        thread.join(5)
    for sock in sockets:
        sock.close()


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on."""
    return free_port()


# --- running a probe -----------------------------------------------------------------------

@pytest.fixture
def checked():
    """checked(probe, **arguments) → the probe's Result, after proving what every test must:
    the steps come in order, nothing after a failure ran, and neither the final result nor
    any progress report carries the password in a detail."""
    def run(probe, **arguments):
        reports = []
        arguments.setdefault("policy", LOOPBACK_POLICY)
        result = probe(report=lambda progress: reports.append(
            [step.as_dict() for step in progress.steps]), **arguments)
        assert [step.step for step in result.steps] == list(STEPS)
        failed = result.failed
        if failed is not None:
            after = result.steps[STEPS.index(failed.step) + 1:]
            assert all(step.state == SKIPPED for step in after), result.steps
        password = arguments.get("password")
        if password:
            details = [step["detail"] for report in reports for step in report]
            details += [step.detail for step in result.steps]
            assert not [detail for detail in details if password in detail], details
        assert reports and reports[-1] == [step.as_dict() for step in result.steps][
            :len(reports[-1])]
        return result

    return run
