"""Vergleichen / Diesen Stand wiederherstellen (issue 18): two states of a service, branch or
workstation compared in words (secrets only as changed/unchanged), and a past state restored
as a new change through the normal saves, or refused cleanly with nothing saved."""
import re
from datetime import date

import pytest

from tests.factories import ear_mould_raw
from webapp.changelog import versions
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import Company
from webapp.extensions import db
from webapp.interfaces import catalogue, services
from webapp.interfaces.values import form_data
from webapp.interfaces.models import InterfaceService
from webapp.org import services as org_services
from webapp.org.models import Branch, Workstation

PASSWORD = "streng-geheim-1"
SMTP = {"host": "mail.example.org", "port": "587", "encryption": "starttls",
        "sender_address": "filiale@example.org", "username": "filiale", "password": PASSWORD}


@pytest.fixture
def smtp(world, make_service):
    """A Stuttgart SMTP service whose host was changed, then its password: (service, the
    entry of its creation, the entry of the host change)."""
    service = make_service("smtp", dict(SMTP), name="Mail ST", branch_id=world.st.id)
    _update(world.admin, service, {"host": "smtp.neu.example.org"})
    _update(world.admin, service, {"password": "anderes-geheim-2"})
    created, host_changed = _entries(service)[-1], _entries(service)[-2]
    return service, created, host_changed


def _update(actor, service, changes, data=None):
    """Save `changes` (field input) and `data` (common fields) as the editor would."""
    interface = catalogue.get_interface(service.interface_key)
    raw = {**form_data(interface, services.service_values(service)), **changes}
    assert services.update_service(actor, service, data or {}, raw, service.version)
    db.session.commit()


def _entries(service, entity_type=services.ENTITY):
    """The record's entries, newest first."""
    return versions.history(entity_type, service)


def _restore_url(kind, record_id, entry_id):
    return f"/changelog/{kind}/{record_id}/restore?entry={entry_id}"


def _post_restore(client, csrf, kind, record, entry_id, **form):
    """Diesen Stand wiederherstellen confirmed, with the version the record has now."""
    token = csrf()
    return client.post(f"/changelog/{kind}/{record.id}/restore",
                       data={"csrf_token": token, "entry": entry_id,
                             "version": record.version, **form})


def _text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- Vergleichen ---------------------------------------------------------------------------

def test_compare_shows_fields_in_words_and_secrets_only_as_changed(client, auth, csrf, world, smtp):
    """The creation compared with now: the host old → new, the password "geändert" (an entry
    in between changed it) and never its value."""
    service, created, _host = smtp
    auth.login(world.admin)
    response = client.get(f"/changelog/services/{service.id}/versions"
                          f"?from={created.id}&to=now")
    assert response.status_code == 200
    body = _text(response)
    assert "mail.example.org" in body and "smtp.neu.example.org" in body
    assert re.search(r"Passwort</th> <td colspan=\"2\"><em>geändert</em>", body)
    assert PASSWORD not in body and "anderes-geheim-2" not in body


def test_compare_two_entries_says_unchanged_secret(client, auth, csrf, world, smtp):
    """Between the creation and the host change the password did not change: "unverändert";
    the two entries in either order give the same differences."""
    service, created, host_changed = smtp
    auth.login(world.admin)
    bodies = [_text(client.get(f"/changelog/services/{service.id}/versions"
                               f"?from={a}&to={b}", headers={"HX-Request": "true"}))
              for a, b in ((created.id, host_changed.id), (host_changed.id, created.id))]
    assert bodies[0] == bodies[1]
    assert re.search(r"Passwort</th> <td colspan=\"2\"><em>unverändert</em>", bodies[0])
    assert re.search(r"Server</th> <td class=\"old\">mail.example.org</td> ?"
                     r"<td class=\"new\">smtp.neu.example.org</td>", bodies[0])
    assert "<html" not in bodies[0]  # htmx gets the differences only


