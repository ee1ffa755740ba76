"""Card orders and the batches that carry them to the provider.

The templates (Vorlagen zur Kartenbestellung) are rows of the "Kundenkartenbestellung"
service's table field, named uniquely (seed 003, "Kartenbestellung Details"). A card order is
for a customer or an employee and keeps the template it was ordered with: its name (while
the order is open the row cannot be deleted: webapp/cards/checks.py) and a copy of its values.
It waits (Vorgemerkt) until the template's interval ends in the chain's time zone, then
travels in that interval's one batch; the batch's delivery is an outbound operation
(webapp/outbound/), so it is sent exactly once. The card number the provider returns is kept
on the order, shown with the customer or the employee."""
from datetime import date, datetime

from sqlalchemy import (
    JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..customers.models import Customer
from ..extensions import db
from ..interfaces.models import InterfaceService
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked
from ..org.models import Branch
from ..users.models import User

SHIP_TO = ("customer", "ordering_branch", "customer_branch")
INTERVALS = ("daily", "weekly", "monthly")
CARD_TYPES = ("chip", "nfc_rfid")
CARD_KINDS = ("customer_card", "employee_card")

# CardOrder.status: Vorgemerkt (waits for its batch) → Übermittelt (in a batch being sent)
# → Bestellt (the provider has it, with a card number); Fehler; Storniert.
QUEUED, SENDING, ORDERED, ERROR, CANCELLED = "queued", "sending", "ordered", "error", "cancelled"
STATUSES = (QUEUED, SENDING, ORDERED, ERROR, CANCELLED)
OPEN_STATUSES = (QUEUED, SENDING, ERROR)  # a template row these use cannot be deleted

BATCH_KIND, BATCH_SUBJECT = "card_batch", "card_batch"


class CardBatch(db.Model):
    """The card orders of one template sent at one interval boundary: one per (service,
    template, interval, boundary), so a job that runs twice makes it once."""

    __tablename__ = "card_batches"
    __table_args__ = (UniqueConstraint("service_id", "template_name", "shipping_interval",
                                       "boundary", name="uq_card_batches_slot"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("interface_services.id"), index=True)
    template_name: Mapped[str] = mapped_column(String(80))
    shipping_interval: Mapped[str] = mapped_column(String(10))
    # The interval boundary it was sent at, as the chain's local date (daily: that day;
    # weekly: the Monday; monthly: the 1st), and that moment in UTC.
    boundary: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTC)
    created_at: Mapped[datetime] = mapped_column(UTC)
    reference: Mapped[str] = mapped_column(String(40), unique=True)   # e.g. KB-2026-000007
    provider_batch_id: Mapped[str] = mapped_column(String(60), default="")

    service: Mapped[InterfaceService] = relationship()


class CardOrder(Tracked, db.Model):
    __tablename__ = "card_orders"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint("(customer_id IS NULL) <> (user_id IS NULL)", name="one_holder"),
        CheckConstraint(f"shipping_interval IN {INTERVALS!r}", name="shipping_interval"),
        Index("ix_card_orders_waiting", "status", "batch_id", "service_id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # KA-2026-000042
    service_id: Mapped[int] = mapped_column(ForeignKey("interface_services.id"), index=True)
    template_name: Mapped[str] = mapped_column(String(80))
    shipping_interval: Mapped[str] = mapped_column(String(10))
    # The template's row as ordered (ship_to, comment, card_template, cover_letter,
    # validity_required, card_type, card_kind, gift_box, roller_clip): what the batch sends.
    template: Mapped[dict] = mapped_column(JSON, default=dict)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    process_id: Mapped[int | None] = mapped_column(
        ForeignKey("processes.id", ondelete="SET NULL"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)  # ordering
    holder_name: Mapped[str] = mapped_column(String(160))
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Where the card goes, resolved when ordered: {name, street, postal_code, city}.
    recipient: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    ordered_at: Mapped[datetime] = mapped_column(UTC)
    ordered_by: Mapped[str] = mapped_column(String(120), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batches.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(40), default="")
    provider_status: Mapped[str] = mapped_column(String(60), default="")
    error_message: Mapped[str] = mapped_column(String(1000), default="")

    service: Mapped[InterfaceService] = relationship()
    customer: Mapped[Customer | None] = relationship()
    user: Mapped[User | None] = relationship()
    branch: Mapped[Branch] = relationship()
    batch: Mapped[CardBatch | None] = relationship()

    def __str__(self):
        return self.number or f"#{self.id}"
