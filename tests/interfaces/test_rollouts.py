"""Auf Filialen übertragen: the preview against a chain with every kind of conflict, saving
nothing; applying, one transaction and one change-log entry per branch; a failure in a branch
stops the roll-out with the branches before it done and the ones after it untouched, and it is
continued; a real worker killed half way, and the roll-out resumed by the reconciler; the
screens, for administrators only."""
import json
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import HX, ear_mould_raw, fresh, kill_worker, wait_for
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import CustomerNumber
from webapp.extensions import db
from webapp.interfaces import rollouts, services
from webapp.interfaces.models import InterfaceService
from webapp.interfaces.rollout_models import (
    CANCELLED, CREATE, DONE, FAILED, PENDING, RUNNING, SKIP, SKIPPED, STOPPED, UPDATE, Rollout,
    RolloutStep,
)
from webapp.models_base import utcnow
from webapp.notifications.models import Notification
from webapp.org.models import Branch

SOURCE_PASSWORD = "Quelle-geheim-1"


LEASE = 3  # seconds: a killed worker's claim runs out within the test


@pytest.fixture
def app_config(app_config, redis_url):
    return {**app_config, "REDIS_URL": redis_url, "ROLLOUT_LEASE_SECONDS": LEASE}


pytestmark = pytest.mark.usefixtures("english")  # tests/interfaces/conftest.py


@pytest.fixture
def dreve_st(world, make_service):
    """The source: Stuttgart's protected Dreve SmartOrder with its login."""
    return make_service("dreve_smartorder", {
        **ear_mould_raw(world.dreve, supplier=world.dreve, base_url="https://dreve.example.org",
                        username="DRV-ST", read_timeout="20"),
        "password": SOURCE_PASSWORD}, name="Dreve SmartOrder Stuttgart",
        branch_id=world.st.id, protected=True)


@pytest.fixture
def branches(world, make_branch):
    """More branches, each with Dreve's customer number unless named otherwise."""
    def make(*names, without_number=()):
        # All branches first: make_branch commits in a session of its own.
        ids = [make_branch(name, name[:2].upper() + "".join(filter(str.isdigit, name)))
               for name in names]
        made = [db.session.get(Branch, branch_id) for branch_id in ids]
        for branch in made:
            if branch.name not in without_number:
                db.session.add(CustomerNumber(company_id=world.dreve.id, branch_id=branch.id,
                                              number=f"DRV-{branch.short_code}"))
        db.session.commit()
        return made
    return make


def choose(*branches, carried=None, interface="dreve_smartorder"):
    from webapp.interfaces import catalogue

    choice = rollouts.default_choice(catalogue.get_interface(interface))
    choice.branch_ids = [branch.id for branch in branches]
    if carried is not None:
        choice.carried = carried
    return choice


def table(*rows):
    """The preview table's inputs as the browser posts them: (branch, {column: value})."""
    data = MultiDict()
    for branch, values in rows:
        data[f"b{branch.id}-shown"] = "1"
        for key, value in values.items():
            data[f"b{branch.id}-{key}"] = value
    return data


def login(branch, name=None, password="Filiale-geheim"):
    values = {"f-username": f"DRV-{branch.short_code}", "f-password": password}
    if name is not None:
        values["name"] = name
    return values


def entries(rollout):
    return [entry for entry in db.session.scalars(
        db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))
        if any(item.get("field") == "rollout" and item.get("rollout") == rollout.id
               for item in entry.changes or ())]


def start(world, source, choice, posted):
    shown = rollouts.preview(world.admin, source, choice, posted)
    posted = MultiDict(posted)
    posted["plan"], posted["actions"] = shown.signature, rollouts.actions_of(shown)
    rollout = rollouts.start(world.admin, source, choice, posted)
    db.session.commit()
    return rollout


# --- the preview -------------------------------------------------------------------------

