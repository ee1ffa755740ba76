"""A domain above interfaces makes an action of a type runnable (actions.register_runner):
the button is enabled, the first post shows the runner's preview and starts nothing, the
confirmation starts the runner's own run, and its panel and summary appear with the status."""
import pytest
from jinja2 import ChoiceLoader, DictLoader

from tests.factories import HX, make_config
from webapp.extensions import db
from webapp.interfaces import actions
from webapp.outbound import engine
from webapp.outbound.models import Outbound

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def runner(monkeypatch, app):
    """A runner for SiNNO's "Anmelden" whose runs are connection-test rows (nothing runs
    them here); it records what it was asked."""
    calls = []

    def start(actor, service, action_key, form):
        calls.append(("start", action_key, form.get("token")))
        return engine.start(actions.KIND, actions.SUBJECT, service.id, action=action_key,
                            requested_by=actor.name)

    def preview(actor, service, action_key):
        calls.append(("preview", action_key))
        return "preview.html", {"what": "3 Filialen"}

    def panel(actor, service, action_key):
        return "panel.html", {"state": "angemeldet"}

    monkeypatch.setitem(actions._RUNNERS, ("sinno_app", "login"), actions.ActionRunner(
        kind=actions.KIND, start=start, preview=preview, panel=panel,
        summary=lambda row: f"Lauf {row.id} auf seine Art"))
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([app.jinja_loader, DictLoader({
        "preview.html": "<p>Vorschau: {{ what }} <a data-run='{{ item.run_url }}'></a></p>",
        "panel.html": "<p>Zustand: {{ panel.state }}</p>"})]))
    return calls


def test_a_registered_runner_previews_then_starts_its_own_run(world, auth, client, csrf,
                                                              make_service, runner):
    """Preview first (no row), then the confirmed post starts the run with the form; the
    editor shows the panel, and the run's summary is the runner's."""
    auth.login(world.admin)
    service = make_service("sinno_app", {"server": "https://sinno.example.org",
                                         "client_id": "winpro", "company_number": "4711"})
    page = client.get(f"/interfaces/{service.id}").get_data(as_text=True)
    assert 'id="action-login-reason"' not in page and "Zustand: angemeldet" in page
    url = f"/interfaces/{service.id}/actions/login"
    shown = client.post(url, data={"csrf_token": csrf()}, headers=HX)
    assert shown.status_code == 200
    assert "Vorschau: 3 Filialen" in shown.get_data(as_text=True)
    assert db.session.scalars(db.select(Outbound)).all() == []
    started = client.post(url, data={"csrf_token": csrf(), "confirmed": "1", "token": "abc"},
                          headers=HX)
    assert started.status_code == 200
    row = db.session.scalars(db.select(Outbound)).one()
    assert (row.action, row.subject_id) == ("login", service.id)
    assert runner == [("preview", "login"), ("start", "login", "abc")]
    body = started.get_data(as_text=True)
    assert "Zustand: angemeldet" in body
    history = client.get(f"{url}/history").get_data(as_text=True)
    assert f"Lauf {row.id} auf seine Art" in history


def test_without_a_runner_the_action_is_not_built(world, auth, client, make_service):
    """The webhook's "Testnachricht senden" has no runner: still disabled with the reason."""
    auth.login(world.admin)
    service = make_service("webhook_notification",
                           {"webhook_url": "https://hooks.example.org/schnittstellen"})
    page = client.get(f"/interfaces/{service.id}").get_data(as_text=True)
    assert 'id="action-send_test_message-reason">Noch nicht verfügbar' in page
