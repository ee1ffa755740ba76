"""The Audoora cart (Warenkorb) of an article order: what the portal could not place at once
— a missing customer number, an article its catalogue did not identify — kept for 6 hours
or until it is ordered (seed 002). The portal holds the cart under its id; this row mirrors
it with what is missing, the customer number entered, and when it ends.

Its state moves by conditional UPDATEs only: open → ordering (the person clicked
"Bestellen" before it expired) → ordered, or back to open when the portal refused; open →
expired (the scheduled job, or a request that finds it past its time). So a click at the
last second and the expiry job never both win."""
from datetime import datetime, timedelta

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTC, utcnow

LIFETIME = timedelta(hours=6)
OPEN, ORDERING, ORDERED, EXPIRED = "open", "ordering", "ordered", "expired"
STATES = (OPEN, ORDERING, ORDERED, EXPIRED)


class AudooraCart(db.Model):
    __tablename__ = "audoora_carts"
    __table_args__ = (CheckConstraint(f"state IN {STATES!r}", name="state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          unique=True)
    cart_id: Mapped[str] = mapped_column(String(40))  # the portal's, e.g. AUDC-000001
    state: Mapped[str] = mapped_column(String(12), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTC, index=True)
    # Entered in the cart when the supplier's master data has none for the branch.
    customer_number: Mapped[str] = mapped_column(String(40), default="")
    # What the last look at the catalogue left open: [{"what": "customer_number"} |
    # {"what": "article", "line": n, "reason": "not_found"|"ambiguous", "candidates": [...]}].
    missing: Mapped[list] = mapped_column(JSON, default=list)

    def remaining(self, now=None):
        """The time left (never negative)."""
        return max(self.expires_at - (now or utcnow()), timedelta(0))

    def is_open(self, now=None):
        return self.state == OPEN and self.expires_at > (now or utcnow())


def cart_of(order_id):
    return db.session.scalar(db.select(AudooraCart).where(AudooraCart.order_id == order_id))


def expire(now=None, limit=500):
    """End the open carts whose 6 hours are over; returns how many. Run by the scheduled job
    jobs.audoora.expire_carts (and safe to run twice, late, or at once from two workers)."""
    now = now or utcnow()
    ids = db.session.scalars(db.select(AudooraCart.id).where(
        AudooraCart.state == OPEN, AudooraCart.expires_at <= now).limit(limit)).all()
    if not ids:
        return 0
    return db.session.execute(
        update(AudooraCart).where(AudooraCart.id.in_(ids), AudooraCart.state == OPEN,
                                  AudooraCart.expires_at <= now)
        .values(state=EXPIRED).execution_options(synchronize_session=False)).rowcount


def claim_for_order(cart, now=None):
    """open → ordering, only while it has not expired: True when this request won."""
    now = now or utcnow()
    won = db.session.execute(
        update(AudooraCart).where(AudooraCart.id == cart.id, AudooraCart.state == OPEN,
                                  AudooraCart.expires_at > now)
        .values(state=ORDERING).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(cart)
    return won
