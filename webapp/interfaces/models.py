"""Services (configured instances of catalogue interfaces), their secrets and company links.

A service lives at one scope: the chain (no branch, no workstation), a branch (`branch_id`) or a
workstation (`workstation_id`; its branch is the workstation's, never stored twice, so moving a
workstation cannot leave a stale copy). Field values that are not secrets sit in the JSON column
`values`; secrets in `interface_service_secrets`, encrypted; company/supplier references are
mirrored into `interface_service_companies` so that "which service orders for company X" and
"may this company be deleted" are indexed queries on SQLite and PostgreSQL alike.
"""
from datetime import date, datetime

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..crypto import EncryptedText
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked, fold_text, utcnow
from ..org.models import Branch, Workstation
from . import catalogue

CHAIN, BRANCH, WORKSTATION = "chain", "branch", "workstation"


def _group_position(context):
    return catalogue.group_position(context.get_current_parameters()["group_key"])


def _search_name(context):
    return fold_text(context.get_current_parameters()["name"])


class InterfaceService(Tracked, db.Model):
    """One configured service (Service / Dienst) of an interface type of the catalogue.

    `enabled` is the admin's switch (deaktiviert); whether the service is *active* is computed
    from `start_date` against today in the chain's time zone (services.service_state), never
    stored. `unique_slot` is derived on every save from the catalogue's per-scope rule
    (e.g. "smtp|b3"), so the database refuses a second service for the same slot even when two
    saves race; it is NULL for types that allow several services without a distinguishing field.
    """

    __tablename__ = "interface_services"
    __table_args__ = (
        CheckConstraint("branch_id IS NULL OR workstation_id IS NULL", name="one_scope"),
        CheckConstraint("usage_server OR usage_client", name="usage"),
        Index("ix_interface_services_group_name", "group_key", "name"),
        # The list's default order (services._ordering) per place: its first page reads 25
        # index entries instead of sorting every chain and branch service (issue 15). Then
        # what its search compares: the search's count reads the index alone, and its page
        # tests each entry without reading the row.
        Index("ix_interface_services_list", "workstation_id", "group_position",
              text("lower(name)"), "id", "search_name", "branch_id", "interface_key"),
        Index("ix_interface_services_place", "branch_id", "workstation_id"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interface_key: Mapped[str] = mapped_column(String(64), index=True)
    group_key: Mapped[str] = mapped_column(String(64))
    # catalogue.group_position(group_key), set on insert (a service never changes its group):
    # the list sorts by the catalogue's order of groups. When that order changes, a migration
    # renumbers the stored positions (tests/interfaces/test_group_position.py says when).
    group_position: Mapped[int] = mapped_column(Integer, default=_group_position,
                                                server_default="0")
    name: Mapped[str] = mapped_column(String(120))
    # The name as the search compares it (fold_text), kept with every change of the name and
    # set on a bulk insert by the default: the list's search matches it with a plain LIKE
    # instead of folding every chain and branch service's name per request (issue 15).
    search_name: Mapped[str] = mapped_column(String(240), default=_search_name,
                                             server_default="")
    # Indexed with workstation_id in ix_interface_services_place: where services apply, the
    # chain's are those without either (issue 15).
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    # Indexed first in ix_interface_services_list; an index of its own made PostgreSQL sort
    # every chain and branch service for the list's first page (migration a4c6e8f0b2d3).
    workstation_id: Mapped[int | None] = mapped_column(ForeignKey("workstations.id"))
    usage_server: Mapped[bool] = mapped_column(Boolean, default=False)
    usage_client: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # {field_key: JSON value} for every non-secret field, {table_key: [row, …]} for tables;
    # dates as ISO strings, empty fields as null (see values.to_storage / from_storage).
    values: Mapped[dict] = mapped_column("field_values", JSON, default=dict)
    unique_slot: Mapped[str | None] = mapped_column(String(255), unique=True)

    branch: Mapped[Branch | None] = relationship()
    workstation: Mapped[Workstation | None] = relationship()
    secrets: Mapped[list["ServiceSecret"]] = relationship(
        back_populates="service", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ServiceSecret.field_key",
    )
    company_links: Mapped[list["ServiceCompany"]] = relationship(
        back_populates="service", cascade="all, delete-orphan", passive_deletes=True,
    )

    @validates("name")
    def _fold_name(self, _key, name):
        self.search_name = fold_text(name)
        return name

    @property
    def scope(self):
        """"chain", "branch" or "workstation"."""
        if self.workstation_id is not None:
            return WORKSTATION
        return BRANCH if self.branch_id is not None else CHAIN

    @property
    def scope_branch_id(self):
        """The branch the service belongs to: its own, its workstation's, or None (chain)."""
        if self.workstation_id is not None:
            return self.workstation.branch_id
        return self.branch_id

    @property
    def scope_branch(self):
        """The Branch the service belongs to (see scope_branch_id), or None."""
        if self.workstation_id is not None:
            return self.workstation.branch
        return self.branch

    @property
    def secret_keys(self):
        """Keys of the secret fields that are set (never their values)."""
        return {secret.field_key for secret in self.secrets}

    def __str__(self):
        return self.name


class ServiceSecret(db.Model):
    """One secret field value of a service, encrypted at rest (crypto.EncryptedText). A row
    exists only while the secret is set. The value is deferred: loading the row to show
    'gesetzt / nicht gesetzt' never decrypts it."""

    __tablename__ = "interface_service_secrets"
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"), primary_key=True)
    field_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(EncryptedText, deferred=True)
    updated_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, onupdate=utcnow)

    service: Mapped[InterfaceService] = relationship(back_populates="secrets")


class ServiceCompany(db.Model):
    """A company named in a company or supplier field of a service, mirrored from `values`.

    `exclusive_slot` is set where a company may belong to one service only per scope (the
    ear-mould group: "ear_mould_ordering|b3"; other types whose unique_by field holds several
    companies: "<interface>|<scope>"); the unique constraint makes the database enforce it."""

    __tablename__ = "interface_service_companies"
    __table_args__ = (UniqueConstraint("exclusive_slot", "company_id"),)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("interface_services.id", ondelete="CASCADE"), primary_key=True)
    field_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True,
                                            index=True)
    exclusive_slot: Mapped[str | None] = mapped_column(String(160))

    service: Mapped[InterfaceService] = relationship(back_populates="company_links")
