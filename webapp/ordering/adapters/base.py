"""What every ordering adapter receives and answers.

An adapter speaks one partner protocol (HTTPS, a local command, e-mail). It makes exactly one
attempt per call, with explicit timeouts and the order's idempotency key, and never retries on
its own: the job (jobs/orders.py) decides what happens next from the Outcome's `kind`.

Adapters never see the database or Flask: the job builds an OrderRequest from the order and
the resolved service, and hands secrets over through `secret(field_key)` so that no secret is
ever part of a job argument, a log line or an Outcome message.
"""
from dataclasses import dataclass, field
from typing import Callable

# Outcome kinds are the outbound engine's (webapp/outbound/handlers.py), re-exported here.
from ...outbound.handlers import (  # noqa: F401
    ACCEPTED, AMBIGUOUS, HANDOFF, MESSAGE_LIMIT, NOT_FOUND, PERMANENT, TRANSIENT,
)
from ...outbound.handlers import Outcome as _Outcome
from ...outbound_policy import Policy

# Our order statuses an external status maps to (see ordering.models.Order.status).
ORDERED, CONFIRMED, DELIVERED = "ordered", "confirmed", "delivered"

@dataclass(frozen=True)
class Position:
    """One ear-mould position in canonical terms (docs/partners/README.md, "Order fields")."""
    side: str                 # "left" | "right"
    style: str
    material: str
    impression_ref: str
    venting: float | None = None   # vent diameter in mm
    colour: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Party:
    """A postal party (the ordering branch, the customer) for documents and e-mails."""
    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class OrderRequest:
    """Everything an adapter needs for one order, read from the database by the job."""
    reference: str               # our order number, e.g. "B-2026-000042" (the partner's reference)
    idempotency_key: str         # one per outbound row, the same for every retry
    interface_key: str           # catalogue key of the service, e.g. "dreve_smartorder"
    config: dict                 # the service's effective non-secret values {field_key: value}
    secret: Callable[[str], str | None]  # the service's secret by field key, or None if not set
    position: Position
    customer_number: str = ""    # the chain's customer number at the supplier, for the branch
    supplier: Party | None = None
    supplier_order_email: str = ""
    supplier_order_form: str = ""   # Company.order_form: "document" | "phone" | "interface"
    branch: Party | None = None
    customer: Party | None = None
    process_type: str = ""
    note: str = ""
    ordered_at: str = ""         # ISO timestamp of "Bestellen"
    # The chain's SMTP service for the standard process (None when there is none): same shape
    # as `config` / `secret`.
    smtp_config: dict | None = None
    smtp_secret: Callable[[str], str | None] | None = None
    # The service routing chose, for the job (adapters need not care).
    service_id: int | None = None
    service_name: str = ""
    # What the operator allows, from the configuration when the job runs: adapters check the
    # addresses they connect to and the program they run again at that moment. The defaults
    # allow https to public addresses and no program.
    outbound: Policy = field(default_factory=Policy)
    allowed_programs: tuple = ()


@dataclass
class Outcome(_Outcome):
    """The engine's Outcome with what an order's answer adds. `message` is for people (shown
    in status Fehler and the attempt list); it must never contain a secret."""
    external_number: str = ""
    external_status: str = ""     # the partner's own word, shown as "externer Status"
    status: str = ""              # ours: ORDERED | CONFIRMED | DELIVERED (ACCEPTED outcomes)


class Adapter:
    """Base class. `can_lookup`: the partner can say whether an idempotency key was recorded,
    so an ambiguous submit is resolved by `lookup`, never by a blind resend. Adapters without
    it (command, e-mail) turn an interrupted attempt into Fehler for a person to check."""

    interface_keys: tuple = ()
    can_lookup = False
    # Sends through the chain's SMTP service: only then does the job resolve it (and read its
    # password) into OrderRequest.smtp_config / smtp_secret.
    sends_mail = False

    def submit(self, request: OrderRequest) -> Outcome:
        raise NotImplementedError

    def lookup(self, request: OrderRequest) -> Outcome:
        """The order recorded under request.idempotency_key: ACCEPTED, NOT_FOUND, TRANSIENT or
        PERMANENT."""
        raise NotImplementedError

    def status(self, request: OrderRequest, external_number: str) -> Outcome:
        """The current status of an accepted order (ACCEPTED with status/external_status)."""
        raise NotImplementedError

    def max_duration(self, request: OrderRequest) -> float:
        """The longest one call can take in seconds (timeouts plus a login): the claim lease
        is longer, so a live attempt is never taken over."""
        return 60.0
