"""Änderungsprotokoll: who created, changed, copied or deleted what, and when."""
from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTC, utcnow

# reveal: a secret was shown; plan…: the steps of a planned credential change of a service
# (interfaces/credential_plans.py). The change log's filter offers each.
ACTIONS = ("create", "update", "copy", "delete", "reveal", "plan", "plan_edit", "plan_stop",
           "plan_swap", "plan_done", "plan_back")


class ChangeLogEntry(db.Model):
    """One saved change. `changes` is a list of {field, old, new} dicts; secret fields carry
    {"field": ..., "secret": true} and never a value. Users and branches are stored by id
    and name so entries outlive what they describe."""

    __tablename__ = "change_log"
    __table_args__ = (
        # A record's history newest first (entries_for), read in index order.
        Index("ix_change_log_entity", "entity_type", "entity_id", "at"),
        Index("ix_change_log_at", "at"),
        # The change log filtered by type, newest first: without it a type filter sorts every
        # entry of the type (SQLite picks the entity index for entity_type = ?).
        Index("ix_change_log_type_at", "entity_type", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(120), default="")
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(10))
    branch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    branch_name: Mapped[str] = mapped_column(String(120), default="")
    changes: Mapped[list] = mapped_column(JSON, default=list)
