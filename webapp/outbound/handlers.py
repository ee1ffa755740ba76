"""What a kind of outbound work tells the engine: how to build its request, how to call, and
what a result means for its subject. Each domain registers its handlers at start-up
(`register`); the engine looks them up by the row's `kind`.

A handler's `prepare` reads the database (and may change the subject, e.g. an order following
its company's new routing); `submit` and `lookup` run without an open transaction and must
not touch the database — they get everything from the prepared request and report progress
through the callback they are given. `accepted`, `handed_off`, `failed` and `retrying` apply
a result to the subject; the engine calls them only while the run still owns the claim.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

# Outcome kinds.
ACCEPTED = "accepted"      # the partner did it: an external number (if any), a status
TRANSIENT = "transient"    # nothing was recorded (5xx before recording, 429, refused): retry
PERMANENT = "permanent"    # refused for good (4xx, bad configuration, exit code ≠ 0)
AMBIGUOUS = "ambiguous"    # sent, but no answer (timeout, dropped connection): look up by key
NOT_FOUND = "not_found"    # a lookup by key found nothing: the call never arrived
HANDOFF = "handoff"        # no partner acknowledgement by design (print/fax, phone): a person acts

MESSAGE_LIMIT = 1000


@dataclass
class Outcome:
    """The result of one call. `message` is for people (shown in the history and as the
    error); it must never contain a secret."""
    kind: str
    http_status: int | None = None
    exit_code: int | None = None
    message: str = ""
    retry_after: float | None = None   # seconds the partner asked us to wait (429/503)
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        self.message = (self.message or "")[:MESSAGE_LIMIT]


class CannotRun(Exception):
    """The work cannot be done as configured (its subject or service is gone, a setting is
    missing): the row fails at once with this message, without a call."""


@dataclass(frozen=True)
class Settings:
    """Retry and recovery timing of one kind (seconds)."""
    base_delay: float
    cap: float
    max_attempts: int
    lease_margin: float
    grace: float


class Handler:
    """Base class of a kind. Subclasses set `kind` and override what they need."""

    kind = ""
    # The job that runs a row of this kind, and the ids its jobs get (one in flight per id).
    job = "jobs.outbound.run"
    # A second run after an interruption does no harm (a connection test): no lookup needed.
    repeat_is_safe = False
    # The row keeps its exclusive key when it ends (one delivery per order, for good).
    keeps_exclusive_key = False
    # Config keys of the timing (see Settings); a kind may keep its own names.
    config_prefix = "OUTBOUND"

    def job_id(self, row_id, suffix):
        return f"outbound_run-{row_id}-{suffix}"

    def settings(self, config):
        prefix = self.config_prefix
        return Settings(base_delay=config[f"{prefix}_RETRY_BASE_SECONDS"],
                        cap=config[f"{prefix}_RETRY_CAP_SECONDS"],
                        max_attempts=config[f"{prefix}_MAX_ATTEMPTS"],
                        lease_margin=config[f"{prefix}_LEASE_MARGIN_SECONDS"],
                        grace=config[f"{prefix}_RECONCILE_GRACE_SECONDS"])

    def prepare(self, row):
        """Everything the call needs, read now (secrets included). CannotRun when the work
        cannot be done as configured."""
        raise NotImplementedError

    def max_duration(self, request):
        """The longest one call can take in seconds: the claim's lease is longer, so a live
        call is never taken over."""
        return 60.0

    def can_lookup(self, request):
        """Whether the partner can say if a call with this row's key arrived."""
        return False

    def submit(self, request, report):
        raise NotImplementedError

    def lookup(self, request, report):
        raise NotImplementedError

    def accepted(self, row, outcome):
        pass

    def handed_off(self, row, outcome):
        pass

    def failed(self, row, message, outcome):
        pass

    def retrying(self, row, outcome):
        pass

    def unknown_after_interruption(self):
        return _("An earlier attempt was interrupted and this interface cannot tell whether "
                 "it arrived. Check with the partner, then run it again.")

    def unknown_after_no_answer(self, message):
        return _("No answer from the partner (%(message)s); it is unknown whether it arrived. "
                 "Check with the partner, then run it again.", message=message)


_HANDLERS = {}


def register(handler):
    """Make `handler` run the rows of its kind (called by the app factory's wiring)."""
    _HANDLERS[handler.kind] = handler
    return handler


def handler_for(kind):
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no outbound handler registered for kind {kind!r}") from None


def registered():
    return dict(_HANDLERS)


# What other domains do when a row of a kind ends, e.g. the health board's alerts after a
# connection test: kind → {name: listener}. Keyed by name, so a second app built in the same
# process registers nothing twice.
_LISTENERS = {}


def listen(kind, name, listener):
    """Call `listener(row)` whenever a row of `kind` ends (done or failed), inside the
    transaction that stores its result: what the listener adds commits with the result. A
    listener that fails is logged and undone on its own; the result is kept."""
    _LISTENERS.setdefault(kind, {})[name] = listener


def listeners(kind):
    return list(_LISTENERS.get(kind, {}).values())
