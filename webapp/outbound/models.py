"""The outbound engine's tables: one row per piece of outbound work, one row per attempt.

An Outbound row is the source of truth for work that talks to a partner (DESIGN, "The database
is the source of truth"): submitting an order, testing a connection, registering, logging in.
Its subject is whatever the work is about (an order, an interface service, …) as a type and an
id, so the engine knows no domain. RQ jobs only wake a worker for a row.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow

# Outbound.state
PENDING, IN_FLIGHT, DONE, FAILED, CANCELLED = (
    "pending", "in_flight", "done", "failed", "cancelled")
STATES = (PENDING, IN_FLIGHT, DONE, FAILED, CANCELLED)
OPEN_STATES = (PENDING, IN_FLIGHT)

# OutboundAttempt.outcome: the handler's outcome kinds plus "started" (no result yet: the
# worker is calling, or died while calling) and "interrupted" (a later claim found it started).
STARTED, INTERRUPTED = "started", "interrupted"


class Outbound(db.Model):
    """One outbound operation. Claimed by a conditional UPDATE (engine._claim) so that two
    workers never run it at the same time; the lease lets a later claim take over from a
    worker that died."""

    __tablename__ = "outbound_operations"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_outbound_due", "state", "next_attempt_at"),
        Index("ix_outbound_subject", "subject_type", "subject_id", "action", "id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the registered handler, e.g. order_submit
    subject_type: Mapped[str] = mapped_column(String(20))  # e.g. "order", "service"
    subject_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40), default="")  # e.g. a catalogue action key
    # At most one row holds a given key: "order:42" for an order's one delivery (kept for
    # good), "service:7:test" while a service's test runs (released when it ends), so a double
    # click or two admins at once start one operation.
    exclusive_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTC)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # The last call may have reached the partner without an answer: ask by key first.
    needs_lookup: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[str | None] = mapped_column(String(120))  # the last job enqueued for it
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    # What a person watching sees while it runs and after: steps, result. Never a secret.
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    # Inputs of this one run that must not be in a job argument (e.g. unsaved form values with
    # a typed password), encrypted with the app's keys; emptied when the row finishes.
    sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTC)  # the first claim
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    attempt_log: Mapped[list["OutboundAttempt"]] = relationship(
        back_populates="outbound", cascade="all, delete-orphan", passive_deletes=True,
        order_by="OutboundAttempt.id")

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def duration(self):
        """Seconds from the first claim to the end, or None while it runs."""
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - (self.started_at or self.created_at)).total_seconds())


class OutboundAttempt(db.Model):
    """One call of a handler: what was tried (submit, lookup, status), when, and the answer.
    Never a secret: messages come from Outcome.message, which handlers keep free of them."""

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
