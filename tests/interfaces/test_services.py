"""Interface services: scope rules, uniqueness, protection, start dates, change log, locking,
fixed fields, copy and delete — all enforced by the services, without any view."""
import datetime

import pytest

from tests.factories import SMTP_RAW, TODAY
from webapp.changelog.models import ChangeLogEntry
from webapp.errors import Conflict, DomainError, InUse
from webapp.extensions import db
from webapp.interfaces import resolver, services
from webapp.interfaces.models import InterfaceService
from webapp.interfaces.values import InvalidValues


def ear_mould(world, *companies, **extra):
    raw = {"companies": [str(c.id) for c in companies], "base_url": "https://order.example.org",
           "username": "filiale", "password": "pw-1"}
    raw.update(extra)
    return raw


def log(service_id):
    return db.session.scalars(db.select(ChangeLogEntry).where(
        ChangeLogEntry.entity_type == "interface_service", ChangeLogEntry.entity_id == service_id)
        .order_by(ChangeLogEntry.id)).all()


# --- scope ---------------------------------------------------------------------------------

def test_ear_mould_refused_at_a_workstation_with_the_reason(world, make_service):
    """Ear-mould ordering lives in branch management only; the refusal says why."""
    with pytest.raises(DomainError) as caught:
        make_service("dreve_smartorder", ear_mould(world, world.dreve),
                     workstation_id=world.st_till.id)
    assert caught.value.field == "workstation_id"
    assert "branch management only" in str(caught.value.message)
    assert db.session.scalar(db.select(db.func.count(InterfaceService.id))) == 0


def test_tse_only_on_a_workstation(world, make_service):
    """The TSE may not be chain-wide nor limited to a branch, only on a workstation."""
    raw = {"drive_letter": "E:"}
    with pytest.raises(DomainError, match="workstation's settings") as chain:
        make_service("tse_swissbit", raw)
    assert chain.value.field == "branch_id"
    with pytest.raises(DomainError, match="workstation's settings"):
        make_service("tse_swissbit", raw, branch_id=world.st.id)
    tse = make_service("tse_swissbit", raw, workstation_id=world.st_till.id)
    assert tse.scope == "workstation" and tse.branch_id is None
    assert tse.scope_branch_id == world.st.id
    assert tse.usage_client and not tse.usage_server


def test_reminders_chain_only_branch_refused(world, make_service):
    """Appointment reminders are chain-wide: a branch is refused; a workstation as well."""
    raw = {"contact_template": "Terminerinnerung", "days_before": "2"}
    with pytest.raises(DomainError, match="whole chain") as caught:
        make_service("appointment_reminders", raw, branch_id=world.st.id)
    assert caught.value.field == "branch_id"
    with pytest.raises(DomainError, match="workstation settings"):
        make_service("appointment_reminders", raw, workstation_id=world.st_till.id)
    assert make_service("appointment_reminders", raw).scope == "chain"


def test_usage_limited_to_what_the_interface_allows(world, make_service):
    """Server-side use of a client-only interface and 'no usage at all' are refused."""
    with pytest.raises(InvalidValues) as caught:
        make_service("tse_swissbit", {"drive_letter": "E:"}, workstation_id=world.st_till.id,
                     usage_server=True)
    assert "usage_server" in caught.value.errors
    with pytest.raises(InvalidValues) as none:
        make_service("smtp", usage_server=False, usage_client=False)
    assert none.value.errors["usage_server"] == "Choose at least one usage."


def test_allowed_interfaces_for_the_new_dialog(app, world):
    """Workstation settings offer the TSE, never ear-mould ordering or reminders."""
    keys = {iface.key for _g, iface in services.allowed_interfaces_for("workstation")}
    assert "tse_swissbit" in keys and "smtp" in keys
    assert "dreve_smartorder" not in keys and "appointment_reminders" not in keys
    management = {iface.key for _g, iface in services.allowed_interfaces_for(("chain", "branch"))}
    assert "dreve_smartorder" in management and "tse_swissbit" not in management
    assert [i.key for _g, i in services.allowed_interfaces_for("workstation", q="swissbit")] == [
        "tse_swissbit"]


# --- uniqueness ----------------------------------------------------------------------------

