"""Orders in stock management (Lagerverwaltung) and the outbound rows that deliver them.

An Order is what staff see: number, supplier, status, external number. Its delivery to the
partner is an Outbound row — the source of truth for the background work (DESIGN, "The database
is the source of truth"): state, idempotency key, attempts, next attempt, lease. RQ jobs only
wake a worker for a row; every attempt is an OutboundAttempt, so the order page can say exactly
what happened, when, and what the partner answered.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from ..companies.models import Company
from ..extensions import db
from ..interfaces.models import InterfaceService
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked
from ..org.models import Branch
from ..outbound.models import (  # noqa: F401  (re-exported: orders speak of their delivery)
    DONE, FAILED, IN_FLIGHT, INTERRUPTED, OPEN_STATES, PENDING, STARTED, Outbound,
    OutboundAttempt,
)
from ..processes.models import EarMouldPosition, Process

# Order.status: Erstellt → Bestellt → Bestätigt / Geliefert; Fehler; Storniert.
CREATED, ORDERED, CONFIRMED, DELIVERED, ERROR, CANCELLED = (
    "created", "ordered", "confirmed", "delivered", "error", "cancelled")
ORDER_STATUSES = (CREATED, ORDERED, CONFIRMED, DELIVERED, ERROR, CANCELLED)
# Ear moulds come from a process's 'Bestellservice' step; article orders (Artikel with
# quantity, for one supplier) are written in stock management and go out through Audoora.
EAR_MOULD, ARTICLES = "ear_mould", "articles"
ORDER_TYPES = (EAR_MOULD, ARTICLES)
MAX_LINES = 20
# Order.handoff: the standard process delivered the order to a person, not to a partner system.
HANDOFFS = ("", "print_fax", "phone")

# The delivery of an order is an outbound operation of kind ORDER_KIND whose subject is the
# order (webapp/outbound/); its states and attempt outcomes are the engine's.
ORDER_KIND, ORDER_SUBJECT = "order_submit", "order"


class Order(Tracked, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status"),
        CheckConstraint(f"order_type IN {ORDER_TYPES!r}", name="order_type"),
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
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no")
    # Its one delivery: the outbound row that holds the exclusive key "order:<id>" for good.
    outbound: Mapped[Outbound | None] = relationship(
        Outbound, uselist=False, viewonly=True,
        primaryjoin=lambda: and_(Outbound.subject_type == ORDER_SUBJECT,
                                 foreign(Outbound.subject_id) == Order.id))

    @property
    def locked(self):
        return bool(self.external_number)

    def __str__(self):
        return self.number or f"#{self.id}"


class OrderLine(db.Model):
    """One article of an article order: what staff wrote (article number, name, quantity),
    and once the partner's catalogue identified it, the partner's article id. A line removed
    in the Audoora cart stays, marked, so the order shows what was left out."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity >= 1 AND quantity <= 9999", name="quantity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    article_number: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(120), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    article_id: Mapped[str] = mapped_column(String(60), default="")  # the portal's
    removed: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def label(self):
        return " – ".join(part for part in (self.article_number, self.name) if part)
