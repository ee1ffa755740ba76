"""Companies (Firmen): suppliers, manufacturers and labs, with their order settings."""
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, Tracked
from ..org.models import Branch

# Bestellform: how orders reach the company.
ORDER_FORMS = ("document", "phone", "interface")


class Company(Tracked, db.Model):
    __tablename__ = "companies"
    __table_args__ = (CheckConstraint(f"order_form IN {ORDER_FORMS!r}", name="order_form"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    is_manufacturer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_lab: Mapped[bool] = mapped_column(Boolean, default=False)
    street: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Tab "Bestellung/Lieferung"
    ordering_active: Mapped[bool] = mapped_column(Boolean, default=False)
    order_form: Mapped[str] = mapped_column(String(12), default="document")
    order_email: Mapped[str] = mapped_column(String(254), default="")

    customer_numbers: Mapped[list["CustomerNumber"]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )

    def __str__(self):
        return self.name

    def customer_number_for(self, branch_id):
        for entry in self.customer_numbers:
            if entry.branch_id == branch_id:
                return entry.number
        return ""


class CustomerNumber(db.Model):
    """The chain's customer number (Kundennummer) at a company, per branch."""

    __tablename__ = "customer_numbers"
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), primary_key=True, index=True)
    number: Mapped[str] = mapped_column(String(40))

    company: Mapped[Company] = relationship(back_populates="customer_numbers")
    branch: Mapped[Branch] = relationship()