def test_one_service_per_type_and_scope(world, make_service):
    """A second SMTP service for the chain or the same branch is refused; another branch and a
    workstation are other scopes."""
    make_service("smtp", name="Chain SMTP")
    with pytest.raises(DomainError, match="whole chain: Chain SMTP"):
        make_service("smtp", name="Second")
    make_service("smtp", name="Stuttgart SMTP", branch_id=world.st.id)
    with pytest.raises(DomainError, match="branch Stuttgart") as caught:
        make_service("smtp", name="Again", branch_id=world.st.id)
    assert caught.value.field == "branch_id"
    make_service("smtp", name="Ulm SMTP", branch_id=world.ul.id)
    make_service("smtp", name="Till SMTP", workstation_id=world.st_till.id, raw={})
    with pytest.raises(DomainError, match="workstation ST-KASSE"):
        make_service("smtp", name="Till 2", workstation_id=world.st_till.id, raw={})


def test_unique_by_one_service_per_value(world, make_service):
    """E-mail ordering: one service per company and one generic (no company) per scope."""
    raw = {"subject": "Bestellung", "order_template": "Bestellschein"}
    make_service("email_order", raw, name="Generic")
    with pytest.raises(DomainError) as caught:
        make_service("email_order", raw, name="Generic 2")
    assert caught.value.field == "company"
    make_service("email_order", {**raw, "company": str(world.dreve.id)}, name="Dreve")
    with pytest.raises(DomainError, match="Dreve"):
        make_service("email_order", {**raw, "company": str(world.dreve.id)}, name="Dreve 2")
    make_service("email_order", {**raw, "company": str(world.egger.id)}, name="Egger")


def test_unique_by_text_ignores_case(world, make_service):
    """CalDAV accounts: one per user name in a scope, whatever the case."""
    make_service("caldav_service_account", {"username": "kalender", "password": "x"})
    with pytest.raises(DomainError):
        make_service("caldav_service_account", {"username": "Kalender", "password": "y"})


def test_one_company_one_ear_mould_service_per_scope(world, make_service):
    """A company is assigned to at most one ear-mould service per scope, across all the
    group's interface types; other branches and the chain are other scopes."""
    make_service("dreve_smartorder", ear_mould(world, world.dreve), name="Dreve ST",
                 branch_id=world.st.id)
    with pytest.raises(DomainError) as caught:
        make_service("egger_erp_order", ear_mould(world, world.egger, world.dreve),
                     name="Egger ST", branch_id=world.st.id)
    assert caught.value.field == "companies"
    assert "Dreve is already assigned" in str(caught.value.message)
    assert "Dreve ST" in str(caught.value.message)
    make_service("egger_erp_order", ear_mould(world, world.egger), name="Egger ST",
                 branch_id=world.st.id)
    make_service("egger_erp_order", ear_mould(world, world.dreve), name="Dreve UL",
                 branch_id=world.ul.id)
    make_service("audia_easy_order", ear_mould(world, world.dreve, world.egger), name="Chain")


def test_moving_a_company_between_services_on_update(world, make_service):
    """Taking a company out of one service frees it for another in the same scope."""
    first = make_service("dreve_smartorder", ear_mould(world, world.dreve, world.egger),
                         name="First", branch_id=world.st.id)
    assert services.update_service(world.admin, first, {}, ear_mould(world, world.dreve),
                                   first.version)
    make_service("egger_erp_order", ear_mould(world, world.egger), name="Second",
                 branch_id=world.st.id)


# --- protection ----------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["branch", "chain"])
def test_protected_service_blocks_workstation_override(world, make_service, level):
    """While a protected branch or chain service exists (active or planned), a workstation
    of that branch cannot get its own service of the type; another branch's can."""
    where = {"branch_id": world.st.id} if level == "branch" else {}
    make_service("smtp", name="Protected SMTP", protected=True,
                 start_date=TODAY + datetime.timedelta(days=30), **where)
    with pytest.raises(DomainError, match="Protected SMTP is protected"):
        make_service("smtp", raw={}, name="Till", workstation_id=world.st_till.id)
    blocking = services.protected_services_blocking(world.st_till, "smtp")
    assert [s.name for s in blocking] == ["Protected SMTP"]
    if level == "branch":
        make_service("smtp", name="UL till", workstation_id=world.ul_till.id)
    else:
        assert services.protected_services_blocking(world.ul_till, "smtp")


