"""The demo chain as `make run` seeds it: an admin logs its SiNNO-App service in against the
sandbox, gives Erika Mustermann app access, and her message arrives with one sync."""
import pytest

from tests.factories import make_config
from tests.sinno.conftest import customer_writes, sync
from webapp import demo
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService
from webapp.sinno import activation, api, chat, session
from webapp.sinno.models import SinnoMessage
from webapp.users.models import User

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url, sandbox):
    return make_config(tmp_path, REDIS_URL=redis_url, PARTNER_SANDBOX_URL=sandbox,
                       **demo.SETTINGS)


@pytest.fixture
def seeded(app):
    with app.app_context():
        demo.seed()
        yield


def test_the_demo_chain_logs_in_to_the_sandbox_and_gets_a_customer_message(seeded, sandbox,
                                                                           work):
    service = db.session.scalar(db.select(InterfaceService).where(
        InterfaceService.name == "SiNNO-App"))
    chat_service = db.session.scalar(db.select(InterfaceService).where(
        InterfaceService.name == "SiNNO-Chat"))
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    assert session.missing_office_email(service) == []
    session.start(admin, service, session.LOGIN, None)
    db.session.commit()
    assert work()
    assert api.is_logged_in(service.id)
    assert api.login_of(service.id).company_name == "Hörwelt Demo"

    erika = db.session.scalar(db.select(Customer).where(Customer.last_name == "Mustermann"))
    assert activation.problems(erika) == []
    activation.activate(admin, erika)
    db.session.commit()
    assert work()
    customer_writes(sandbox, "Guten Tag, ist mein Termin morgen?", mobile="+49 170 5551001")
    sync(chat_service, work)
    [message] = db.session.scalars(db.select(SinnoMessage)).all()
    assert (message.customer_id, message.text) == (erika.id, "Guten Tag, ist mein Termin morgen?")
    assert chat.unread_of(erika) == 1
