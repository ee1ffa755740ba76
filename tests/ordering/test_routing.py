"""Routing exactly as seed 001: company → service by company assignment (branch first, then
chain) → the service's supplier, or one the user picks."""
import datetime

import pytest

from tests.factories import ear_mould_raw
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.ordering import routing, services
from webapp.ordering.models import Order
from webapp.processes.models import Process, ProcessStep


def test_no_company_no_order_and_the_step_says_why(world, make_service):
    """Rule 1: without a company nothing is ordered, and the answer names the reason."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 branch_id=world.st.id)
    found = routing.route(world.process)
    assert not found.ok and found.problem_field == "company_id"
    assert "No company is chosen" in str(found.problem)
    with pytest.raises(DomainError) as refused:
        services.place_order(world.staff, world.process, company_id=None)
    assert refused.value.field == "company_id"
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


def test_company_picks_the_branch_service_first_then_the_chain(world, make_service):
    """Rule 2: the service whose assignment has the company — the process's branch first."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 name="Dreve ST", branch_id=world.st.id)
    make_service("audia_easy_order", ear_mould_raw(world.dreve, world.egger,
                                                   supplier=world.wholesaler), name="Chain labs")
    at_st = routing.route(world.process, company_id=world.dreve.id)
    assert at_st.ok and at_st.service.name == "Dreve ST"
    assert "Dreve ST" in str(at_st.reasons[0]) and "branch Stuttgart" in str(at_st.reasons[0])
    world.process.branch = world.ul
    db.session.flush()
    at_ul = routing.route(world.process, company_id=world.dreve.id)
    assert at_ul.ok and at_ul.service.name == "Chain labs"
    assert "of the chain" in str(at_ul.reasons[0])


def test_one_process_position_serves_every_lab(world, make_service):
    """Seed 001: no separate positions per lab — the company alone selects the interface."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 name="Dreve", branch_id=world.st.id)
    make_service("egger_erp_order", ear_mould_raw(world.egger, supplier=world.egger),
                 name="Egger", branch_id=world.st.id)
    assert routing.route(world.process, company_id=world.dreve.id).interface.key == "dreve_smartorder"
    assert routing.route(world.process, company_id=world.egger.id).interface.key == "egger_erp_order"


def test_the_service_supplier_is_the_order_supplier(world, make_service):
    """Rule 3: a supplier in the service → the order is for it, whatever the user sent."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.wholesaler),
                 branch_id=world.st.id)
    found = routing.route(world.process, company_id=world.dreve.id, supplier_id=world.egger.id)
    assert found.ok and found.supplier_from_service and found.supplier == world.wholesaler
    orders = services.place_order(world.staff, world.process, world.dreve.id, world.egger.id)
    assert {order.supplier_id for order in orders} == {world.wholesaler.id}


def test_without_service_supplier_the_user_must_choose_one(world, make_service):
    """Rule 4: no supplier in the service → no order until one is chosen; a company that is no
    supplier is refused; then the order is for the chosen one."""
    make_service("hoerluchs_partner_order", ear_mould_raw(world.hoerluchs), branch_id=world.st.id)
    found = routing.route(world.process, company_id=world.hoerluchs.id)
    assert not found.ok and found.needs_supplier and found.problem_field == "supplier_id"
    with pytest.raises(DomainError) as refused:
        services.place_order(world.staff, world.process, world.hoerluchs.id)
    assert refused.value.field == "supplier_id"
    with pytest.raises(DomainError, match="not a supplier"):
        services.place_order(world.staff, world.process, world.hoerluchs.id, world.hoerluchs.id)
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0
    orders = services.place_order(world.staff, world.process, world.hoerluchs.id,
                                  world.wholesaler.id)
    assert [o.supplier.name for o in orders] == ["Hörgeräte Nord", "Hörgeräte Nord"]
    step = db.session.get(Process, world.process.id).order_step
    assert (step.company_id, step.supplier_id) == (world.hoerluchs.id, world.wholesaler.id)


def test_a_company_no_service_covers_is_refused_with_the_reason(world, make_service):
    """A lab without an active ordering service: no order, and the message says where to set
    one up. A planned service (start date ahead) does not count yet."""
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 branch_id=world.st.id, start_date=datetime.date.fromisoformat(future))
    found = routing.route(world.process, company_id=world.dreve.id)
    assert not found.ok and "No active ear-mould ordering service" in str(found.problem)


def test_a_process_without_bestellservice_cannot_order(world, make_service):
    """Ordering needs the step 'Bestellservice' in the process (from its template)."""
    process = db.session.get(Process, world.process.id)
    for step in list(process.steps):
        if step.kind == "order_service":
            process.steps.remove(step)
    db.session.commit()
    assert "no 'Bestellservice' step" in str(routing.route(process, company_id=world.dreve.id).problem)


def test_the_branch_lab_is_preselected(world):
    """'Vordefiniertes Otoplastik-Labor' of the branch preselects the company until one is
    chosen at the step."""
    assert services.preselected_company_id(world.process) is None
    world.st.ear_mould_lab_id = world.egger.id
    db.session.commit()
    assert services.preselected_company_id(world.process) == world.egger.id
    step = db.session.scalar(db.select(ProcessStep).where(ProcessStep.kind == "order_service"))
    step.company_id = world.dreve.id
    assert services.preselected_company_id(world.process) == world.dreve.id
