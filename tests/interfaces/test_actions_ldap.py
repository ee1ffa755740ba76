""""Verbindung testen" of an LDAP directory service end to end: the editor's form posted to
the action, the run done by an in-process RQ worker on the real Redis, the LDAP probe talking
StartTLS to the session's real slapd (trusting the test kit's CA through OUTBOUND_CA_FILE)."""
import json

import pytest

from tests.auth.servers import BASE, SERVICE_DN, SERVICE_PASSWORD
from tests.factories import HX, fresh, make_config
from webapp.extensions import db
from webapp.interfaces import actions
from webapp.outbound.models import DONE, FAILED, Outbound

pytestmark = pytest.mark.redis

WRONG_PASSWORD = "Falsch-Pw-fuer-LDAP-0815"


@pytest.fixture
def app_config(tmp_path, redis_url, slapd):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_CA_FILE=slapd.tls["ca"])


@pytest.fixture
def admin(world, auth):
    """The world's administrator, logged in."""
    auth.login(world.admin)
    return world.admin


@pytest.fixture
def raw(slapd):
    """The directory service's fields: StartTLS on slapd's plain port, as the service account."""
    return {"server_url": f"ldap://localhost:{slapd.port}", "start_tls": "y",
            "bind_dn": SERVICE_DN, "bind_password": SERVICE_PASSWORD, "base_dn": BASE,
            "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
            "username_attribute": "uid", "timeout": "5"}


@pytest.fixture
def directory(make_service, raw):
    return make_service("ldap_directory", raw, name="Verzeichnis")


def _form(service, raw, csrf, **changes):
    """The editor's form as the browser posts it (bind password empty: the stored one)."""
    data = {**raw, "bind_password": "", "name": service.name, "version": service.version,
            "csrf_token": csrf()}
    data.update(changes)
    return data


def _last_run(service):
    return db.session.scalars(db.select(Outbound).where(
        Outbound.subject_type == "service", Outbound.subject_id == service.id)
        .order_by(Outbound.id.desc())).first()


def test_directory_passes_with_its_password_and_fails_at_auth_with_a_wrong_typed_one(
        admin, client, csrf, directory, raw, work):
    """A wrong bind password typed into the form (not saved) fails at Anmeldung after
    StartTLS; the stored one passes all five steps. No password shows in the run."""
    url = f"/interfaces/{directory.id}/actions/test"
    response = client.post(url, data=_form(directory, raw, csrf, bind_password=WRONG_PASSWORD),
                           headers=HX)
    assert response.status_code == 200
    assert work()
    run = _last_run(directory)
    assert run.state == FAILED
    steps = {step["step"]: step for step in run.progress["steps"]}
    assert [steps[s]["state"] for s in ("resolve", "connect", "tls", "auth", "request")] == [
        "ok", "ok", "ok", "failed", "skipped"]
    assert steps["auth"]["reason"] == "auth_failed"
    assert steps["tls"]["detail"].startswith("StartTLS: TLSv1.")
    status = client.get(f"{url}/status", headers=HX).get_data(as_text=True)
    assert "Anmeldung fehlgeschlagen" in status

    response = client.post(url, data=_form(directory, raw, csrf), headers=HX)
    assert response.status_code == 200
    assert work()
    passed = _last_run(directory)
    assert passed.id != run.id and passed.state == DONE and passed.progress["ok"] is True
    assert [s["state"] for s in passed.progress["steps"]] == ["ok"] * 5

    texts = [json.dumps(r.progress) + (r.last_error or "") for r in (run, passed)] + [status]
    assert not any(secret in text for text in texts
                   for secret in (WRONG_PASSWORD, SERVICE_PASSWORD))
    # The typed password was not saved.
    assert actions.services.stored_secret(fresh(type(directory), directory.id),
                                          "bind_password") == SERVICE_PASSWORD