def test_disabled_protected_service_does_not_block(world, make_service):
    """Only enabled protected services lock the workstation settings."""
    off = make_service("smtp", name="Off", protected=True, enabled=False, branch_id=world.st.id)
    till = make_service("smtp", raw=SMTP_RAW, name="Till", workstation_id=world.st_till.id)
    assert till.workstation_id == world.st_till.id
    assert services.protected_services_blocking(world.st_till, "smtp") == []
    # The till's own service applies there; the disabled one protects nothing.
    entry = resolver.effective_configuration(workstation=world.st_till, today=TODAY).entry("smtp")
    assert entry.resolution.service.id == till.id and entry.resolution.base is None
    assert entry.protected_by is None and entry.overridden == []
    assert [(item.service.id, item.state) for item in entry.inactive] == [(off.id, "disabled")]


def test_workstation_service_cannot_be_protected(world, make_service):
    """Protection locks workstation settings; on a workstation service it means nothing."""
    with pytest.raises(InvalidValues) as caught:
        make_service("smtp", name="Till", workstation_id=world.st_till.id, protected=True)
    assert "protected" in caught.value.errors


# --- start date ----------------------------------------------------------------------------

def test_state_planned_until_the_start_date(world, make_service):
    """Start tomorrow: planned today, active tomorrow, with nobody acting; disabled wins."""
    tomorrow = TODAY + datetime.timedelta(days=1)
    service = make_service("smtp", start_date=tomorrow)
    assert services.service_state(service, TODAY) == ("planned", tomorrow)
    assert services.service_state(service, tomorrow) == ("active", tomorrow)
    service.enabled = False
    assert services.service_state(service, tomorrow) == ("disabled", tomorrow)
    assert services.service_state(make_service("smtp", branch_id=world.st.id), TODAY) == (
        "active", None)


def test_today_is_the_chain_time_zone_date(world, make_service):
    """At 23:30 UTC on 1 March it is already 2 March in Berlin: a service starting on
    2 March is active; in UTC terms it would still be planned."""
    late = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.timezone.utc)
    assert services.chain_today(late) == datetime.date(2026, 3, 2)
    service = make_service("smtp", start_date=datetime.date(2026, 3, 2))
    assert services.service_state(service, services.chain_today(late))[0] == "active"
    assert services.service_state(service, late.date())[0] == "planned"


# --- change log ----------------------------------------------------------------------------

def test_create_update_copy_delete_are_logged(world, make_service):
    """Each write leaves one entry with user, branch and the changed fields (old → new)."""
    service = make_service("smtp", name="SMTP ST", branch_id=world.st.id)
    (created,) = log(service.id)
    assert created.action == "create" and created.user_name == "Anna Admin"
    assert created.branch_name == "Stuttgart"
    fields = {c["field"]: c for c in created.changes}
    assert fields["host"]["new"] == "mail.example.org" and fields["branch_id"]["new"] == "Stuttgart"

    assert services.update_service(world.admin, service, {"name": "SMTP Stuttgart"},
                                   {**SMTP_RAW, "port": "465"}, service.version)
    update = log(service.id)[-1]
    assert update.action == "update"
    assert sorted(update.changes, key=lambda c: c["field"]) == [
        {"field": "name", "old": "SMTP ST", "new": "SMTP Stuttgart"},
        {"field": "port", "old": 587, "new": 465},
    ]
    copy = services.copy_service(world.admin, service, {"branch_id": world.ul.id})
    assert copy.name == "SMTP Stuttgart (copy)"
    (copied,) = log(copy.id)
    assert copied.action == "copy" and copied.branch_name == "Ulm"
    assert copied.changes[0] == {"field": "copied_from", "old": None, "new": "SMTP Stuttgart"}

    service_id = service.id
    services.delete_service(world.admin, service, service.version)
    assert log(service_id)[-1].action == "delete"
    assert db.session.get(InterfaceService, service_id) is None


def test_a_save_that_changes_nothing_writes_nothing(world, make_service):
    """Same input again: no entry, no new version."""
    service = make_service("smtp")
    assert not services.update_service(world.admin, service, {"name": "smtp"}, dict(SMTP_RAW),
                                       service.version)
    assert len(log(service.id)) == 1 and service.version == 1


# --- locking, fixed fields -----------------------------------------------------------------