def test_the_preview_names_every_kind_of_conflict_and_saves_nothing(
        world, make_service, dreve_st, branches):
    """Per branch: create (logins entered), update (the differences, secrets only as
    changed), and a skip for each reason — protected, unique slot taken (the company at
    another ear-mould service), required secret missing, no customer number, the source's own
    branch."""
    es, lb, fr, ma, hb = branches("Esslingen", "Ludwigsburg", "Freiburg", "Mannheim",
                                  "Heilbronn", without_number=("Freiburg",))
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, username="LB-1"),
                 name="Dreve Ludwigsburg", branch_id=lb.id, protected=True)
    make_service("egger_order_system", ear_mould_raw(world.dreve, world.egger),
                 name="Egger Ulm", branch_id=world.ul.id)
    db.session.add(CustomerNumber(company_id=world.dreve.id, branch_id=world.ul.id,
                                  number="DRV-UL"))
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, base_url="https://alt.example.org",
                                                   username="HB-1"),
                 name="Dreve Heilbronn", branch_id=hb.id)
    services_before = db.session.scalar(db.select(db.func.count()).select_from(InterfaceService))
    log_before = db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry))

    shown = rollouts.preview(world.admin, dreve_st,
                             choose(world.st, es, lb, world.ul, fr, ma, hb),
                             table((es, login(es)), (fr, login(fr)),
                                   (ma, {"f-username": "DRV-MA"}), (hb, {"f-password": "neu"})))
    rows = {row.branch.name: row for row in shown.rows}

    assert [row.branch.name for row in shown.rows] == sorted(rows)
    assert rows["Esslingen"].action == CREATE and rows["Esslingen"].inputs["name"] == \
        "Dreve SmartOrder Esslingen"
    assert rows["Stuttgart"].action == SKIP and "own" in rows["Stuttgart"].reason
    assert rows["Ludwigsburg"].action == SKIP and \
        "Dreve Ludwigsburg in this branch is protected" in rows["Ludwigsburg"].reason
    assert rows["Ulm"].action == SKIP and "already assigned to the ear-mould ordering service " \
        "Egger Ulm" in rows["Ulm"].reason
    assert rows["Freiburg"].action == SKIP and "Dreve has no customer number for this branch" \
        in rows["Freiburg"].reason
    assert rows["Mannheim"].action == SKIP and \
        "A required secret is missing: Password" in rows["Mannheim"].reason
    heilbronn = rows["Heilbronn"]
    assert heilbronn.action == UPDATE and heilbronn.target.name == "Dreve Heilbronn"
    changes = {change.label: change for change in heilbronn.changes}
    assert (changes["Server URL"].old, changes["Server URL"].new) == (
        "https://alt.example.org", "https://dreve.example.org")
    assert (changes["Protected"].old, changes["Protected"].new) == ("no", "yes")
    assert (changes["Read timeout (seconds)"].old, changes["Read timeout (seconds)"].new) == (
        "2", "20")
    assert changes["Password"].note == "changed" and not changes["Password"].new
    # Not carried over by default: Heilbronn keeps its own login.
    assert "Username / customer login" not in changes
    assert heilbronn.inputs["f-username"] == "HB-1"

    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(InterfaceService)) == \
        services_before
    assert db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry)) == \
        log_before


def test_a_customer_number_entered_in_the_table_counts_and_is_stored_with_the_branch(
        world, dreve_st, branches, work):
    (fr,) = branches("Freiburg", without_number=("Freiburg",))
    posted = table((fr, {**login(fr), f"cn-{world.dreve.id}": "DRV-FR-77"}))
    shown = rollouts.preview(world.admin, dreve_st, choose(fr), posted)
    assert shown.rows[0].action == CREATE

    rollout = start(world, dreve_st, choose(fr), posted)
    work()
    assert fresh(Rollout, rollout.id).state == DONE
    assert db.session.scalar(db.select(CustomerNumber.number).where(
        CustomerNumber.company_id == world.dreve.id, CustomerNumber.branch_id == fr.id)) == \
        "DRV-FR-77"
    logged = [entry.entity_type for entry in entries(rollout)]
    assert sorted(logged) == ["company", "interface_service"]


