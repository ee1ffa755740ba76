"""Connection test of a file transfer interface (the catalogue's transfer() fields): SFTP, FTPS
(explicit AUTH TLS) or plain FTP, step by step, ending with one look at the remote folder.

Every connection, the FTP data connections included, is opened through the operator's Policy.
Steps: RESOLVE → CONNECT (TCP, and the FTP greeting) → TLS (TLS for FTPS, the SSH handshake for
SFTP, skipped for FTP) → AUTH (password login) → REQUEST (list the remote folder).
"""
import contextlib
import ftplib
import stat
import threading

import paramiko

from ..outbound_policy import MESSAGES, Refused
from . import (
    AUTH, AUTH_FAILED, BAD_ANSWER, CONNECT, INVALID, NOT_ALLOWED, NO_CREDENTIALS, NO_TLS,
    REQUEST, RESOLVE, SERVER_ERROR, TIMEOUT, TLS, TLS_FAILED, Probe, StepFailed, peer,
    tls_context,
)

PROTOCOLS = ("sftp", "ftps", "ftp")
DEFAULT_PORTS = dict(sftp=22, ftps=21, ftp=21)
# Replies to AUTH TLS from a server that has no TLS: not implemented / not understood /
# not available / refused by policy.
NO_TLS_REPLIES = ("500", "502", "504", "534", "431")
# NLST of an empty folder: some servers answer "no files" instead of an empty listing.
EMPTY_LISTING_REPLIES = ("450", "550")


def transfer(protocol, host, port, username, password, policy, timeout=10, report=None,
             ca_file=None, remote_dir="/"):
    """Test an SFTP, FTPS or FTP login: a Result with the five steps. `port` empty → 22 for
    SFTP, 21 otherwise; `ca_file` is trusted besides the system's CAs for FTPS; `remote_dir`
    empty → the login folder."""
    def body(probe):
        with probe.step(RESOLVE) as step:
            if protocol not in PROTOCOLS:
                raise StepFailed(INVALID, f"unknown protocol {protocol!r}")
            number = _port(port, DEFAULT_PORTS[protocol])
            step.detail = _resolve(policy, host, number)
        if protocol == "sftp":
            _sftp(probe, host, number, username, password, policy, timeout, remote_dir)
        else:
            _ftp(probe, protocol, host, number, username, password, policy, timeout, ca_file,
                 remote_dir)
    return Probe(report).run(body)


# --- shared -----------------------------------------------------------------------------------

def _port(value, default):
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StepFailed(INVALID, f"port {value!r} is not a number") from None
    if not 0 < number < 65536:
        raise StepFailed(INVALID, f"port {number} is out of range")
    return number


def _resolve(policy, host, port):
    """The checked addresses of host, for the step's detail."""
    if not (host or "").strip():
        raise StepFailed(INVALID, "no host")
    try:
        found = policy.resolve(host, port)
    except Refused as error:
        raise StepFailed(NOT_ALLOWED, MESSAGES[error.reason].format(target=host)) from None
    return ", ".join(dict.fromkeys(sockaddr[0] for *_kind, sockaddr in found))


def _credentials(username, password):
    if not username or not password:
        raise StepFailed(NO_CREDENTIALS, "username or password not set")


# --- SFTP -------------------------------------------------------------------------------------

def _sftp(probe, host, port, username, password, policy, timeout, remote_dir):
    with probe.step(CONNECT) as step:
        sock = policy.connect(host, port, timeout)
        step.detail = peer(sock)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(sock.close)  # Transport.close leaves it open once its thread ended
        with probe.step(TLS) as step:
            transport = cleanup.enter_context(contextlib.closing(paramiko.Transport(sock)))
            # Our own wait ends first, so a silent server is reported as a timeout rather
            # than as the banner error paramiko's thread raises a moment later.
            transport.banner_timeout = transport.handshake_timeout = timeout + 1
            transport.auth_timeout = timeout
            step.detail = _ssh_handshake(transport, timeout)
        with probe.step(AUTH) as step:
            _credentials(username, password)
            try:
                transport.auth_password(username, password)
            except paramiko.BadAuthenticationType as error:
                raise StepFailed(AUTH_FAILED, "the server does not accept passwords (it allows: "
                                              f"{', '.join(error.allowed_types)})") from None
            except paramiko.AuthenticationException as error:
                raise StepFailed(AUTH_FAILED, f"SSH: {error}") from None
            step.detail = f"as {username}"
        with probe.step(REQUEST) as step:
            step.detail = _sftp_list(transport, timeout, remote_dir)


def _ssh_handshake(transport, timeout):
    """Key exchange; the detail names the host key and its SHA256 fingerprint."""
    done = threading.Event()
    try:
        transport.start_client(event=done)
        if not done.wait(timeout):
            raise StepFailed(TIMEOUT, f"no SSH handshake within {timeout} s")
        if not transport.is_active():
            raise transport.get_exception() or paramiko.SSHException("negotiation failed")
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError) as error:
        # Also what a server that is not SSH (an FTP or web server on that port) leads to.
        raise StepFailed(TLS_FAILED, f"SSH: {error or type(error).__name__}") from None
    # We keep no known-hosts store yet, so any host key is accepted; its fingerprint is shown
    # so that a person can compare it with the one the server's operator gives.
    return f"SSH, host key {key.get_name()} {key.fingerprint} (not checked against a stored key)"


