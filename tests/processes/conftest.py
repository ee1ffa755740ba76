"""Fixtures for processes: templates with steps, customers, processes, positions, orders."""
import pytest

from webapp.companies.models import Company
from webapp.extensions import db
from webapp.processes.models import (
    ORDER_SERVICE, STEP, EarMouldPosition, Process, ProcessStep, ProcessTemplate, TemplateStep,
)

OTOPLASTIK_STEPS = ("Anamnese", "Abdrucknahme", "*Bestellservice", "Anpassung")


@pytest.fixture
def user_language():
    """`admin` and `login_as` read English, as on the customer screens."""
    return "en"


def _steps(names, model):
    return [model(position=number, kind=ORDER_SERVICE if name.startswith("*") else STEP,
                  name=name.lstrip("*")) for number, name in enumerate(names, start=1)]


@pytest.fixture
def make_template(app):
    """A template; step names starting with * are of kind 'Bestellservice'."""
    def make(name="Otoplastik", steps=OTOPLASTIK_STEPS, process_type="ear_mould", active=True):
        with app.app_context():
            template = ProcessTemplate(name=name, process_type=process_type, active=active,
                                       steps=_steps(steps, TemplateStep))
            db.session.add(template)
            db.session.commit()
            return template.id
    return make


@pytest.fixture
def make_process(app):
    """A process with steps (as copied from a template) and positions, created directly."""
    def make(customer_id, branch_id, steps=OTOPLASTIK_STEPS, positions=(), title="Otoplastik",
             status="open"):
        with app.app_context():
            process = Process(customer_id=customer_id, branch_id=branch_id, process_type="ear_mould",
                              title=title, status=status, steps=_steps(steps, ProcessStep),
                              positions=[EarMouldPosition(**position_fields(**fields))
                                         for fields in positions])
            db.session.add(process)
            db.session.commit()
            return process.id
    return make


def position_fields(**overrides):
    values = dict(side="left", style="Concha", material="Acryl hart", venting=1.5,
                  colour="transparent", notes="", impression_ref="ABD-1")
    values.update(overrides)
    return values


@pytest.fixture
def make_order(app):
    """An ear-mould order for a position, in the given status."""
    from webapp.ordering.models import Order

    def make(process_id, position_id, status="ordered", number="B-2026-000001"):
        with app.app_context():
            lab = db.session.scalar(db.select(Company).where(Company.name == "Dreve"))
            if lab is None:
                lab = Company(name="Dreve", is_lab=True, is_supplier=True)
                db.session.add(lab)
                db.session.flush()
            process = db.session.get(Process, process_id)
            order = Order(number=number, branch_id=process.branch_id, supplier_id=lab.id,
                          company_id=lab.id, interface_key="dreve_smartorder",
                          service_name="Dreve SmartOrder", process_id=process_id,
                          position_id=position_id, status=status)
            db.session.add(order)
            db.session.commit()
            return order.id
    return make


@pytest.fixture
def setting(make_customer, make_template, make_process, two_branches):
    """A customer of the first branch with an Otoplastik process holding one position."""
    own, _other = two_branches
    customer = make_customer("Mustermann", own)
    process = make_process(customer, own, positions=[{}])
    return dict(customer=customer, process=process, template=make_template(), own=own,
                other=two_branches[1])
