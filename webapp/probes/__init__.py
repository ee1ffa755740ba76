"""Connection tests ("Verbindung testen"), one protocol per module, each going step by step:
resolve the host → connect → TLS → authenticate → one harmless request.

Kernel: no domain, no database, no Flask request. A probe gets plain values (host, port,
encryption, user, password, the operator's outbound Policy, a timeout) and a `report`
callback, and returns a Result. It never reports a false pass: a step is "ok" only when it
demonstrably succeeded, and any exception that escapes a step fails that step.

Failures carry a reason code (REASONS) and an English technical detail for the log and the
history; people read the reason in their language (REASON_TEXTS) beside the step's label.
Neither ever contains a secret: details are built from exception types and server replies,
never from what was sent.
"""
import socket
import ssl
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from .. import outbound_policy
from ..outbound_policy import CA_FILE, Refused

RESOLVE, CONNECT, TLS, AUTH, REQUEST = "resolve", "connect", "tls", "auth", "request"
STEPS = (RESOLVE, CONNECT, TLS, AUTH, REQUEST)
STEP_LABELS = {
    RESOLVE: _l("Resolve host name"),
    CONNECT: _l("Connect"),
    TLS: _l("Encryption (TLS)"),
    AUTH: _l("Authentication"),
    REQUEST: _l("Test request"),
}

# Why a step failed.
NOT_ALLOWED = "not_allowed"      # the operator's outbound policy refuses the address
NAME_UNKNOWN = "name_unknown"    # DNS has no such name
REFUSED = "refused"              # nothing listens on the port
TIMEOUT = "timeout"              # no answer in time
UNREACHABLE = "unreachable"      # network error other than the above
TLS_FAILED = "tls_failed"        # handshake failed (protocol mismatch, plain server, …)
CERTIFICATE = "certificate"      # the certificate is not trusted or names another host
NO_TLS = "no_tls"                # the server does not offer the encryption asked for
AUTH_FAILED = "auth_failed"      # the server rejected the credentials
NO_CREDENTIALS = "no_credentials"  # a credential the protocol needs is not set
SERVER_ERROR = "server_error"    # the server answered with an error (5xx, "NO", …)
BAD_ANSWER = "bad_answer"        # the answer was not what the protocol promises
INVALID = "invalid"              # the settings themselves cannot work (no host, bad port)

REASON_TEXTS = {
    NOT_ALLOWED: _l("Address not allowed by the operator"),
    NAME_UNKNOWN: _l("Host name not found"),
    REFUSED: _l("Connection refused"),
    TIMEOUT: _l("No answer in time"),
    UNREACHABLE: _l("Server not reachable"),
    TLS_FAILED: _l("Encryption could not be established"),
    CERTIFICATE: _l("Certificate not trusted"),
    NO_TLS: _l("The server does not offer this encryption"),
    AUTH_FAILED: _l("Login failed"),
    NO_CREDENTIALS: _l("Credentials missing"),
    SERVER_ERROR: _l("The server reported an error"),
    BAD_ANSWER: _l("Unexpected answer"),
    INVALID: _l("Settings incomplete"),
}

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class Step:
    step: str            # one of STEPS
    state: str           # OK | FAILED | SKIPPED
    reason: str = ""     # one of REASON_TEXTS' keys, when failed
    detail: str = ""     # English, technical, never a secret

    def as_dict(self):
        return dict(step=self.step, state=self.state, reason=self.reason,
                    detail=self.detail[:300])


@dataclass
class Result:
    steps: list = field(default_factory=list)

    @property
    def ok(self):
        return bool(self.steps) and all(step.state != FAILED for step in self.steps) \
            and any(step.step == REQUEST and step.state == OK for step in self.steps)

    @property
    def failed(self):
        return next((step for step in self.steps if step.state == FAILED), None)


class StepFailed(Exception):
    """Raised inside a step to fail it with a reason; `detail` is English, without secrets."""

    def __init__(self, reason, detail=""):
        super().__init__(detail or reason)
        self.reason, self.detail = reason, detail


def refused_request(error, what):
    """StepFailed for a policy refusal (outbound_policy.Refused) of a request a probe sent
    through the policy's session — a redirect to an address the operator does not allow,
    named by its host (or `what`), or https while the CA file cannot be read."""
    if error.reason == CA_FILE:
        return StepFailed(*classify(error))
    return StepFailed(NOT_ALLOWED, outbound_policy.MESSAGES[error.reason].format(
        target=urlsplit(error.target).hostname or what))


