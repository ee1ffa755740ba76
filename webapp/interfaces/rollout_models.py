"""Roll-outs ("Auf Filialen übertragen"): one row per roll-out of a service to many branches,
one step per chosen branch (rollouts.py has the rules).

    roll-out:  running → done | stopped (a step failed) → running (Fortsetzen) | cancelled
    step:      pending → done | failed → pending (Fortsetzen) | skipped | cancelled
               skipped (the preview's reason) from the start

A step is applied in one transaction with its conditional UPDATE pending → done: a worker
killed half way leaves it pending, never half applied and never applied twice. Values a step
needs are stored with it (what the preview showed, as the form posted them); its secrets
encrypted (crypto.EncryptedText, deferred) and dropped once the step is done or cancelled."""
from datetime import datetime

from sqlalchemy import (
    JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow

RUNNING, STOPPED, DONE, CANCELLED = "running", "stopped", "done", "cancelled"
STATES = (RUNNING, STOPPED, DONE, CANCELLED)
PENDING, FAILED, SKIPPED = "pending", "failed", "skipped"
STEP_STATES = (PENDING, DONE, FAILED, SKIPPED, CANCELLED)
CREATE, UPDATE, SKIP = "create", "update", "skip"
ACTIONS = (CREATE, UPDATE, SKIP)


class Rollout(db.Model):
    """A service carried over to several branches. `claimed_by` / `lease_until`: the worker
    applying its steps and how long its claim holds; a roll-out still running whose lease ran
    out (a killed worker, a lost job) is taken up again by the reconciler."""

    __tablename__ = "rollouts"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_rollouts_state_lease", "state", "lease_until"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface_services.id", ondelete="SET NULL"), index=True)
    source_name: Mapped[str] = mapped_column(String(120))
    interface_key: Mapped[str] = mapped_column(String(64))
    # The interface's fields and tables carried over from the source (keys).
    carried: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(12), default=RUNNING)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTC)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    steps: Mapped[list["RolloutStep"]] = relationship(
        back_populates="rollout", cascade="all, delete-orphan", order_by="RolloutStep.position")

    @property
    def reference(self):
        """How the change log and the screens name the roll-out."""
        return f"UE-{self.id}"

    def __str__(self):
        return self.reference


class RolloutStep(db.Model):
    """What the roll-out does in one branch: create a service, update `target_id`, or skip
    (with `reason`). `values`: the common fields and the field input of the branch as the
    preview posted them (no secrets); `secrets`: JSON {field key: value}, encrypted."""

    __tablename__ = "rollout_steps"
    __table_args__ = (
        CheckConstraint(f"state IN {STEP_STATES!r}", name="state"),
        CheckConstraint(f"action IN {ACTIONS!r}", name="action"),
        UniqueConstraint("rollout_id", "position"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="SET NULL"), index=True)
    branch_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    # The service an update changes (not a foreign key: deleted meanwhile, the step fails
    # and says so).
    target_id: Mapped[int | None] = mapped_column(Integer)
    values: Mapped[dict] = mapped_column("step_values", JSON, default=dict)
    secrets: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    # {company id (str): customer number} to store for this branch with the step.
    numbers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Why the step is skipped, or why it failed.
    reason: Mapped[str] = mapped_column(String(500), default="")
    service_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    rollout: Mapped[Rollout] = relationship(back_populates="steps")