def test_carrying_fewer_fields_offers_them_per_branch(world, dreve_st, branches):
    (es,) = branches("Esslingen")
    choice = choose(es, carried=["companies", "supplier", "base_url", "username"])
    shown = rollouts.preview(world.admin, dreve_st, choice, MultiDict())
    keys = [column.key for column in shown.columns]
    assert keys[:2] == ["name", "f-password"] and "f-connect_timeout" in keys
    assert f"cn-{world.dreve.id}" in keys and "f-username" not in keys
    # A field not carried over starts from the source's value in a new service (the login
    # fields from empty), from its own in a branch's existing one.
    assert shown.rows[0].inputs["f-read_timeout"] == "20"


# --- applying ----------------------------------------------------------------------------

def test_applying_creates_and_updates_each_branch_with_its_change_log_entry(
        world, make_service, dreve_st, branches, work):
    es, lb = branches("Esslingen", "Ludwigsburg")
    old = make_service("dreve_smartorder", ear_mould_raw(world.dreve, username="LB-1",
                                                         read_timeout="5"),
                       name="Dreve Ludwigsburg", branch_id=lb.id)
    rollout = start(world, dreve_st, choose(es, lb),
                    table((es, login(es, password="Pw-Esslingen")), (lb, {})))
    steps = fresh(Rollout, rollout.id).steps
    assert [(s.branch_name, s.action, s.state) for s in steps] == [
        ("Esslingen", CREATE, PENDING), ("Ludwigsburg", UPDATE, PENDING)]
    assert "Pw-Esslingen" not in json.dumps(steps[0].values)  # only in the encrypted column
    raw = db.session.execute(db.text("SELECT secrets FROM rollout_steps WHERE id = :id"),
                             {"id": steps[0].id}).scalar()
    assert raw and "Pw-Esslingen" not in raw

    work()

    rollout = fresh(Rollout, rollout.id)
    assert rollout.state == DONE and rollout.finished_at is not None
    assert all(step.state == DONE and step.secrets is None for step in rollout.steps)
    created = db.session.get(InterfaceService, rollout.steps[0].service_id)
    assert (created.name, created.branch_id, created.protected) == (
        "Dreve SmartOrder Esslingen", es.id, True)
    values = services.service_values(created)
    assert values["base_url"] == "https://dreve.example.org" and values["username"] == "DRV-ES"
    assert services.stored_secret(created, "password") == "Pw-Esslingen"
    updated = fresh(InterfaceService, old.id)
    assert services.service_values(updated)["read_timeout"] == 20
    assert services.service_values(updated)["username"] == "LB-1"
    logged = entries(rollout)
    assert [(e.entity_id, e.action, e.branch_id) for e in logged] == [
        (created.id, "create", es.id), (old.id, "update", lb.id)]
    assert all(item.get("reference") == rollout.reference
               for e in logged for item in e.changes if item.get("field") == "rollout")
    assert "Pw-Esslingen" not in json.dumps([e.changes for e in logged])
    notice = db.session.scalar(db.select(Notification).where(
        Notification.user_id == world.admin.id, Notification.topic == f"rollout:{rollout.id}"))
    assert notice is not None and notice.params["state"] == DONE