def test_saving_over_a_newer_change_is_refused_naming_who(world, make_service):
    """The second editor, holding version 1, learns who saved and when."""
    service = make_service("smtp")
    services.update_service(world.admin, service, {"name": "Neu"}, None, 1)
    with pytest.raises(Conflict) as caught:
        services.update_service(world.admin, service, {"name": "Alt"}, None, 1)
    assert "Anna Admin saved this record" in str(caught.value.message)
    with pytest.raises(Conflict):
        services.delete_service(world.admin, service, version=1)


def test_fixed_after_save_fields_cannot_change(world, make_service):
    """SMSAPI's authentication mode is chosen once: a change is refused beside that field."""
    raw = {"base_url": "https://api.smsapi.com", "auth_mode": "token", "token": "t-1"}
    service = make_service("smsapi", raw)
    with pytest.raises(DomainError) as caught:
        services.update_service(world.admin, service, {}, {
            **raw, "auth_mode": "user_password", "username": "u", "password": "p"},
            service.version)
    assert caught.value.field == "auth_mode"
    assert services.update_service(world.admin, service, {}, {**raw, "read_timeout": "60"},
                                   service.version)


# --- copy and delete -----------------------------------------------------------------------

def test_copy_into_the_same_scope_is_refused_for_single_types(world, make_service):
    """A copy is a new service and obeys the same uniqueness rules."""
    service = make_service("smtp")
    with pytest.raises(DomainError, match="already a service"):
        services.copy_service(world.admin, service)


def test_copy_refusal_says_what_copy_would_refuse_without_copying(world, make_service):
    """copy_refusal answers as copy_service would, and copies nothing: the same branch has
    its ear-mould service, a branch manager may not copy into another's branch, and a
    branch that has neither takes the copy."""
    service = make_service("dreve_smartorder", ear_mould(world, world.dreve), name="Dreve ST",
                           branch_id=world.st.id)
    same = services.copy_refusal(world.admin, service, {"branch_id": world.st.id})
    assert "Dreve ST" in same
    assert "own branches" in services.copy_refusal(world.manager, service,
                                                   {"branch_id": world.ul.id})
    assert services.copy_refusal(world.admin, service, {"branch_id": world.ul.id}) is None
    assert db.session.scalar(db.select(db.func.count(InterfaceService.id))) == 1
    assert len(log(service.id)) == 1 and not db.session.new

def test_delete_refused_while_another_service_requires_it(world, make_service):
    """The only SMTP service cannot go while reminders need one; with a second it can."""
    smtp = make_service("smtp", name="Chain SMTP")
    make_service("appointment_reminders", {"contact_template": "T", "days_before": "1"},
                 name="Reminders")
    assert services.service_dependents(smtp) == ["needed by Reminders"]
    with pytest.raises(InUse, match="needed by Reminders"):
        services.delete_service(world.admin, smtp)
    make_service("smtp", name="ST SMTP", branch_id=world.st.id)
    assert services.service_dependents(smtp) == []
    services.delete_service(world.admin, smtp)


# --- field input ---------------------------------------------------------------------------

def test_invalid_field_input_lists_every_problem(world, make_service):
    """All bad fields come back at once, keyed by input name; nothing is saved."""
    with pytest.raises(InvalidValues) as caught:
        make_service("smtp", {"host": "", "port": "99999", "encryption": "rot13",
                              "sender_address": "nobody"}, name="")
    assert set(caught.value.errors) == {"name", "host", "port", "encryption", "sender_address"}
    assert db.session.scalar(db.select(db.func.count(InterfaceService.id))) == 0


def test_workstation_service_refining_a_branch_service_is_partial(world, make_service):
    """Under a branch service a workstation service may leave required fields empty (they
    are inherited); without one the same input is refused."""
    with pytest.raises(InvalidValues):
        make_service("smtp", {"port": "25"}, name="Till", workstation_id=world.st_till.id)
    make_service("smtp", name="ST", branch_id=world.st.id)
    till = make_service("smtp", {"port": "25"}, name="Till", workstation_id=world.st_till.id)
    assert services.service_values(till)["host"] is None
    assert services.service_values(till)["port"] == 25
    data, raw, partial = services.new_service_defaults("smtp", world.st_till)
    assert partial and raw["port"] == "" and data["workstation_id"] == world.st_till.id
    data, raw, partial = services.new_service_defaults("smtp")
    assert not partial and raw["port"] == "587" and data["usage_server"]
