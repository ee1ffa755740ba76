"""SiNNO against the sandbox's app API over real HTTP, with the real Redis and an in-process
worker: the chain's SiNNO-App and SiNNO-Chat services, both branches' business offices with
an e-mail address, helpers to run the actions as the editor does and to write as a customer
in the app."""
from types import SimpleNamespace

import pytest
import requests

from tests.factories import HX, control, make_config, received
from webapp.extensions import db
from webapp.outbound.models import Outbound
from webapp.sinno import activation, api, chat, session

APP_RAW = {"client_id": "winpro", "company_number": "4711"}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=4)


@pytest.fixture
def offices(world):
    world.st.office_email, world.ul.office_email = "st@hoerwelt.example", "ul@hoerwelt.example"
    db.session.commit()
    return world


@pytest.fixture
def sinno(offices, make_service, sandbox):
    """The chain's SiNNO-App service pointing at the sandbox, and its SiNNO-Chat."""
    app_service = make_service("sinno_app", {"server": f"{sandbox}/sinno/v1", **APP_RAW},
                               name="SiNNO-App")
    chat_service = make_service("sinno_chat", {}, name="SiNNO-Chat")
    return SimpleNamespace(app=app_service, chat=chat_service, url=sandbox)


@pytest.fixture
def logged_in(sinno, world, work):
    """The SiNNO-App service logged in (as an admin would, through the engine)."""
    session.start(world.admin, sinno.app, session.LOGIN, None)
    db.session.commit()
    assert work()
    assert api.is_logged_in(sinno.app.id)
    return sinno


@pytest.fixture
def activated(logged_in, world, work):
    """Erika Muster (Stuttgart) with app access, mobile +49 170 5550001."""
    world.customer.mobile, world.customer.email = "+49 170 5550001", "erika@example.org"
    db.session.commit()
    activation.activate(world.admin, world.customer)
    db.session.commit()
    assert work()
    assert activation.activation_of(world.customer).state == "active"
    return logged_in


def action(client, csrf, service, key, **data):
    """Press an action's button in the editor (htmx)."""
    return client.post(f"/interfaces/{service.id}/actions/{key}",
                       data={"csrf_token": csrf(), **data}, headers=HX)


def customer_writes(url, text, mobile="+49 170 5550001"):
    """A customer writes in the SiNNO app (the sandbox's control API)."""
    return control(requests, url, "sinno/messages", mobile=mobile, text=text)


def sandbox_state(url):
    return requests.get(f"{url}/_sandbox/sinno/state", timeout=5).json()["companies"]


def sinno_received(url):
    return received(requests, url, partner="sinno")


def runs(kind):
    return db.session.scalars(db.select(Outbound).where(Outbound.kind == kind)
                              .order_by(Outbound.id)).all()


def sync(chat_service, work):
    """One chat sync, run to its end."""
    chat.start_sync(chat_service, "test")
    db.session.commit()
    assert work()