def test_state_after_puts_old_values_back():
    """A state is the current values with the later entries' old values put back, newest
    first; secrets, the restore's own reference and a planned change's time are no fields,
    and a planned secret is not changed yet."""
    entries = [
        ChangeLogEntry(id=4, action="plan", changes=[  # a planned credential change waits
            {"field": "planned_for", "old": None, "new": "2026-03-09 10:00"},
            {"field": "password", "secret": True, "planned": True}]),
        ChangeLogEntry(id=3, action="update", changes=[
            {"field": "restored_from", "entry": 1, "at": "2026-03-01T09:00:00+00:00"},
            {"field": "host", "old": "b", "new": "c"}, {"field": "password", "secret": True}]),
        ChangeLogEntry(id=2, action="update", changes=[{"field": "host", "old": "a", "new": "b"},
                                                       {"field": "port", "old": 25, "new": 587}]),
        ChangeLogEntry(id=1, action="create", changes=[{"field": "host", "old": None,
                                                        "new": "a"}]),
    ]
    current = {"host": "c", "port": 587}
    assert versions.state_after(entries, current, 4) == current
    assert versions.state_after(entries, current, 3) == current
    assert versions.state_after(entries, current, 2) == {"host": "b", "port": 587}
    assert versions.state_after(entries, current, 1) == {"host": "a", "port": 25}
    changes = versions.compare(entries, current, ["password"], 1, versions.NOW)
    assert {"field": "password", "secret": True, "unchanged": False} in changes
    assert versions.compare(entries, current, ["password"], 1, 2)[-1]["unchanged"] is True
    assert versions.compare(entries, current, ["password"], 3, 4) == [
        {"field": "password", "secret": True, "unchanged": True}]
    with pytest.raises(KeyError):
        versions.state_after(entries, current, 99)


# --- a restore that works -------------------------------------------------------------------

def test_restore_brings_the_values_back_as_a_new_change(client, auth, csrf, world, smtp):
    """Restoring the creation's state: the host is back, the password is the current one,
    the version is bumped and the new entry names the entry it restored; the log says
    "wiederhergestellt aus Eintrag vom …"."""
    service, created, _host = smtp
    version = service.version
    auth.login(world.admin)
    preview = client.get(_restore_url("services", service.id, created.id))
    assert preview.status_code == 200
    body = _text(preview)
    assert "smtp.neu.example.org" in body and "mail.example.org" in body
    assert "Geheimnisse werden nie wiederhergestellt" in body
    assert PASSWORD not in body and "anderes-geheim-2" not in body
    assert db.session.get(InterfaceService, service.id).values["host"] == "smtp.neu.example.org"

    response = _post_restore(client, csrf, "services", service, created.id)
    assert response.status_code == 303
    db.session.expire_all()
    service = db.session.get(InterfaceService, service.id)
    assert service.values["host"] == "mail.example.org"
    assert service.version == version + 1
    assert services.stored_secret(service, "password") == "anderes-geheim-2"
    newest = _entries(service)[0]
    assert newest.changes[0] == {"field": "restored_from", "entry": created.id,
                                 "at": created.at.isoformat()}
    assert {"field": "host", "old": "smtp.neu.example.org",
            "new": "mail.example.org"} in newest.changes
    assert not any(item.get("field") == "password" for item in newest.changes)
    log = _text(client.get("/changelog/"))
    assert "wiederhergestellt aus Eintrag vom" in log


def test_restore_with_a_new_secret_saves_it_as_changed(client, auth, csrf, world, smtp):
    """The admin may enter a secret in the same step: it is saved, logged only as changed."""
    service, created, _host = smtp
    auth.login(world.admin)
    response = _post_restore(client, csrf, "services", service, created.id,
                             **{"secret-password": "drittes-geheim-3"})
    assert response.status_code == 303
    db.session.expire_all()
    service = db.session.get(InterfaceService, service.id)
    assert services.stored_secret(service, "password") == "drittes-geheim-3"
    newest = _entries(service)[0]
    assert {"field": "password", "secret": True} in newest.changes
    assert "drittes-geheim-3" not in str(newest.changes)


def test_restore_a_workstation_and_a_branch(client, auth, csrf, world):
    """Branches and workstations restore through their editors' rules too."""
    station = world.st_till
    org_services.update_workstation(world.admin, station, {"name": "ST-KASSE-2",
                                    "description": "neu", "branch_id": world.st.id},
                                    station.version)
    db.session.commit()
    created_like = _entries(station, "workstation")[0]
    org_services.update_workstation(world.admin, station, {"name": "ST-KASSE-3",
                                    "description": "", "branch_id": world.st.id},
                                    station.version)
    db.session.commit()
    auth.login(world.admin)
    response = _post_restore(client, csrf, "workstations", station, created_like.id)
    assert response.status_code == 303
    db.session.expire_all()
    station = db.session.get(Workstation, station.id)
    assert (station.name, station.description) == ("ST-KASSE-2", "neu")

    branch = world.st
    data = {name: getattr(branch, name) for name in org_services.BRANCH_FIELDS}
    org_services.update_branch(world.admin, branch, {**data, "city": "Stuttgart"},
                               branch.version)
    db.session.commit()
    first = _entries(branch, "branch")[0]
    org_services.update_branch(world.admin, branch, {**data, "city": "Esslingen"},
                               branch.version)
    db.session.commit()
    response = _post_restore(client, csrf, "branches", branch, first.id)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Branch, branch.id).city == "Stuttgart"


