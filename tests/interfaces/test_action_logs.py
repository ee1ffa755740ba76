"""No secret in any log (issue 17, Deliver 5) along the path a service's password travels: the
editor saves it, "Verbindung testen" runs in a real `flask worker` against a real SMTP server
(once with the saved password, once with one typed into the form and not saved), and every
log line of the web process (all loggers at DEBUG) and of the worker (LOG_LEVEL=DEBUG) is
searched for both."""
import logging

import pytest

from tests.factories import HX, SMTP_RAW, fresh, make_config, wait_for
from tests.mailserver import start_smtp
from tests.probes.tls import make_certificates
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService
from webapp.outbound.models import DONE, FAILED, Outbound

pytestmark = pytest.mark.redis

USER, SAVED, TYPED = "filiale@example.org", "Gespeichert-Geheim-4711", "Getippt-Geheim-0815"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def smtp_server(certificates):
    """A real SMTP server on loopback that takes USER with the saved password only."""
    controller = start_smtp(certificates, USER, SAVED)
    yield controller
    controller.stop()


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):
    return make_config(tmp_path, REDIS_URL=redis_url, LOG_LEVEL="DEBUG",
                       OUTBOUND_CA_FILE=str(certificates.ca_file))


def _run(client, csrf, service_id, form, state):
    """'Verbindung testen' with this form; waits for the worker to end the run in `state`."""
    response = client.post(f"/interfaces/{service_id}/actions/test",
                           data={**form, "csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200
    run_id = db.session.scalars(db.select(Outbound.id).where(
        Outbound.subject_type == "service", Outbound.subject_id == service_id)
        .order_by(Outbound.id.desc())).first()
    run = wait_for(lambda: (row := fresh(Outbound, run_id)).state in (DONE, FAILED) and row,
                   timeout=20, what="the worker to finish the connection test")
    assert run.state == state, run.progress


def test_a_saved_and_a_typed_password_never_reach_any_log(world, auth, client, csrf, smtp_server,
                                                         caplog, capsys, monkeypatch, request,
                                                         tmp_path):
    """Saved through the editor, tested with it (passes) and with a typed one (refused at
    Anmeldung): neither password is in the web process's log or the worker's."""
    caplog.set_level(logging.DEBUG)  # the root logger: every logger's records
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    worker_process = request.getfixturevalue("worker")  # reads LOG_LEVEL from the environment
    auth.login(world.admin)
    form = {**SMTP_RAW, "host": "127.0.0.1", "port": str(smtp_server.port), "username": USER,
            "name": "Postausgang", "branch_id": "", "usage_server": "y", "enabled": "y",
            "start_date": ""}
    response = client.post("/interfaces/new/smtp", data={**form, "password": SAVED,
                                                         "csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)
    service = db.session.scalar(db.select(InterfaceService))
    form["version"] = service.version
    _run(client, csrf, service.id, {**form, "password": ""}, DONE)  # the saved one
    _run(client, csrf, service.id, {**form, "password": TYPED}, FAILED)  # typed, refused

    worker_process.terminate()  # all it logged is written once it has stopped
    worker_process.wait(20)
    web = caplog.text + capsys.readouterr().err  # records with their tracebacks, and stderr
    worker_log = (tmp_path / "worker-0.log").read_text()
    # Both were captured: the web process's requests and the worker's two runs, at DEBUG.
    assert "POST /interfaces/new/smtp" in web and f"/interfaces/{service.id}/actions/test" in web
    assert "DEBUG" in worker_log
    assert "Job OK (outbound_run-1-0)" in worker_log and "Job OK (outbound_run-2-0)" in worker_log
    for secret in (SAVED, TYPED):
        assert secret not in web
        assert secret not in worker_log