def test_a_failing_branch_stops_the_roll_out_and_it_is_continued(
        world, make_service, dreve_st, branches, work):
    """Branch 3 of 5 gets a conflicting service after the preview: branches 1–2 are done,
    3 failed with the reason, 4–5 untouched; after the cause is removed Fortsetzen does
    3–5, each once."""
    made = branches("Aalen", "Biberach", "Calw", "Dachau", "Erding")
    rollout = start(world, dreve_st, choose(*made), table(*((b, login(b)) for b in made)))
    blocker = make_service("egger_order_system", ear_mould_raw(world.dreve),
                           name="Egger Calw", branch_id=made[2].id)

    work()

    rollout = fresh(Rollout, rollout.id)
    assert rollout.state == STOPPED and rollout.lease_until is None
    assert [s.state for s in rollout.steps] == [DONE, DONE, FAILED, PENDING, PENDING]
    assert "Egger Calw" in rollout.steps[2].reason
    in_branches = db.session.scalars(db.select(InterfaceService.branch_id).where(
        InterfaceService.interface_key == "dreve_smartorder",
        InterfaceService.branch_id.in_([b.id for b in made]))).all()
    assert sorted(in_branches) == sorted([made[0].id, made[1].id])
    assert db.session.scalar(db.select(Notification.params).where(
        Notification.topic == f"rollout:{rollout.id}"))["state"] == STOPPED
    # Secrets of the branches not done yet are kept for Fortsetzen.
    assert rollout.steps[3].secrets is not None

    services.delete_service(world.admin, blocker)
    rollouts.resume(world.admin, rollout)
    db.session.commit()
    work()

    rollout = fresh(Rollout, rollout.id)
    assert rollout.state == DONE and [s.state for s in rollout.steps] == [DONE] * 5
    assert len(entries(rollout)) == 5
    assert db.session.scalar(db.select(db.func.count()).select_from(InterfaceService).where(
        InterfaceService.interface_key == "dreve_smartorder",
        InterfaceService.branch_id.in_([b.id for b in made]))) == 5


def test_a_failed_branch_can_be_skipped_and_the_rest_cancelled(
        world, make_service, dreve_st, branches, work):
    made = branches("Aalen", "Biberach", "Calw")
    rollout = start(world, dreve_st, choose(*made), table(*((b, login(b)) for b in made)))
    make_service("egger_order_system", ear_mould_raw(world.dreve), name="Egger Aalen",
                 branch_id=made[0].id)
    work()
    rollout = fresh(Rollout, rollout.id)
    assert [s.state for s in rollout.steps] == [FAILED, PENDING, PENDING]

    rollouts.resume(world.admin, rollout, skip_failed=True)
    db.session.commit()
    # Cancelled before a worker takes it: the rest stays untouched, their secrets dropped.
    rollouts.cancel(world.admin, fresh(Rollout, rollout.id))
    db.session.commit()
    work()
    rollout = fresh(Rollout, rollout.id)
    assert rollout.state == CANCELLED
    assert [s.state for s in rollout.steps] == [SKIPPED, CANCELLED, CANCELLED]
    assert all(s.secrets is None for s in rollout.steps)
    assert not entries(rollout)


def test_a_preview_that_no_longer_holds_is_refused(world, make_service, dreve_st, branches):
    es, lb = branches("Esslingen", "Ludwigsburg")
    posted = table((es, login(es)), (lb, login(lb)))
    shown = rollouts.preview(world.admin, dreve_st, choose(es, lb), posted)
    posted["plan"], posted["actions"] = shown.signature, rollouts.actions_of(shown)
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, username="LB-1"),
                 name="Dreve Ludwigsburg", branch_id=lb.id)
    with pytest.raises(rollouts.RolloutRefused) as refused:
        rollouts.start(world.admin, dreve_st, choose(es, lb), posted)
    assert refused.value.message == rollouts.CHANGED
    assert [row.action for row in refused.value.preview.rows] == [CREATE, UPDATE]
    # What the screen showed decides too: a password left out is not silently skipped.
    fresh_posted = table((es, login(es)), (lb, login(lb)))
    shown = rollouts.preview(world.admin, dreve_st, choose(es, lb), fresh_posted)
    fresh_posted["plan"], fresh_posted["actions"] = shown.signature, "create,skip"
    with pytest.raises(rollouts.RolloutRefused):
        rollouts.start(world.admin, dreve_st, choose(es, lb), fresh_posted)
    assert db.session.scalar(db.select(db.func.count()).select_from(Rollout)) == 0