def classify(error):
    """(reason, detail) for an exception raised by a network call."""
    if isinstance(error, StepFailed):
        return error.reason, error.detail
    if isinstance(error, Refused) and error.reason == CA_FILE:
        return INVALID, "the CA file (OUTBOUND_CA_FILE) cannot be read"
    if isinstance(error, Refused):
        return NOT_ALLOWED, str(error)
    if isinstance(error, socket.gaierror):
        return NAME_UNKNOWN, f"DNS: {error.strerror or error}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return CERTIFICATE, error.verify_message or str(error)
    if isinstance(error, ssl.SSLError):
        return TLS_FAILED, f"{type(error).__name__}: {error.reason or error}"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return TIMEOUT, "timed out"
    if isinstance(error, ConnectionRefusedError):
        return REFUSED, "connection refused"
    if isinstance(error, OSError):
        return UNREACHABLE, f"{type(error).__name__}: {error.strerror or error}"
    return BAD_ANSWER, type(error).__name__


class Probe:
    """Runs the steps of one test in order and stops at the first failure.

        probe = Probe(report)
        with probe.step(RESOLVE):
            ...
        with probe.step(CONNECT):
            ...
        with probe.step(TLS) as step:
            ...
            step.detail = "TLSv1.3"   # optional: what a person may want to see on success
        return probe.finish()

    `probe.step` yields the Step it records on success, so the body may set its `detail`
    (the TLS version, an SSH host key's fingerprint); a failure records a new Step instead.
    A failed step marks every later step SKIPPED; the `with` blocks after it do not run
    (`probe.step` raises Stop, which `probe.run` swallows). `report(result)` is called after
    every step, so a caller can show progress as it happens.
    """

    class Stop(Exception):
        pass

    def __init__(self, report=None):
        self.result = Result()
        self.report = report or (lambda _result: None)

    @contextmanager
    def step(self, name):
        if self.result.failed is not None:
            raise Probe.Stop
        done = Step(name, OK)
        try:
            yield done
        except Probe.Stop:
            raise
        except Exception as error:  # noqa: BLE001 - every failure is a result, never a pass
            reason, detail = classify(error)
            self.result.steps.append(Step(name, FAILED, reason, detail))
            self.report(self.result)
            raise Probe.Stop from None
        self.result.steps.append(done)
        self.report(self.result)

    def skip(self, name, detail=""):
        """A step this protocol or setting does not have (no TLS configured, no login)."""
        self.result.steps.append(Step(name, SKIPPED, detail=detail))
        self.report(self.result)

    def finish(self):
        failed = self.result.failed
        if failed is not None:
            seen = {step.step for step in self.result.steps}
            for name in STEPS:
                if name not in seen:
                    self.result.steps.append(Step(name, SKIPPED))
        return self.result

    def run(self, body):
        """Call body(self); a failed step ends it early. Returns the Result."""
        try:
            body(self)
        except Probe.Stop:
            pass
        return self.finish()


# --- helpers every protocol uses ------------------------------------------------------------

class Deadline:
    """`timeout` seconds from now, for the whole test: each step gets what is left.
    `seconds` is None when `timeout` is no positive number."""

    def __init__(self, timeout):
        try:
            self.seconds = float(timeout) if float(timeout) > 0 else None
        except (TypeError, ValueError):
            self.seconds = None
        self.end = time.monotonic() + (self.seconds or 0)

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise StepFailed(TIMEOUT, f"the test took longer than {self.seconds:g} s")
        return left


def tls_context(ca_file=None):
    """outbound_policy.tls_context: the system's CAs plus, when given, those in `ca_file` (the
    operator's OUTBOUND_CA_FILE, as every send trusts it too, or a directory's own CA).
    INVALID when ca_file cannot be read."""
    try:
        return outbound_policy.tls_context(ca_file)
    except (OSError, ssl.SSLError, ValueError) as error:
        raise StepFailed(INVALID, f"CA file: {type(error).__name__}") from None


def tls_detail(sock):
    """What a passed TLS step found: the version and how long the certificate is valid."""
    certificate = sock.getpeercert()
    return f"{sock.version()}, certificate valid until {certificate['notAfter']}"


def peer(sock):
    """The address a socket is connected to, for CONNECT's detail."""
    address, port = sock.getpeername()[:2]
    return f"{address} port {port}"


def scrub(detail, secret):
    """`detail` with `secret` masked, should a server ever echo it."""
    return detail.replace(secret, "***") if secret and detail else detail