def _sftp_list(transport, timeout, remote_dir):
    try:
        channel = transport.open_session(timeout=timeout)
        channel.settimeout(timeout)
        channel.invoke_subsystem("sftp")
        sftp = paramiko.SFTPClient(channel)
    except paramiko.SSHException as error:
        raise StepFailed(SERVER_ERROR, f"no SFTP service: {error}") from None
    folder = remote_dir or "."
    with sftp:
        try:
            attributes = sftp.stat(folder)
            if not stat.S_ISDIR(attributes.st_mode or 0):
                raise StepFailed(SERVER_ERROR, f"{folder} is not a folder")
            names = sftp.listdir(folder)
            where = sftp.normalize(folder)
        except TimeoutError:
            raise
        except OSError as error:  # what the server answered: no such file, permission denied
            raise StepFailed(SERVER_ERROR,
                             f"{folder}: {error.strerror or type(error).__name__}") from None
    return f"{where}: {_entries(names)}"


# --- FTP and FTPS -----------------------------------------------------------------------------

class _GuardedFTP(ftplib.FTP):
    """ftplib's FTP, opening the control and the (passive) data connections through the
    operator's Policy (set `policy` after construction). Active mode is not offered: there
    the server would connect to us."""

    policy = None
    # ftplib's default, restated: only the port of a PASV reply is used, the address is the
    # control connection's, so a server cannot send the data connection elsewhere.
    trust_server_pasv_ipv4_address = False

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if host:
            self.host = host
        if port > 0:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        self.sock = self.policy.connect(self.host, self.port, self.timeout)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def makepasv(self):
        host, port = super().makepasv()
        # Holds while trust_server_pasv_ipv4_address is False (and for EPSV): checked, since a
        # data connection elsewhere would bypass the address the policy checked.
        if host != self.sock.getpeername()[0]:
            raise StepFailed(BAD_ANSWER, "the data connection would go to another address")
        return host, port

    def ntransfercmd(self, cmd, rest=None):
        # ftplib's passive branch, with policy.connect in place of socket.create_connection.
        host, port = self.makepasv()
        conn = self.policy.connect(host, port, self.timeout)
        try:
            if rest is not None:
                self.sendcmd(f"REST {rest}")
            reply = self.sendcmd(cmd)
            if reply[0] == "2":
                reply = self.getresp()
            if reply[0] != "1":
                raise ftplib.error_reply(reply)
        except BaseException:
            conn.close()
            raise
        return conn, ftplib.parse150(reply) if reply[:3] == "150" else None


class _GuardedFTPS(ftplib.FTP_TLS, _GuardedFTP):
    """FTP_TLS over _GuardedFTP's connections (its ntransfercmd wraps ours in TLS)."""


def _ftp(probe, protocol, host, port, username, password, policy, timeout, ca_file,
         remote_dir):
    with contextlib.ExitStack() as cleanup:
        with probe.step(CONNECT) as step, _ftp_replies():
            ftp = cleanup.enter_context(contextlib.closing(
                (_GuardedFTPS if protocol == "ftps" else _GuardedFTP)(timeout=timeout)))
            ftp.policy = policy
            greeting = ftp.connect(host, port)
            step.detail = f"{peer(ftp.sock)}: {_first_line(greeting)}"
        if protocol == "ftps":
            with probe.step(TLS) as step, _ftp_replies(NO_TLS, NO_TLS_REPLIES):
                ftp.context = tls_context(ca_file)
                ftp.auth()
                step.detail = ftp.sock.version()
        else:
            probe.skip(TLS, "FTP without encryption")
        with probe.step(AUTH) as step, _ftp_replies(AUTH_FAILED, ("530",)):
            _credentials(username, password)
            ftp.login(username, password)
            step.detail = f"as {username}"
        with probe.step(REQUEST) as step, _ftp_replies():
            if protocol == "ftps":
                with _ftp_replies(NO_TLS):
                    ftp.prot_p()  # the listing below then goes over an encrypted connection
            step.detail = _ftp_list(ftp, remote_dir)


def _ftp_list(ftp, remote_dir):
    if remote_dir:
        ftp.cwd(remote_dir)
    where = ftp.pwd()
    try:
        names = ftp.nlst()
    except ftplib.Error as error:
        if str(error)[:3] not in EMPTY_LISTING_REPLIES:
            raise
        names = []
    return f"{where}: {_entries(names)} (passive data connection)"


@contextlib.contextmanager
def _ftp_replies(reason=None, codes=()):
    """Turn ftplib's error replies into StepFailed: `reason` for the reply codes in `codes`
    (all error replies when `codes` is empty), otherwise SERVER_ERROR for a 4xx or 5xx and
    BAD_ANSWER for a reply FTP does not expect there. The detail is the server's reply."""
    try:
        yield
    except (ftplib.error_perm, ftplib.error_temp, ftplib.error_reply, ftplib.error_proto) \
            as error:
        reply = _first_line(str(error))
        if reason and (not codes or reply[:3] in codes):
            raise StepFailed(reason, reply) from None
        if isinstance(error, (ftplib.error_perm, ftplib.error_temp)):
            raise StepFailed(SERVER_ERROR, reply) from None
        raise StepFailed(BAD_ANSWER, reply) from None
    except EOFError:
        raise StepFailed(BAD_ANSWER, "the server closed the connection") from None


def _entries(names):
    return "1 entry" if len(names) == 1 else f"{len(names)} entries"


def _first_line(text):
    return (text or "").strip().splitlines()[0][:200] if (text or "").strip() else ""