def test_an_update_keeps_what_was_saved_in_the_branch_after_the_preview(
        world, make_service, dreve_st, branches, work):
    """The roll-out sets the carried fields and what was typed into the table; a field it
    does not set keeps the value saved in the branch after the preview."""
    from webapp.interfaces import catalogue
    from webapp.interfaces.values import form_data

    (lb,) = branches("Ludwigsburg")
    old = make_service("dreve_smartorder", ear_mould_raw(world.dreve, username="LB-1",
                                                         read_timeout="5"),
                       name="Dreve Ludwigsburg", branch_id=lb.id)
    rollout = start(world, dreve_st, choose(lb), table((lb, {})))
    interface = catalogue.get_interface("dreve_smartorder")
    raw = {**form_data(interface, services.service_values(old)), "username": "LB-NEU"}
    services.update_service(world.admin, old, {"name": "Dreve LB neu"}, raw, old.version)
    db.session.commit()
    work()
    assert fresh(Rollout, rollout.id).state == DONE
    updated = fresh(InterfaceService, old.id)
    values = services.service_values(updated)
    assert (updated.name, values["username"], values["read_timeout"]) == (
        "Dreve LB neu", "LB-NEU", 20)


def test_a_changed_choice_of_fields_is_refused_as_not_previewed(world, dreve_st, branches):
    (es,) = branches("Esslingen")
    posted = table((es, login(es)))
    shown = rollouts.preview(world.admin, dreve_st, choose(es), posted)
    posted["plan"], posted["actions"] = shown.signature, rollouts.actions_of(shown)
    carried = choose(es).carried + ["username"]
    with pytest.raises(rollouts.RolloutRefused) as refused:
        rollouts.start(world.admin, dreve_st, choose(es, carried=carried), posted)
    assert refused.value.message == rollouts.CHANGED


@pytest.mark.parametrize("cell, value, message", [
    ("name", "Dreve\x00Esslingen", "control characters"),
    ("name", "<b>Dreve</b>", "angle brackets"),
    ("name", "D" * 121, "at most 120 characters"),
    ("cn", "X" * 41, "at most 40 characters"),
])
def test_a_bad_name_or_customer_number_skips_the_branch_with_the_reason(
        world, dreve_st, branches, cell, value, message):
    (es,) = branches("Esslingen")
    key = "name" if cell == "name" else f"cn-{world.dreve.id}"
    shown = rollouts.preview(world.admin, dreve_st, choose(es),
                             table((es, {**login(es), key: value})))
    row = shown.rows[0]
    assert row.action == SKIP and message in row.reason and message in row.errors[key]


def test_a_demoted_starter_stops_the_roll_out_at_its_first_branch(
        world, dreve_st, branches, work):
    (es,) = branches("Esslingen")
    rollout = start(world, dreve_st, choose(es), table((es, login(es))))
    world.admin.role = "branch_manager"
    db.session.commit()
    work()
    rollout = fresh(Rollout, rollout.id)
    assert rollout.state == STOPPED and "no longer an administrator" in rollout.steps[0].reason


def test_cancel_and_continue_only_from_the_state_they_were_shown_in(
        world, dreve_st, branches, work):
    (es,) = branches("Esslingen")
    rollout = start(world, dreve_st, choose(es), table((es, login(es))))
    shown = fresh(Rollout, rollout.id)
    work()  # done meanwhile
    with pytest.raises(rollouts.DomainError):
        rollouts.cancel(world.admin, shown)
    with pytest.raises(rollouts.DomainError):
        rollouts.resume(world.admin, fresh(Rollout, rollout.id))
    assert fresh(Rollout, rollout.id).state == DONE


def test_a_roll_out_continued_waits_for_its_worker_without_looking_stalled(
        world, make_service, dreve_st, branches, work):
    (aa,) = branches("Aalen")
    rollout = start(world, dreve_st, choose(aa), table((aa, login(aa))))
    blocker = make_service("egger_order_system", ear_mould_raw(world.dreve),
                           name="Egger Aalen", branch_id=aa.id)
    work()
    services.delete_service(world.admin, blocker)
    rollouts.resume(world.admin, fresh(Rollout, rollout.id))
    db.session.commit()
    later = utcnow() + timedelta(minutes=5)
    assert not rollouts.is_stalled(fresh(Rollout, rollout.id), now=later)
    assert rollouts.reconcile(now=later) == [rollout.id]  # the reconciler wakes it anyway
    work()
    assert fresh(Rollout, rollout.id).state == DONE


