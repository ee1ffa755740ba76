"""Process templates (Vorgangsvorlagen), processes (Vorgänge) and ear-mould positions.

A template is an ordered list of steps; a process is created from a template for a customer and
copies its steps, so changing a template later never rewrites a running process. The step kind
ORDER_SERVICE is the 'Bestellservice' of seed 001: it holds the chosen company (lab) and, when
the routed service names no supplier, the supplier the user picked.
"""
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..companies.models import Company
from ..customers.models import Customer
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked
from ..org.models import Branch

# Vorgangsarten: code name → (German, English) label lives in processes.labels.
PROCESS_TYPES = ("ear_mould", "hearing_aid", "repair", "glasses", "contact_lenses", "other")
# Step kinds: a plain step someone ticks off, the ordering step 'Bestellservice' (seed 001)
# and 'Kundenkarte', where a customer card is ordered (seed 003).
STEP, ORDER_SERVICE, CUSTOMER_CARD = "step", "order_service", "customer_card"
STEP_KINDS = (STEP, ORDER_SERVICE, CUSTOMER_CARD)
# Kinds whose step a domain above shows as a panel, at most one per template.
PANEL_KINDS = (ORDER_SERVICE, CUSTOMER_CARD)
SIDES = ("left", "right")
OPEN, CLOSED = "open", "closed"


class ProcessTemplate(Tracked, db.Model):
    __tablename__ = "process_templates"
    __table_args__ = (CheckConstraint(f"process_type IN {PROCESS_TYPES!r}", name="process_type"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    process_type: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    steps: Mapped[list["TemplateStep"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="TemplateStep.position")

    @property
    def has_order_service(self):
        return any(step.kind == ORDER_SERVICE for step in self.steps)

    def __str__(self):
        return self.name


class TemplateStep(db.Model):
    __tablename__ = "process_template_steps"
    __table_args__ = (UniqueConstraint("template_id", "position"),
                      CheckConstraint(f"kind IN {STEP_KINDS!r}", name="kind"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("process_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=STEP)
    name: Mapped[str] = mapped_column(String(120))

    template: Mapped[ProcessTemplate] = relationship(back_populates="steps")


class Process(Tracked, db.Model):
    """A customer's case (Vorgang) of one type, handled by one branch."""

    __tablename__ = "processes"
    __table_args__ = (CheckConstraint(f"process_type IN {PROCESS_TYPES!r}", name="process_type"),
                      CheckConstraint(f"status IN {(OPEN, CLOSED)!r}", name="status"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_templates.id", ondelete="SET NULL"), index=True)
    process_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)

    customer: Mapped[Customer] = relationship()
    branch: Mapped[Branch] = relationship()
    template: Mapped[ProcessTemplate | None] = relationship()
    steps: Mapped[list["ProcessStep"]] = relationship(
        back_populates="process", cascade="all, delete-orphan", order_by="ProcessStep.position")
    positions: Mapped[list["EarMouldPosition"]] = relationship(
        back_populates="process", cascade="all, delete-orphan", order_by="EarMouldPosition.id")

    @property
    def order_step(self):
        """The 'Bestellservice' step, or None when the template had none."""
        return next((step for step in self.steps if step.kind == ORDER_SERVICE), None)

    def __str__(self):
        return self.title


class ProcessStep(db.Model):
    __tablename__ = "process_steps"
    __table_args__ = (UniqueConstraint("process_id", "position"),
                      CheckConstraint(f"kind IN {STEP_KINDS!r}", name="kind"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=STEP)
    name: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime | None] = mapped_column(UTC)
    done_by: Mapped[str | None] = mapped_column(String(120))
    # Bestellservice only: the company (lab) chosen, and the supplier picked by the user when
    # the routed service names none (seed 001, rules 1 and 4).
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)

    process: Mapped[Process] = relationship(back_populates="steps")
    company: Mapped[Company | None] = relationship(foreign_keys=[company_id])
    supplier: Mapped[Company | None] = relationship(foreign_keys=[supplier_id])


class EarMouldPosition(Tracked, db.Model):
    """One ear mould to order (Vorgangsposition): one side, one order."""

    __tablename__ = "ear_mould_positions"
    __table_args__ = (CheckConstraint(f"side IN {SIDES!r}", name="side"),
                      CheckConstraint("venting IS NULL OR (venting >= 0 AND venting <= 4)",
                                      name="venting"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"),
                                            index=True)
    side: Mapped[str] = mapped_column(String(5))
    style: Mapped[str] = mapped_column(String(60))
    material: Mapped[str] = mapped_column(String(60))
    venting: Mapped[float | None] = mapped_column(Float)
    colour: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(String(500), default="")
    impression_ref: Mapped[str] = mapped_column(String(64))

    process: Mapped[Process] = relationship(back_populates="positions")
