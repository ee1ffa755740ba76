"""Planned credential changes ("Zugangsdaten planmäßig ändern"): one row per plan, and the row
is the plan's state machine (credential_plans.py):

    planned → swapping → testing → done | rolled_back      (planned → cancelled)

Every step is a conditional UPDATE on `state` (and `claimed_by` while swapping), so however
many workers tick, a plan is swapped once and resolved once. The new secrets, and the previous
ones while the test runs, are encrypted at rest like every secret (crypto.EncryptedText,
deferred) and dropped when the plan ends."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow
from .models import InterfaceService

PLANNED, SWAPPING, TESTING, DONE, ROLLED_BACK, CANCELLED = (
    "planned", "swapping", "testing", "done", "rolled_back", "cancelled")
STATES = (PLANNED, SWAPPING, TESTING, DONE, ROLLED_BACK, CANCELLED)
OPEN = (PLANNED, SWAPPING, TESTING)


class CredentialPlan(db.Model):
    """A planned change of a service's secret fields at `due_at`. `open_key` ("service:<id>")
    is set while the plan is open: the unique column keeps one open plan per service, even
    when two people plan at the same moment."""

    __tablename__ = "credential_plans"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_credential_plans_due", "state", "due_at"),
        Index("ix_credential_plans_service", "service_id", "id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"))
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=PLANNED)
    due_at: Mapped[datetime] = mapped_column(UTC)
    # The secret field keys the plan changes (never their values).
    fields: Mapped[list] = mapped_column(JSON, default=list)
    # JSON {field key: new value}, encrypted; None once the plan ended.
    new_secrets: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    # JSON {field key: value before the swap, or null when it was not set}, encrypted; written
    # in the swap's transaction, dropped when the plan ends.
    previous_secrets: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    planned_by: Mapped[str] = mapped_column(String(120), default="")
    planned_by_id: Mapped[int | None] = mapped_column(Integer)
    # The swap's claim: its owner and how long it holds (a worker killed while swapping
    # leaves the plan to the next tick once the lease ran out).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTC)
    # The connection test after the swap (an outbound row of kind service_action).
    test_run_id: Mapped[int | None] = mapped_column(Integer)
    # The failing step and reason of that test, as codes (probes.STEP_LABELS, REASON_TEXTS).
    failed_step: Mapped[str] = mapped_column(String(20), default="")
    failed_reason: Mapped[str] = mapped_column(String(20), default="")
    # A rolled-back plan warns on the service until someone acknowledges it.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTC)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, onupdate=utcnow)
    swapped_at: Mapped[datetime | None] = mapped_column(UTC)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    service: Mapped[InterfaceService] = relationship()

    @property
    def is_open(self):
        return self.state in OPEN