# --- a killed worker ---------------------------------------------------------------------

def test_a_worker_killed_half_way_leaves_whole_branches_and_the_roll_out_is_resumed(
        app, world, dreve_st, branches, flask_worker):
    """SIGKILL to a real worker (its group and its work-horse) half way through: the
    branches it committed are done, the one it was in and the rest untouched, the roll-out
    still running. Once the lease ran out the reconciler wakes it; a fresh worker does the
    rest. Every branch has its service once, and one change-log entry."""
    made = branches(*[f"Filiale {number:02d}" for number in range(1, 41)])
    rollout = start(world, dreve_st, choose(*made), table(*((b, login(b)) for b in made)))
    rollout_id = rollout.id

    def done_steps():
        db.session.rollback()
        return db.session.scalar(db.select(db.func.count()).select_from(RolloutStep).where(
            RolloutStep.rollout_id == rollout_id, RolloutStep.state == DONE))

    first = flask_worker()
    wait_for(lambda: done_steps() >= 2, 60, every=0.01, what="the first branches")
    kill_worker(first)
    stopped_at = done_steps()
    assert 2 <= stopped_at < len(made)
    rollout = fresh(Rollout, rollout_id)
    assert rollout.state == RUNNING and rollout.lease_until > utcnow()
    assert [s.state for s in rollout.steps] == [DONE] * stopped_at + \
        [PENDING] * (len(made) - stopped_at)
    assert db.session.scalar(db.select(db.func.count()).select_from(InterfaceService).where(
        InterfaceService.interface_key == "dreve_smartorder",
        InterfaceService.branch_id.in_([b.id for b in made]))) == stopped_at
    assert not rollouts.is_stalled(rollout)
    assert rollouts.reconcile() == []  # its lease still holds
    flask_worker()
    # The reconciler as the worker's periodic job runs it, here as often as the test likes.
    wait_for(lambda: rollouts.reconcile() == [rollout_id], LEASE + 5, every=0.2,
             what="the lease to run out")
    wait_for(lambda: fresh(Rollout, rollout_id).state == DONE, 60, every=0.1,
             what="the roll-out to finish")

    rollout = fresh(Rollout, rollout_id)
    assert [s.state for s in rollout.steps] == [DONE] * len(made)
    per_branch = db.session.execute(
        db.select(InterfaceService.branch_id, db.func.count())
        .where(InterfaceService.interface_key == "dreve_smartorder",
               InterfaceService.branch_id.in_([b.id for b in made]))
        .group_by(InterfaceService.branch_id)).all()
    assert sorted(count for _branch, count in per_branch) == [1] * len(made)
    assert sorted(e.branch_id for e in entries(rollout)) == sorted(b.id for b in made)


# --- the screens -------------------------------------------------------------------------

