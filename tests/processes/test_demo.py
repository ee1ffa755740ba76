"""The demo chain has process templates, customers and an Otoplastik process to click through."""
from sqlalchemy import func

from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.org.models import Branch
from webapp.processes.models import EarMouldPosition, Process, ProcessTemplate

MODELS = (ProcessTemplate, Customer, Process, EarMouldPosition)


def _counts():
    return {model.__name__: db.session.scalar(db.select(func.count()).select_from(model))
            for model in MODELS}


def test_seed_demo_creates_templates_customers_and_a_process(app, runner):
    """Otoplastik with its Bestellservice, HG Versorgung with a step Kundenkarte instead,
    customers in every branch, one Otoplastik process with a left and a right position and
    an HG Versorgung for Hans Hörgern, Dreve as Stuttgart's lab."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        templates = {t.name: t for t in db.session.scalars(db.select(ProcessTemplate))}
        assert [(s.name, s.kind) for s in templates["Otoplastik"].steps] == [
            ("Anamnese", "step"), ("Abdrucknahme", "step"), ("Bestellservice", "order_service"),
            ("Anpassung", "step")]
        assert [(s.name, s.kind) for s in templates["HG Versorgung"].steps] == [
            ("Anamnese", "step"), ("Audiometrie", "step"), ("Anpassung", "step"),
            ("Kundenkarte", "customer_card"), ("Nachkontrolle", "step")]
        assert not templates["HG Versorgung"].has_order_service
        branches = db.session.scalars(db.select(Branch)).all()
        for branch in branches:
            customers = db.session.scalars(db.select(Customer).where(Customer.branch_id == branch.id)).all()
            assert len(customers) >= 2 and all(c.number.startswith("K-") for c in customers)
        process, fitting = db.session.scalars(db.select(Process).order_by(Process.id)).all()
        assert (fitting.title, fitting.customer.last_name) == ("HG Versorgung", "Hörgern")
        assert (process.title, process.process_type, process.template.name) == (
            "Otoplastik", "ear_mould", "Otoplastik")
        assert sorted(p.side for p in process.positions) == ["left", "right"]
        assert process.order_step is not None and process.branch.short_code == "ST"
        stuttgart = next(b for b in branches if b.short_code == "ST")
        assert stuttgart.ear_mould_lab.name == "Dreve Otoplastik GmbH"


def test_seed_demo_twice_adds_nothing_and_keeps_edits(app, runner):
    """A second run creates nothing; a cleared lab stays cleared."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        before = _counts()
        stuttgart = db.session.scalar(db.select(Branch).where(Branch.short_code == "ST"))
        stuttgart.ear_mould_lab_id = None
        db.session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "0 records created" in result.output
    with app.app_context():
        assert _counts() == before
        assert db.session.scalar(db.select(Branch.ear_mould_lab_id).where(Branch.short_code == "ST")) is None
