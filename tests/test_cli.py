"""The `flask` commands: demo data, admin bootstrap, housekeeping."""
from datetime import timedelta

import pytest
from sqlalchemy import func

from tests.factories import make_config
from webapp import demo
from webapp.auth.models import LoginAttempt
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db
from webapp.interfaces import services as interface_services
from webapp.interfaces.models import InterfaceService, ServiceSecret
from webapp.models_base import utcnow
from webapp.ordering.models import ARTICLES, Order
from webapp.processes.models import Process
from webapp.org.models import Branch, Chain, Workstation
from webapp.users.models import User

MODELS = (Chain, Branch, Workstation, User, Company, CustomerNumber, InterfaceService, ServiceSecret)


@pytest.fixture
def app_config(tmp_path):
    """What `make run` allows the demo (its ordering program, the sandbox on 127.0.0.1)."""
    return make_config(tmp_path, **demo.SETTINGS)


def _counts():
    return {model.__name__: db.session.scalar(db.select(func.count()).select_from(model))
            for model in MODELS}


def test_seed_demo_creates_the_demo_chain(app, runner):
    """The demo chain has its branches, workstations, users and companies as documented."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        chain = db.session.get(Chain, 1)
        assert (chain.name, chain.timezone) == ("Hörwelt Demo", "Europe/Berlin")
        branches = db.session.scalars(db.select(Branch).order_by(Branch.short_code)).all()
        assert [b.short_code for b in branches] == ["ES", "LB", "ST"]
        for branch in branches:
            assert branch.street and branch.city and branch.office_street
            assert "@" in branch.office_email and branch.office_phone
            assert [w.name.split("-")[0] for w in branch.workstations] == [branch.short_code] * 2
        assert "ST-EMPFANG" in {w.name for w in branches[2].workstations}

        users = {u.username: u for u in db.session.scalars(db.select(User))}
        assert {u.role for u in users.values()} == {"admin", "branch_manager", "staff"}
        assert sum(u.role == "staff" for u in users.values()) == 2
        manager = next(u for u in users.values() if u.role == "branch_manager")
        assert [b.short_code for b in manager.branches] == ["ST"]
        assert all(u.check_password(demo.DEMO_PASSWORD) for u in users.values())

        companies = {c.name: c for c in db.session.scalars(db.select(Company))}
        labs = [c for c in companies.values() if c.is_lab]
        assert {c.name for c in labs} >= {"Dreve Otoplastik GmbH",
                                          "egger Otoplastik + Labortechnik GmbH", "Hörluchs"}
        assert all(c.is_supplier for c in labs)
        assert {c.name for c in labs if c.order_form == "document"} == {"Otoplastik-Labor Schwaben"}
        others = [c for c in companies.values() if not c.is_lab]
        assert any(c.is_manufacturer for c in others)
        assert any(c.is_supplier and not c.is_manufacturer for c in others)
        assert all("@" in c.order_email for c in others)
        # Signia is ordered through Audoora (order form Schnittstelle), the others by document.
        assert {c.name for c in others if c.order_form != "document"} == {"Signia GmbH"}
        # An article order to try Audoora with: one article the sandbox knows, one it does not.
        (order,) = db.session.scalars(db.select(Order).where(Order.order_type == ARTICLES))
        assert (order.supplier.name, order.branch.short_code, order.status) == (
            "Signia GmbH", "ST", "created")
        assert [line.article_number for line in order.lines] == ["SIG-312", ""]
        # Customer cards: the card service with a customer and an employee template, and a
        # hearing-aid fitting whose step Kundenkarte orders one.
        cards = db.session.scalar(db.select(InterfaceService).where(
            InterfaceService.interface_key == "card_order"))
        assert [row["name"] for row in cards.values["templates"]] == ["GOLD", "TEAM"]
        assert "contract_key" in cards.secret_keys
        fitting = db.session.scalar(db.select(Process).where(Process.title == "HG Versorgung"))
        assert "customer_card" in [step.kind for step in fitting.steps]
        for company in companies.values():
            if company.is_supplier:
                assert all(company.customer_number_for(b.id) for b in branches)

        # Interface services at every scope, so the Schnittstellen screens are not empty.
        services = {s.interface_key: s for s in db.session.scalars(db.select(InterfaceService))}
        assert services["smtp"].scope == "chain"
        dreve = services["dreve_smartorder"]
        assert (dreve.scope, dreve.protected, dreve.branch.short_code) == ("branch", True, "ST")
        assert services["tse_swissbit"].scope == "workstation"
        assert interface_services.service_state(services["spryng_rest"])[0] == "planned"
        assert interface_services.secret_states(dreve) == {"password": True, "api_key": False}
        # Every kind of ear-mould adapter has a lab to order from: HTTPS partners (one without
        # a supplier, seed 001 rule 4), the order form by e-mail and a local program.
        assert services["hoerluchs_partner_order"].values.get("supplier") is None
        assert services["ear_mould_standard_order"].values["delivery"] == "email"
        command = services["ear_mould_command"]
        assert command.values["program"] == str(demo.ORDER_PROGRAM)
        assert command.values["arguments"].startswith("--auftrag {auftragsdatei}")
        assert services["smtp"].values["host"] == "127.0.0.1"
        # Audoora's registration goes to the sandbox's portal.
        assert services["audoora_order"].values["base_url"].endswith("/audoora")
        assert interface_services.secret_states(services["audoora_order"])["password"]


def test_seed_demo_twice_changes_nothing(app, runner):
    """A second run creates nothing and leaves every record as it was."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        before = _counts()
        versions = [(u.username, u.password_hash, u.version) for u in db.session.scalars(db.select(User))]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "0 records created" in result.output
    with app.app_context():
        assert _counts() == before
        assert [(u.username, u.password_hash, u.version)
                for u in db.session.scalars(db.select(User))] == versions


def test_seed_demo_refuses_a_database_with_real_users(app, runner, make_user):
    """Demo logins with a published password are not slipped into a real chain."""
    make_user("erika", role="admin")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "erika" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(Branch)) == 0


def test_create_admin_refuses_a_weak_password(app, runner):
    """The password policy applies on the command line too."""
    result = runner.invoke(args=["create-admin", "root", "--password-stdin"], input="password1\n")
    assert result.exit_code != 0
    assert "upper-case letter" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "root")) is None


def test_create_admin_prompts_twice_and_creates_an_administrator(app, runner):
    """The prompted password is confirmed, and the new admin can log in with it."""
    result = runner.invoke(args=["create-admin", "Root", "--name", "Rita Root"],
                           input="Sicher-2026\nSicher-2026\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "root"))
        assert (user.role, user.name, user.auth_source) == ("admin", "Rita Root", "local")
        assert user.check_password("Sicher-2026")
    again = runner.invoke(args=["create-admin", "root", "--password-stdin"], input="Sicher-2026\n")
    assert again.exit_code != 0 and "exists" in again.output


def test_prune_login_attempts_command(app, runner):
    """Old login attempts are deleted, recent ones kept."""
    with app.app_context():
        db.session.add_all([
            LoginAttempt(username="a", address="::1", at=utcnow() - timedelta(days=45)),
            LoginAttempt(username="a", address="::1", at=utcnow()),
        ])
        db.session.commit()
    result = runner.invoke(args=["prune-login-attempts"])
    assert result.exit_code == 0 and "1 login attempts deleted" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(LoginAttempt)) == 1
