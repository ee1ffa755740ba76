"""The health board's tables: the marker of each day's nightly re-test, and the notices about
services whose connection tests keep failing (and recover). Results themselves are the
connection tests' outbound rows (webapp/outbound/); nothing here copies them."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow

# HealthNotice.kind
FAILING, RECOVERED = "failing", "recovered"
NOTICE_KINDS = (FAILING, RECOVERED)


class HealthRun(db.Model):
    """The nightly re-test of one day (the chain's date). Inserting the day's row is how a
    run claims the day: the unique `day` lets exactly one of many ticking workers start it,
    and a day that has a row is never started again, even after Redis lost its keys."""

    __tablename__ = "health_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    tests: Mapped[int] = mapped_column(Integer, default=0)  # connection tests it started


class HealthNotice(db.Model):
    """An in-app notice (and the e-mails that go with it): a service's connection tests failed
    `failures` times in a row ("failing"), or it passed again after such a notice
    ("recovered"). One per streak and kind: `streak_id` is the first failed test of the streak
    (an outbound row id), and the unique constraint keeps a replay from saying it twice.

    Never a secret: the failing step and reason are codes shown in words; the service's name
    and branch are kept so the notice outlives a deleted service."""

    __tablename__ = "health_notices"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTICE_KINDS!r}", name="kind"),
        UniqueConstraint("service_id", "streak_id", "kind"),
        Index("ix_health_notices_branch", "branch_id", "id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("interface_services.id", ondelete="SET NULL"))
    service_name: Mapped[str] = mapped_column(String(120))
    interface_key: Mapped[str] = mapped_column(String(64))
    # The branch whose readers see it (a workstation service's: its workstation's branch);
    # None for a chain-wide service, which everyone reads.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    streak_id: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(20), default="")    # probes.STEPS, "" if unknown
    reason: Mapped[str] = mapped_column(String(20), default="")  # probes.REASON_TEXTS' keys
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