def test_the_screens_roll_out_and_show_the_progress(world, dreve_st, branches, client, auth,
                                                      csrf, work):
    es, lb = branches("Esslingen", "Ludwigsburg")
    auth.login(world.admin)
    editor = client.get(f"/interfaces/{dreve_st.id}").get_data(as_text=True)
    assert f'href="/interfaces/{dreve_st.id}/rollout"' in editor
    page = client.get(f"/interfaces/{dreve_st.id}/rollout")
    assert page.status_code == 200 and "Esslingen" in page.get_data(as_text=True)
    token = csrf()
    url = f"/interfaces/{dreve_st.id}/rollout"
    choice = {"csrf_token": token, "selection": "list", "carried": rollouts.default_choice(
        services.catalogue.get_interface("dreve_smartorder")).carried}

    nothing = client.post(url + "/preview", data={**choice}, headers=HX)
    assert nothing.status_code == 422 and "Choose at least one branch." in \
        nothing.get_data(as_text=True)

    shown = client.post(url + "/preview", data={**choice, "branch_ids": [es.id, lb.id]},
                        headers=HX)
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "A required secret is missing: Password" in body
    plan = _hidden(body, "plan")

    typed = {**choice, "branch_ids": [es.id, lb.id], "plan": plan,
             **{f"b{b.id}-shown": "1" for b in (es, lb)},
             **{f"b{b.id}-{k}": v for b in (es, lb) for k, v in login(b).items()}}
    checked = client.post(url + "/check", data=typed, headers=HX)
    body = checked.get_data(as_text=True)
    assert checked.status_code == 200 and 'hx-swap-oob="true"' in body
    assert "2 new, 0 changed, 0 skipped." in body and "Filiale-geheim" not in body
    assert 'type="password"' not in body  # the inputs stay as typed in the page

    applied = client.post(url, data={**typed, "actions": _hidden(body, "actions")}, headers=HX)
    assert applied.status_code == 204
    location = applied.headers["HX-Redirect"]
    status = client.get(location).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in status and "0 of 2 branches done" in status
    work()
    status = client.get(location, headers=HX).get_data(as_text=True)
    assert "every 1s" not in status and "2 of 2 branches done" in status
    assert "Filiale-geheim" not in status
    listing = client.get("/interfaces/rollouts/").get_data(as_text=True)
    assert location in listing
    log = client.get("/changelog/").get_data(as_text=True)
    assert "rolled out from “Dreve SmartOrder Stuttgart”" in log and location in log


def _hidden(body, name):
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', body)[1]


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_only_administrators_roll_out(world, dreve_st, branches, client, auth, csrf, who):
    (es,) = branches("Esslingen")
    auth.login(getattr(world, who))
    assert f"/interfaces/{dreve_st.id}/rollout" not in client.get(
        f"/interfaces/{dreve_st.id}").get_data(as_text=True)
    token = csrf()
    for url in (f"/interfaces/{dreve_st.id}/rollout", "/interfaces/rollouts/"):
        assert client.get(url).status_code == 403
    for url in ("/preview", "/check", ""):
        response = client.post(f"/interfaces/{dreve_st.id}/rollout{url}",
                               data={"csrf_token": token, "selection": "all"})
        assert response.status_code == 403


def test_posts_need_the_csrf_token(world, dreve_st, branches, client, auth):
    (es,) = branches("Esslingen")
    auth.login(world.admin)
    response = client.post(f"/interfaces/{dreve_st.id}/rollout/preview",
                           data={"selection": "all"})
    assert response.status_code in (400, 403)


def test_a_workstation_service_is_not_rolled_out(world, make_service, client, auth):
    station = make_service("tse_swissbit", {"drive_letter": "E:"}, name="TSE",
                           workstation_id=world.st_till.id)
    auth.login(world.admin)
    assert client.get(f"/interfaces/{station.id}/rollout").status_code == 403


def test_the_roll_out_pages_take_the_same_statements_for_few_and_many_branches(
        world, dreve_st, branches, client, auth, count_queries, work):
    """The choice page, a roll-out's page and the list of roll-outs read the same number of
    statements however many branches and roll-outs there are."""
    auth.login(world.admin)

    def statements(url):
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = branches("Aalen", "Biberach")
    first = start(world, dreve_st, choose(*few), table(*((b, login(b)) for b in few)))
    work()
    counts = [statements(f"/interfaces/{dreve_st.id}/rollout"),
              statements(f"/interfaces/rollouts/{first.id}"), statements("/interfaces/rollouts/")]
    many = branches(*[f"Filiale {number:02d}" for number in range(1, 13)])
    second = start(world, dreve_st, choose(*many), table(*((b, login(b)) for b in many)))
    work()
    assert [statements(f"/interfaces/{dreve_st.id}/rollout"),
            statements(f"/interfaces/rollouts/{second.id}"),
            statements("/interfaces/rollouts/")] == counts
