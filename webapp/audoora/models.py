"""What the portal holds of the chain, as last confirmed by it: one row per Audoora service,
written only when the portal accepted a registration or refresh, so our state never runs
ahead of the portal's."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTC


class AudooraRegistration(db.Model):
    __tablename__ = "audoora_registrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"), unique=True)
    registration_id: Mapped[str] = mapped_column(String(40))   # the portal's, e.g. AUDR-000001
    revision: Mapped[int] = mapped_column(Integer, default=1)
    registered_at: Mapped[datetime] = mapped_column(UTC)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTC)
    # SHA-256 of the body last sent (canonical JSON) and the body itself, to tell whether a
    # refresh is due and what changed since. Names and contact data as sent; never a secret.
    fingerprint: Mapped[str] = mapped_column(String(64))
    sent: Mapped[dict] = mapped_column(JSON, default=dict)
    # The branches the portal listed back: [{ref, name, portal_id}].
    portal_branches: Mapped[list] = mapped_column(JSON, default=list)


class AudooraPartnerList(db.Model):
    """The partner companies the portal forwards orders to, as last fetched for a service
    ("Partnerliste abrufen"): the editor checks each against the companies' master data."""
    __tablename__ = "audoora_partner_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"), unique=True)
    partners: Mapped[list] = mapped_column(JSON, default=list)  # [{id, name}] as the portal said
    fetched_at: Mapped[datetime] = mapped_column(UTC)
