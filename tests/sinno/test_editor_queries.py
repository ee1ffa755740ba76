"""The SiNNO-App service's editor reads a fixed number of statements however many branches
it serves (each checked for its business office's e-mail address and for a SiNNO-App
service of its own), customers with app access and chat messages there are; the branches it
serves are the ones the single resolution names."""
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.org.models import Branch
from webapp.sinno import session
from webapp.sinno.models import ACTIVE, FROM_CUSTOMER, SinnoActivation, SinnoMessage

from tests.sinno.conftest import APP_RAW

SERVER = {"server": "https://sinno.example.org/v1", **APP_RAW}


def _statements(client, count_queries, service):
    """Statements of the editor and of Anmelden's status beside it (after a first request:
    the first after the login also touches its session)."""
    found = []
    for url in (f"/interfaces/{service.id}", f"/interfaces/{service.id}/actions/login/status"):
        client.get(url)
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        found.append(counter.count)
    return found


def _customers_with_app(app_service, branches, first, count):
    for n in range(first, first + count):
        customer = Customer(number=f"K-9{n:05d}", last_name=f"Kunde {n}", first_name="App",
                            branch_id=branches[n % len(branches)].id)
        db.session.add(customer)
        db.session.flush()
        db.session.add(SinnoActivation(customer_id=customer.id, account_id=app_service.id,
                                       state=ACTIVE, mobile=f"+49 170 {n:07d}"))
        db.session.add(SinnoMessage(account_id=app_service.id, customer_id=customer.id,
                                    customer_ref=str(customer.id), partner_id=f"m{n}",
                                    direction=FROM_CUSTOMER, text="Hallo"))
    db.session.commit()


def test_the_editor_reads_the_same_statements_for_two_branches_and_many(
        offices, world, make_service, make_branch, client, auth, count_queries):
    """Two branches, then eleven more — some without an e-mail address at the business
    office, one with its own SiNNO-App service — and twenty customers with app access and
    messages: the editor and Anmelden's status read as many statements (before, each branch
    cost its own resolution of SiNNO-App)."""
    auth.login(world.admin)
    chain = make_service("sinno_app", dict(SERVER), name="SiNNO-App")
    make_service("sinno_chat", {}, name="SiNNO-Chat")
    _customers_with_app(chain, [world.st], 0, 1)
    small = _statements(client, count_queries, chain)

    for n in range(10):
        make_branch(f"Filiale {n}", f"F{n}", office_email=f"f{n}@example.org" if n % 2 else "")
    own = db.session.get(Branch, make_branch("Eigene", "EIG", office_email=""))
    make_service("sinno_app", dict(SERVER), name="SiNNO-App Eigene", branch_id=str(own.id))
    _customers_with_app(chain, db.session.scalars(db.select(Branch)).all(), 1, 20)
    editor = client.get(f"/interfaces/{chain.id}").get_data(as_text=True)
    assert editor.count("#office_email") == 5  # Filiale 0, 2, 4, 6, 8; not Eigene
    assert f'href="/branches/{own.id}#office_email"' not in editor
    assert _statements(client, count_queries, chain) == small


def test_the_chain_service_serves_the_branches_without_an_active_service_of_their_own(
        offices, world, make_service, make_branch):
    """Each branch's own active SiNNO-App service keeps it; a disabled one does not; a
    branch's service serves only its branch."""
    third = db.session.get(Branch, make_branch("Esslingen", "ES", office_email="es@x.example"))
    chain = make_service("sinno_app", dict(SERVER), name="SiNNO-App")
    ulm = make_service("sinno_app", dict(SERVER), name="SiNNO-App Ulm", branch_id=str(world.ul.id))
    off = make_service("sinno_app", dict(SERVER), name="Aus", branch_id=str(third.id))
    off.enabled = False
    db.session.commit()
    assert session.covered_branches(chain) == [third, world.st]
    assert session.covered_branches(ulm) == [world.ul]
    assert session.covered_branches(off) == [third]
