"""What we hold of SiNNO: the login of each SiNNO-App service (its token encrypted), the chat
messages of its customers, and which customers have app access. Rows change only when SiNNO
confirmed, so our state never runs ahead of the app's."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow

# SinnoLogin.state
LOGGED_IN, LOGGED_OUT, EXPIRED = "logged_in", "logged_out", "expired"
# SinnoMessage.direction and the state of our answers
FROM_CUSTOMER, FROM_SHOP = "customer", "shop"
RECEIVED, SENDING, SENT, NOT_SENT = "received", "sending", "sent", "failed"
# SinnoActivation.state
ACTIVATING, ACTIVE, DEACTIVATING, INACTIVE, ACTIVATION_FAILED = (
    "activating", "active", "deactivating", "inactive", "failed")
HOLDS_CONTACT = (ACTIVATING, ACTIVE, DEACTIVATING)


class SinnoLogin(db.Model):
    """The login of one SiNNO-App service: since when, as which company, and the token every
    call of the app API carries. The token is a secret: encrypted, deferred (loading the row
    to show "angemeldet seit" never decrypts it), never rendered, logged or put in a job."""
    __tablename__ = "sinno_logins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=LOGGED_OUT)
    token: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    session_id: Mapped[str] = mapped_column(String(40), default="")
    company_name: Mapped[str] = mapped_column(String(120), default="")
    company_number: Mapped[str] = mapped_column(String(40), default="")
    logged_in_at: Mapped[datetime | None] = mapped_column(UTC)
    logged_out_at: Mapped[datetime | None] = mapped_column(UTC)
    # The chat sync's position: the highest message sequence number stored. Only a shortcut;
    # a message fetched twice is stored once all the same (SinnoMessage's unique key).
    chat_cursor: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(UTC)


class SinnoMessage(db.Model):
    """One chat message between a customer and the shop, on the account (the SiNNO-App
    service) it came through. A customer's message is stored once however often it is
    fetched: (account, SiNNO's message id) is unique. Our answer is stored first, without
    SiNNO's id, and gets it when SiNNO took it."""
    __tablename__ = "sinno_messages"
    __table_args__ = (UniqueConstraint("account_id", "partner_id", name="uq_sinno_message"),
                      Index("ix_sinno_messages_customer", "customer_id", "id"),
                      Index("ix_sinno_messages_unread", "account_id", "direction", "read_at"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    customer_ref: Mapped[str] = mapped_column(String(40))   # our customer id, as SiNNO has it
    partner_id: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    author: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(10), default=RECEIVED)
    error: Mapped[str] = mapped_column(String(1000), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTC)


class SinnoActivation(db.Model):
    """A customer's app access (Kundenfreischaltung). While it is being switched on or is
    on, the customer's mobile number and e-mail address (normalised) sit in columns that
    are unique: no two activated customers share one, also in a race."""
    __tablename__ = "sinno_activations"
    __table_args__ = (IDS_NEVER_REUSED,)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface_services.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default=INACTIVE)
    mobile: Mapped[str] = mapped_column(String(40), default="")   # as sent
    email: Mapped[str] = mapped_column(String(254), default="")
    held_mobile: Mapped[str | None] = mapped_column(String(40), unique=True)
    held_email: Mapped[str | None] = mapped_column(String(254), unique=True)
    partner_id: Mapped[str] = mapped_column(String(40), default="")
    activated_at: Mapped[datetime | None] = mapped_column(UTC)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTC)
    error: Mapped[str] = mapped_column(String(1000), default="")
    updated_by: Mapped[str] = mapped_column(String(120), default="")
