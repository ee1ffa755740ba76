"""Customers (Kunden) of the chain: people served by a branch."""
from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, Tracked
from ..org.models import Branch


class Customer(Tracked, db.Model):
    """A customer with name, address and contact data, looked after by one branch."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_name", "last_name", "first_name"),
        # The list's order (services.search_customers): its first page reads 25 index
        # entries instead of sorting every customer (issue 15).
        Index("ix_customers_sort", text("lower(last_name)"), text("lower(first_name)"), "id"),
        IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Kundennummer, e.g. "K-000042": derived from the id after the first flush, never reused.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    salutation: Mapped[str] = mapped_column(String(20), default="")
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80))
    street: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    mobile: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")

    branch: Mapped[Branch] = relationship()

    @property
    def name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def __str__(self):
        return listed_name(self.last_name, self.first_name)


def listed_name(last_name, first_name):
    """How lists name a customer (str(customer)): "Last, First", or the last name alone;
    for rows that read the two columns without the customer."""
    return f"{last_name}, {first_name}" if first_name else last_name