# --- refusals, one per reason ---------------------------------------------------------------

def _refused(client, auth, csrf, world, service, entry, message):
    """Confirming the restore of `entry` is refused with `message` (422), nothing saved."""
    version, entries = service.version, len(_entries(service))
    auth.login(world.admin)
    response = _post_restore(client, csrf, "services", service, entry.id)
    assert response.status_code == 422
    assert message in _text(response)
    _nothing_saved(service.id, version, entries)


def _nothing_saved(service_id, version, entries):
    db.session.expire_all()
    service = db.session.get(InterfaceService, service_id)
    assert service.version == version
    assert db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry)
                             .where(ChangeLogEntry.entity_id == service_id,
                                    ChangeLogEntry.entity_type == services.ENTITY)) == entries


def test_refused_when_the_branch_was_deleted(client, auth, csrf, world, make_service, make_branch):
    """A state in a branch that was deleted since: 422 naming the branch, nothing saved."""
    esslingen = db.session.get(Branch, make_branch("Esslingen", "ES"))
    service = make_service("smtp", dict(SMTP), name="Mail", branch_id=esslingen.id)
    created = _entries(service)[0]
    _update(world.admin, service, {}, data={"branch_id": world.st.id})
    org_services.delete_branch(world.admin, esslingen)
    db.session.commit()
    _refused(client, auth, csrf, world, service, created,
             "Die Filiale Esslingen dieses Stands gibt es nicht mehr.")


def test_refused_when_the_company_no_longer_exists(client, auth, csrf, world, make_service):
    """A state naming a company that was deleted since: 422 naming the company."""
    gone = Company(name="Otoplastik Alt", is_lab=True, is_supplier=True,
                   order_email="alt@example.org")
    db.session.add(gone)
    db.session.commit()
    service = make_service("dreve_smartorder", ear_mould_raw(gone, supplier=world.dreve),
                           name="Dreve ST", branch_id=world.st.id)
    created = _entries(service)[0]
    _update(world.admin, service, {"companies": [str(world.dreve.id)]})
    db.session.delete(db.session.get(Company, gone.id))
    db.session.commit()
    _refused(client, auth, csrf, world, service, created,
             "Die Firma Otoplastik Alt dieses Stands gibt es nicht mehr.")


def test_refused_by_a_protection_conflict(client, auth, csrf, world, make_service):
    """A workstation's own service while a protected branch service of its type blocks it:
    the save's protection rule refuses the restore."""
    service = make_service("smtp", {**SMTP, "port": "25"}, name="Mail Kasse",
                           workstation_id=world.st_till.id)
    created = _entries(service)[0]
    _update(world.admin, service, {"port": "2525"})
    make_service("smtp", dict(SMTP), name="Mail ST geschützt", branch_id=world.st.id,
                 protected=True)
    _refused(client, auth, csrf, world, service, created, "Mail ST geschützt ist geschützt")


def test_refused_when_the_catalogue_no_longer_accepts_a_value(client, auth, csrf, world, smtp):
    """A state whose value the catalogue no longer accepts (an encryption it dropped): 422
    naming the field."""
    service, _created, _host = smtp
    # As if the catalogue had offered "ssl3" once: the oldest entry says it was changed from
    # it, so the state before the later entries had it.
    db.session.add(ChangeLogEntry(entity_type=services.ENTITY, entity_id=service.id,
                                  entity_label=service.name, action="update",
                                  user_name="Anna Admin", changes=[
                                      {"field": "encryption", "old": "ssl3", "new": "starttls"}]))
    db.session.commit()
    created = _entries(service)[-1]  # so the creation's state has encryption "ssl3"
    _refused(client, auth, csrf, world, service, created,
             "Dieser Stand passt nicht mehr zum Katalog: Verschlüsselung:")


