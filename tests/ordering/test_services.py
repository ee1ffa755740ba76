"""'Bestellen' and what follows: orders with their outbound rows in one transaction,
permissions, and the rules for cancelling, resending and handed-off orders."""
import uuid

import pytest

from tests.factories import ear_mould_raw
from webapp.errors import DomainError, PermissionDenied
from webapp.extensions import db
from webapp.interfaces.services import service_dependents
from webapp.ordering import services
from webapp.ordering.models import (
    CANCELLED, CREATED, ERROR, FAILED, IN_FLIGHT, ORDERED, PENDING, Order, Outbound,
)
from webapp.processes.models import CLOSED


@pytest.fixture
def dreve(world, make_service):
    return make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                        name="Dreve ST", branch_id=world.st.id)


def test_bestellen_writes_one_order_and_outbound_row_per_position(world, dreve):
    """Each open position becomes an order (Erstellt, numbered, for the routed service and
    supplier) with a pending outbound row holding its own idempotency key; the step is done."""
    orders = services.place_order(world.staff, world.process, world.dreve.id, note=" eilig ")
    assert len(orders) == 2
    for order in orders:
        assert order.status == CREATED and order.number.startswith("B-")
        assert (order.service_id, order.supplier_id, order.branch_id) == (
            dreve.id, world.dreve.id, world.st.id)
        assert order.interface_key == "dreve_smartorder" and order.note == "eilig"
        assert order.outbound.state == PENDING and uuid.UUID(order.outbound.idempotency_key)
        assert order.outbound.job_id == f"orders_submit-{order.outbound.id}-0"
    assert len({o.outbound.idempotency_key for o in orders}) == 2
    assert world.process.order_step.done_by == "Sam"
    with pytest.raises(DomainError, match="no ear-mould position left"):
        services.place_order(world.staff, world.process, world.dreve.id)


def test_only_people_of_the_branch_may_order(world, dreve):
    """Staff of another branch are refused on the server; admins may order anywhere."""
    with pytest.raises(PermissionDenied):
        services.place_order(world.ul_staff, world.process, world.dreve.id)
    assert world.process.order_step.company_id is None  # the refused choice was not kept
    assert services.place_order(world.admin, world.process, world.dreve.id)


def test_a_closed_process_orders_nothing(world, dreve):
    """Ordering needs an open process."""
    world.process.status = CLOSED
    db.session.commit()
    with pytest.raises(DomainError, match="closed"):
        services.place_order(world.staff, world.process, world.dreve.id)


def test_cancel_frees_the_position_unless_the_lab_has_the_order(world, dreve):
    """A cancelled order gives its position back; an order with an external number is locked,
    and one being sent right now cannot be cancelled."""
    first, second = services.place_order(world.staff, world.process, world.dreve.id)
    services.cancel(world.staff, first)
    assert first.status == CANCELLED and first.outbound.state == CANCELLED
    assert [p.id for p in services.open_positions(world.process)] == [first.position_id]
    second.external_number, second.status = "DRV-000001", ORDERED
    db.session.commit()
    with pytest.raises(DomainError, match="external number DRV-000001"):
        services.cancel(world.staff, second)
    third, = services.place_order(world.staff, world.process, world.dreve.id)
    third.outbound.state = IN_FLIGHT
    db.session.commit()
    with pytest.raises(DomainError, match="being sent"):
        services.cancel(world.staff, third)


def test_resend_reuses_the_key_and_only_from_error(world, dreve):
    """'Erneut senden' works on Fehler only and keeps the idempotency key."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    with pytest.raises(DomainError, match="status Error"):
        services.resend(world.staff, order)
    key = order.outbound.idempotency_key
    order.status, order.error_message = ERROR, "422 invalid"
    order.outbound.state, order.outbound.attempts = FAILED, 3
    db.session.commit()
    services.resend(world.staff, order)
    assert order.status == CREATED and order.error_message == ""
    assert order.outbound.state == PENDING and order.outbound.attempts == 0
    assert order.outbound.idempotency_key == key and order.outbound.job_id.startswith(
        f"orders_submit-{order.outbound.id}-s")


def test_handed_off_orders_are_marked_ordered_by_a_person(world, dreve):
    """Print/fax orders wait in Erstellt until someone confirms they went out."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    with pytest.raises(DomainError):
        services.mark_ordered(world.staff, order)
    order.handoff = "print_fax"
    db.session.commit()
    services.mark_ordered(world.staff, order)
    assert order.status == ORDERED


def test_a_service_with_undelivered_orders_cannot_be_deleted(world, dreve):
    """service_dependents names the open orders; once they are delivered it is free."""
    orders = services.place_order(world.staff, world.process, world.dreve.id)
    reasons = [str(r) for r in service_dependents(dreve)]
    assert reasons and all(o.number in reasons[0] for o in orders)
    for order in orders:
        order.status = ORDERED
    db.session.commit()
    assert service_dependents(dreve) == []


def test_search_orders_finds_by_number_customer_and_supplier(world, dreve):
    """The order list searches order and external numbers, customer and supplier names."""
    first, _ = services.place_order(world.staff, world.process, world.dreve.id)
    for q, expected in ((first.number, 1), ("muster", 2), ("dreve", 2), ("nothing", 0), ("%", 0)):
        assert services.search_orders(q=q).total == expected, q
    assert services.search_orders(status=CREATED, branch_id=world.ul.id).total == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Outbound)) == 2


def test_a_company_in_orders_processes_or_as_branch_lab_is_not_deleted(world, dreve):
    """Deleting a lab is refused, naming its orders, the processes that chose it and the
    branches preselecting it — never a database error."""
    from webapp.companies.services import delete_company
    from webapp.errors import InUse

    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    world.st.ear_mould_lab_id = world.dreve.id
    db.session.commit()
    with pytest.raises(InUse) as refused:
        delete_company(world.admin, world.dreve)
    message = str(refused.value.message)
    assert order.number in message and "Otoplastik (#" in message and "Stuttgart" in message
    assert "interface services: Dreve ST" in message
