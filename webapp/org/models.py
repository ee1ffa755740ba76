"""The chain, its branches (Filialen), their organisations (Filialorganisationen) and
workstations (Rechner)."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, Tracked


class Chain(Tracked, db.Model):
    """The one chain (Filialkette) of this installation; always the row with id 1."""

    __tablename__ = "chain"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    admins_may_view_secrets: Mapped[bool] = mapped_column(Boolean, default=False)
    # Customers are chain-wide (served in any branch); on, branch managers and staff see only
    # the customers whose leading branch is one of theirs (docs/permissions.md).
    customers_by_branch: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    # The nightly re-test of server-side services (interfaces/health_checks.py): its time of
    # day in the chain's time zone, "HH:MM" ("" = none), and after how many failed connection
    # tests of a service in a row an alert goes out.
    health_check_time: Mapped[str] = mapped_column(String(5), default="02:00",
                                                   server_default="02:00")
    health_alert_after: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Refresh the Audoora registration at night when something changed since the last one
    # (jobs/audoora.py); off by default, since the refresh sends every user and branch.
    audoora_auto_refresh: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())


class Branch(Tracked, db.Model):
    """A shop (Filiale) with its own address and its business office (Geschäftsstelle)."""

    __tablename__ = "branches"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_code: Mapped[str] = mapped_column(String(10), unique=True)
    street: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    office_street: Mapped[str] = mapped_column(String(120), default="")
    office_postal_code: Mapped[str] = mapped_column(String(10), default="")
    office_city: Mapped[str] = mapped_column(String(80), default="")
    office_email: Mapped[str] = mapped_column(String(254), default="")
    office_phone: Mapped[str] = mapped_column(String(40), default="")
    # Vordefiniertes Otoplastik-Labor: preselected at a process's 'Bestellservice' step.
    ear_mould_lab_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)

    workstations: Mapped[list["Workstation"]] = relationship(
        back_populates="branch", order_by="Workstation.name"
    )
    ear_mould_lab: Mapped["Company | None"] = relationship(foreign_keys=[ear_mould_lab_id])

    def __str__(self):
        return self.name


class Workstation(Tracked, db.Model):
    """A computer (Rechner / Arbeitsplatz) in a branch, named by its hostname."""

    __tablename__ = "workstations"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)

    branch: Mapped[Branch] = relationship(back_populates="workstations")

    def __str__(self):
        return self.name


# A branch leaves its organisations when it is deleted: membership never blocks the delete
# (services.delete_branch logs the change of each organisation first).
branch_organisation_members = Table(
    "branch_organisation_members",
    db.metadata,
    Column("organisation_id", ForeignKey("branch_organisations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class BranchOrganisation(Tracked, db.Model):
    """A named group of branches (Filialorganisation), e.g. a region: a choice of branches
    that other screens can name at once."""

    __tablename__ = "branch_organisations"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")

    branches: Mapped[list[Branch]] = relationship(secondary=branch_organisation_members,
                                                  order_by=Branch.name)

    @property
    def branch_ids(self):
        """The members' ids, as the editor's checkboxes hold them."""
        return [branch.id for branch in self.branches]

    def __str__(self):
        return self.name
