"""Fixtures for interface services: a chain with two branches, workstations, companies and
users of every role, loaded into one app context per test (English messages)."""
import datetime
from types import SimpleNamespace

import pytest

from tests.factories import make_config
from webapp.companies.models import Company
from webapp.extensions import db
from webapp.interfaces import services
from webapp.org.models import Branch, Workstation
from webapp.users.models import User

TODAY = datetime.date(2026, 3, 2)
SMTP_RAW = {"host": "mail.example.org", "port": "587", "encryption": "starttls",
            "sender_address": "filiale@example.org"}


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def world(app, make_branch, make_workstation):
    """Branches Stuttgart (ST) and Ulm (UL), one till each, companies and users; yields a
    namespace of the loaded objects inside an app context."""
    st = make_branch("Stuttgart", "ST")
    ul = make_branch("Ulm", "UL")
    st_till = make_workstation("ST-KASSE", st)
    ul_till = make_workstation("UL-KASSE", ul)
    with app.app_context():
        # No passwords: hashing them would cost more than the tests themselves.
        users = {
            username: User(username=username, name=name, role=role,
                           branches=[db.session.get(Branch, st)] if role != "admin" else [])
            for username, name, role in (("admin", "Anna Admin", "admin"),
                                         ("maria", "Maria Manager", "branch_manager"),
                                         ("sam", "Sam Staff", "staff"))
        }
        db.session.add_all(users.values())
        companies = {}
        for name, supplier in (("Dreve", False), ("Egger", False), ("Hörgeräte Nord", True)):
            company = Company(name=name, is_lab=not supplier, is_supplier=supplier)
            db.session.add(company)
            companies[name] = company
        db.session.commit()
        yield SimpleNamespace(
            st=db.session.get(Branch, st), ul=db.session.get(Branch, ul),
            st_till=db.session.get(Workstation, st_till),
            ul_till=db.session.get(Workstation, ul_till),
            admin=users["admin"], manager=users["maria"], staff=users["sam"],
            dreve=companies["Dreve"], egger=companies["Egger"],
            supplier=companies["Hörgeräte Nord"],
        )


@pytest.fixture
def make_service(world):
    """Create a service as the admin: make_service(interface_key, raw=None, **data)."""
    def make(interface_key, raw=None, actor=None, **data):
        data.setdefault("name", interface_key)
        return services.create_service(actor or world.admin, interface_key, data,
                                       raw if raw is not None else dict(SMTP_RAW))
    return make
