""""Verbindung testen" of the login services, through the generic action of the editor, the
outbound engine, the real Redis and an in-process worker: LDAP against the session's slapd
over ldaps with the CA pasted into the service, OpenID Connect against oidc-provider-mock."""
from pathlib import Path

import pytest

from tests.auth import servers
from tests.auth.servers import ldap_raw, oidc_raw
from tests.factories import HX, make_config
from webapp.extensions import db
from webapp.outbound.models import DONE, FAILED, Outbound

pytestmark = [pytest.mark.redis, *servers.OIDC_MOCK_WARNINGS,
              pytest.mark.filterwarnings(r"ignore:ssl.match_hostname\(\) is deprecated:DeprecationWarning")]


@pytest.fixture
def app_config(tmp_path, redis_url):
    # No OUTBOUND_CA_FILE: the LDAP test trusts slapd only through the service's own CA.
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def admin(world, auth):
    auth.login(world.admin)
    return world.admin


def run_test(client, csrf, work, service, raw, **changes):
    """Post the editor's form to Verbindung testen, let the worker run it: the run."""
    data = {**raw, "name": service.name, "version": service.version, "csrf_token": csrf(),
            **changes}
    for table in ("role_map", "branch_map"):
        for number, row in enumerate(data.pop(table, None) or ()):
            data.update({f"{table}-{number}-{key}": value for key, value in row.items()})
    response = client.post(f"/interfaces/{service.id}/actions/test", data=data, headers=HX)
    assert response.status_code == 200, response.data
    assert work()
    return db.session.scalars(db.select(Outbound).where(Outbound.subject_id == service.id)
                              .order_by(Outbound.id.desc())).first()


def states(run):
    return {step["step"]: step["state"] for step in run.progress["steps"]}


def test_ldaps_with_the_services_own_ca(admin, client, csrf, work, make_service, slapd, tmp_path):
    """The CA certificate of the service is what TLS trusts: with it all five steps pass;
    with another CA pasted into the (unsaved) form the test fails at TLS."""
    raw = ldap_raw(slapd, server_url=slapd.ldaps_url,
                   ca_certificate_pem=Path(slapd.tls["ca"]).read_text())
    service = make_service("ldap_directory", raw)
    run = run_test(client, csrf, work, service, raw, bind_password="")
    assert run.state == DONE and states(run) == dict.fromkeys(
        ("resolve", "connect", "tls", "auth", "request"), "ok")
    other = servers.make_tls_files(tmp_path / "other")
    run = run_test(client, csrf, work, service, raw, bind_password="",
                   ca_certificate_pem=Path(other["ca"]).read_text())
    assert run.state == FAILED and states(run)["tls"] == "failed"
    assert run.progress["steps"][2]["reason"] == "certificate"


def test_oidc_discovery_and_keys(admin, client, csrf, work, make_service, oidc_issuer):
    """The provider's discovery document and keys as the login checks them: the request
    passes; TLS is skipped for the plain-http mock, and so is AUTH (no person logs in)."""
    raw = oidc_raw(oidc_issuer)
    service = make_service("openid_connect", raw)
    run = run_test(client, csrf, work, service, raw, client_secret="")
    assert run.state == DONE, run.progress
    assert states(run) == {"resolve": "ok", "connect": "ok", "tls": "skipped",
                           "auth": "skipped", "request": "ok"}
    assert "signing key" in run.progress["steps"][-1]["detail"]


def test_oidc_issuer_that_does_not_match_fails_the_request(admin, client, csrf, work,
                                                          make_service, oidc_issuer):
    """A discovery document that calls its issuer differently fails at the request with
    both names."""
    other = "http://127.0.0.1:9/realms/other"
    document = {"issuer": other, "authorization_endpoint": f"{other}/auth",
                "token_endpoint": f"{other}/token", "jwks_uri": f"{other}/jwks"}
    with servers.json_server({"/.well-known/openid-configuration": document}) as base:
        raw = oidc_raw(base)
        service = make_service("openid_connect", raw)
        run = run_test(client, csrf, work, service, raw, client_secret="")
    assert run.state == FAILED and states(run)["request"] == "failed"
    assert "calls itself" in run.progress["steps"][-1]["detail"]
