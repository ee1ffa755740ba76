"""Orders in stock management (Lagerverwaltung) and the outbound rows that deliver them.

An Order is what staff see: number, supplier, status, external number. Its delivery to the
partner is an Outbound row — the source of truth for the background work (DESIGN, "The database
is the source of truth"): state, idempotency key, attempts, next attempt, lease. RQ jobs only
wake a worker for a row; every attempt is an OutboundAttempt, so the order page can say exactly
what happened, when, and what the partner answered.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..companies.models import Company
from ..extensions import db
from ..interfaces.models import InterfaceService
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked, utcnow
from ..org.models import Branch
from ..processes.models import EarMouldPosition, Process

# Order.status: Erstellt → Bestellt → Bestätigt / Geliefert; Fehler; Storniert.
CREATED, ORDERED, CONFIRMED, DELIVERED, ERROR, CANCELLED = (
    "created", "ordered", "confirmed", "delivered", "error", "cancelled")
ORDER_STATUSES = (CREATED, ORDERED, CONFIRMED, DELIVERED, ERROR, CANCELLED)
ORDER_TYPES = ("ear_mould",)  # more with further order groups (check constraint too)
# Order.handoff: the standard process delivered the order to a person, not to a partner system.
HANDOFFS = ("", "print_fax", "phone")

# Outbound.state
PENDING, IN_FLIGHT, DONE, FAILED = "pending", "in_flight", "done", "failed"
OUTBOUND_STATES = (PENDING, IN_FLIGHT, DONE, FAILED, CANCELLED)
OPEN_STATES = (PENDING, IN_FLIGHT)

# OutboundAttempt.outcome: the adapter's outcome kinds plus "started" (no result yet: the
# worker is calling, or died while calling) and "interrupted" (a later claim found it started).
STARTED, INTERRUPTED = "started", "interrupted"


class Order(Tracked, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status"),
        CheckConstraint("order_type = 'ear_mould'", name="order_type"),
        Index("ix_orders_status_branch", "status", "branch_id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Bestellnummer, e.g. "B-2026-000042": the reference the partner gets; set on creation.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    order_type: Mapped[str] = mapped_column(String(20), default="ear_mould")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)  # Besteller
    supplier_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)  # the lab
    # The service routing chose. Kept by name and type too: a service may be deleted once
    # none of its orders is open any more (interfaces.services.service_dependents).
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface_services.id", ondelete="SET NULL"), index=True)
    interface_key: Mapped[str] = mapped_column(String(64))
    service_name: Mapped[str] = mapped_column(String(120))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(
        ForeignKey("ear_mould_positions.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=CREATED)
    # Once the partner has given a number the status is the partner's business: no manual
    # change, no cancel (services.check_unlocked).
    external_number: Mapped[str] = mapped_column(String(64), default="")
    external_status: Mapped[str] = mapped_column(String(120), default="")
    handoff: Mapped[str] = mapped_column(String(12), default="")
    ordered_at: Mapped[datetime | None] = mapped_column(UTC)  # Bestelldatum ("Bestellen")
    ordered_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(500), default="")
    error_message: Mapped[str] = mapped_column(String(1000), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"portal_url": …}

    branch: Mapped[Branch] = relationship()
    supplier: Mapped[Company] = relationship(foreign_keys=[supplier_id])
    company: Mapped[Company] = relationship(foreign_keys=[company_id])
    service: Mapped[InterfaceService | None] = relationship()
    process: Mapped[Process | None] = relationship()
    position: Mapped[EarMouldPosition | None] = relationship()
    outbound: Mapped["Outbound | None"] = relationship(back_populates="order", uselist=False)

    @property
    def locked(self):
        return bool(self.external_number)

    def __str__(self):
        return self.number or f"#{self.id}"


class Outbound(db.Model):
    """One outbound operation (today: submitting an order). Claimed by a conditional UPDATE
    (pipeline.claim) so that two workers never send it at the same time; the lease lets a
    later claim take over from a worker that died."""

    __tablename__ = "outbound_operations"
    __table_args__ = (
        CheckConstraint(f"state IN {OUTBOUND_STATES!r}", name="state"),
        Index("ix_outbound_due", "state", "next_attempt_at"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="order_submit")
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTC)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # The last submit may have reached the partner without an answer: ask by key first.
    needs_lookup: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[str | None] = mapped_column(String(120))  # the last job enqueued for it
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    order: Mapped[Order] = relationship(back_populates="outbound")
    attempt_log: Mapped[list["OutboundAttempt"]] = relationship(
        back_populates="outbound", cascade="all, delete-orphan", passive_deletes=True,
        order_by="OutboundAttempt.id")


class OutboundAttempt(db.Model):
    """One call of an adapter: what was tried (submit, lookup, status), when, and the answer.
    Never a secret: messages come from Outcome.message, which adapters keep free of them."""

    __tablename__ = "outbound_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbound_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_operations.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # submit | lookup | status
    started_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)
    outcome: Mapped[str] = mapped_column(String(12), default=STARTED)
    http_status: Mapped[int | None] = mapped_column(Integer)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(1000), default="")
    worker: Mapped[str] = mapped_column(String(64), default="")

    outbound: Mapped[Outbound] = relationship(back_populates="attempt_log")