def test_a_deleted_record_cannot_be_restored_here(client, auth, csrf, world, smtp):
    """An entry of a service deleted since: the page says so (422 on confirm)."""
    service, created, _host = smtp
    service_id = service.id
    services.delete_service(world.admin, service)
    db.session.commit()
    auth.login(world.admin)
    page = client.get(_restore_url("services", service_id, created.id))
    assert "Dieser Datensatz wurde gelöscht" in _text(page)
    token = csrf()
    response = client.post(f"/changelog/services/{service_id}/restore",
                           data={"csrf_token": token, "entry": created.id, "version": 1})
    assert response.status_code == 422
    assert "Dieser Datensatz wurde gelöscht" in _text(response)


def test_refused_over_a_newer_version(client, auth, csrf, world, smtp):
    """The version the preview showed is checked: someone saved meanwhile → 409."""
    service, created, _host = smtp
    auth.login(world.admin)
    token = csrf()
    response = client.post(f"/changelog/services/{service.id}/restore",
                           data={"csrf_token": token, "entry": created.id,
                                 "version": service.version - 1})
    assert response.status_code == 409


# --- permissions ----------------------------------------------------------------------------

def test_staff_may_neither_compare_nor_restore(client, auth, csrf, world, smtp):
    """Staff: 403 for the Versions page, the preview and the restore."""
    service, created, _host = smtp
    auth.login(world.staff)
    assert client.get(f"/changelog/services/{service.id}/versions").status_code == 403
    assert client.get(_restore_url("services", service.id, created.id)).status_code == 403
    assert _post_restore(client, csrf, "services", service, created.id).status_code == 403


def test_branch_manager_of_another_branch_is_refused(client, auth, csrf, world, make_service):
    """Maria manages Stuttgart: Ulm's service is not hers to read (404) nor restore."""
    service = make_service("smtp", dict(SMTP), name="Mail UL", branch_id=world.ul.id)
    created = _entries(service)[0]
    _update(world.admin, service, {"sender_address": "ulm@example.org"})
    auth.login(world.manager)
    assert client.get(f"/changelog/services/{service.id}/versions").status_code == 404
    assert _post_restore(client, csrf, "services", service, created.id).status_code == 404
    db.session.expire_all()
    assert db.session.get(InterfaceService, service.id).values["sender_address"] \
        == "ulm@example.org"


def test_branch_manager_restores_own_but_not_admin_only_fields(client, auth, csrf, world, smtp):
    """Maria may restore her branch's service, except where the state differs in a field
    only administrators change (the host): refused, nothing saved."""
    service, created, _host = smtp
    auth.login(world.manager)
    assert client.get(f"/changelog/services/{service.id}/versions").status_code == 200
    response = _post_restore(client, csrf, "services", service, created.id)
    assert response.status_code == 422
    assert "Nur Administratoren können dieses Feld ändern." in _text(response)
    _update(world.admin, service, {"sender_address": "neu@example.org"})
    host_back = _entries(service)[0]  # the sender change; restore the state before it:
    before_sender = _entries(service)[1]
    assert host_back.id != before_sender.id
    response = _post_restore(client, csrf, "services", service, before_sender.id)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(InterfaceService, service.id).values["sender_address"] \
        == "filiale@example.org"


def test_restore_without_csrf_is_refused(client, auth, world, smtp):
    """A POST without the CSRF token changes nothing."""
    service, created, _host = smtp
    auth.login(world.admin)
    response = client.post(f"/changelog/services/{service.id}/restore",
                           data={"entry": created.id, "version": service.version})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(InterfaceService, service.id).values["host"] == \
        "smtp.neu.example.org"


def test_start_date_and_flags_restore(world, make_service):
    """Common fields come back typed: a start date from its ISO string, flags as booleans."""
    service = make_service("smtp", dict(SMTP), name="Mail", branch_id=world.st.id)
    created = _entries(service)[0]
    services.update_service(world.admin, service, {"start_date": date(2030, 1, 1),
                                                   "enabled": False}, None, service.version)
    db.session.commit()
    versions.restore(world.admin, services.ENTITY, service, created)
    db.session.commit()
    assert (service.start_date, service.enabled) == (None, True)


def test_versions_page_reads_a_constant_number_of_statements(client, auth, world, smtp,
                                                             count_queries):
    """The Versions page with two states compared: as many statements for 4 entries as for
    24 (the differences are worked out from the loaded entries)."""
    service, created, _host = smtp
    auth.login(world.admin)
    url = f"/changelog/services/{service.id}/versions?from={created.id}&to=now"
    client.get(url)
    _update(world.admin, service, {"sender_name": "Zentrale"})  # as before the second count
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for number in range(10):
        _update(world.admin, service, {"sender_name": f"Filiale {number}"})
        _update(world.admin, service, {"password": f"geheim-{number}"})
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count
