"""Rules for process templates (Vorgangsvorlagen), processes (Vorgänge), their steps and
ear-mould positions.

Templates are the administrators'. A process belongs to a branch: administrators and the
users of that branch work on it (tick steps, edit positions, close it); everyone may read
it. A closed process is read-only until it is reopened. A position that is part of an order
which is not cancelled is what the lab got: it can no longer be changed or deleted."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload, selectinload

from .. import references
from ..permissions import admin_only, is_admin, require_admin
from ..changelog import services as changelog
from ..customers.services import editable_branches, may_read
from ..errors import DomainError, InUse, PermissionDenied
from ..extensions import db
from ..models_base import utcnow
from ..org.models import Branch
from ..records import check_version, flush_unique, save_changes, taken
from .labels import side_label
from .models import (
    CLOSED, CUSTOMER_CARD, OPEN, ORDER_SERVICE, PANEL_KINDS, PROCESS_TYPES, SIDES, STEP,
    STEP_KINDS, EarMouldPosition,
    Process, ProcessStep, ProcessTemplate, TemplateStep,
)

TEMPLATE_FIELDS = ("name", "process_type", "active")
POSITION_FIELDS = ("side", "style", "material", "venting", "colour", "notes", "impression_ref")
VENTING_MAX = 4  # mm; the model's check constraint says the same


# --- templates ---------------------------------------------------------------------------

def template_actions(actor, template=None):
    """Process templates are the administrators'; everyone else may read them."""
    return admin_only(actor)


def list_templates():
    """Every template by name, with its steps (one query for all steps)."""
    return db.session.scalars(db.select(ProcessTemplate).options(selectinload(ProcessTemplate.steps))
                              .order_by(func.lower(ProcessTemplate.name), ProcessTemplate.id)).all()


def active_templates():
    return db.session.scalars(db.select(ProcessTemplate).where(ProcessTemplate.active.is_(True))
                              .order_by(func.lower(ProcessTemplate.name), ProcessTemplate.id)).all()


def get_template(template_id):
    return db.session.get(ProcessTemplate, template_id,
                          options=[selectinload(ProcessTemplate.steps)])


def template_process_count(template):
    """How many processes were created from the template (they keep their own steps)."""
    return db.session.scalar(db.select(func.count()).select_from(Process)
                             .where(Process.template_id == template.id))


def _check_template(data, exclude_id=None):
    if data.get("process_type") not in PROCESS_TYPES:
        raise DomainError(_l("Not a valid choice."), field="process_type")
    if taken(ProcessTemplate, "name", data["name"], exclude_id):
        raise DomainError(_l("A process template with this name already exists."), field="name")


def create_template(actor, data):
    """A new template without steps; administrators only."""
    require_admin(actor)
    _check_template(data)
    template = ProcessTemplate(**{name: data[name] for name in TEMPLATE_FIELDS}, updated_by=actor.name)
    db.session.add(template)
    db.session.flush()
    changelog.record(actor, "create", "process_template", template,
                     changelog.diff({}, changelog.snapshot(template, TEMPLATE_FIELDS)))
    flush_unique(template)
    return template


def update_template(actor, template, data, version):
    """Save name, type and active flag; returns False when nothing changed."""
    require_admin(actor)
    check_version(template, version)
    _check_template(data, exclude_id=template.id)
    return save_changes(actor, template, TEMPLATE_FIELDS, data, version, "process_template")


def delete_template(actor, template):
    """Delete a template. Processes made from it keep their copied steps; their template
    reference becomes empty (ON DELETE SET NULL), so nothing blocks the deletion."""
    require_admin(actor)
    changelog.record(actor, "delete", "process_template", template)
    db.session.delete(template)
    db.session.flush()


def _step_labels(steps):
    """The steps as the change log shows them, in order; a panel step marked with its kind."""
    return [f"{step.name} [{step.kind}]" if step.kind in PANEL_KINDS else step.name
            for step in steps]


def _renumber(steps):
    """Give `steps` the positions 1…n in list order. Two passes through negative numbers,
    because (template, position) is unique at every statement, also in the middle of a swap."""
    for index, step in enumerate(steps):
        step.position = -(index + 1)
    db.session.flush()
    for index, step in enumerate(steps):
        step.position = index + 1
    db.session.flush()


def _check_step(template, name, kind, step=None):
    if kind not in STEP_KINDS:
        raise DomainError(_l("Not a valid choice."), field="kind")
    if kind == ORDER_SERVICE and any(other.kind == ORDER_SERVICE and other is not step
                                     for other in template.steps):
        raise DomainError(_l("A template has at most one order service step."), field="kind")
    if kind == CUSTOMER_CARD and any(other.kind == CUSTOMER_CARD and other is not step
                                     for other in template.steps):
        raise DomainError(_l("A template has at most one customer card step."), field="kind")
    if not name:
        raise DomainError(_l("This field is required."), field="name")


def _save_steps(actor, template, before, steps):
    """Renumber and log the step list as one change of the template. The template's
    version stays: its form does not hold the steps, so it is not out of date."""
    _renumber(steps)
    after = _step_labels(steps)
    if after == before:
        return False
    template.updated_by = actor.name
    template.updated_at = utcnow()
    changelog.record(actor, "update", "process_template", template,
                     changelog.diff({"steps": before}, {"steps": after}))
    db.session.flush()
    return True


def add_template_step(actor, template, name, kind=STEP):
    """Append a step; at most one of kind 'Bestellservice' per template."""
    require_admin(actor)
    _check_step(template, name, kind)
    before = _step_labels(template.steps)
    step = TemplateStep(name=name, kind=kind, position=len(template.steps) + 1)
    template.steps.append(step)
    return _save_steps(actor, template, before, list(template.steps))


def update_template_step(actor, template, step, name, kind):
    """Rename a step or change its kind."""
    require_admin(actor)
    _check_step(template, name, kind, step)
    before = _step_labels(template.steps)
    step.name, step.kind = name, kind
    return _save_steps(actor, template, before, list(template.steps))


def move_template_step(actor, template, step, offset):
    """Move a step up (-1) or down (+1); at either end nothing happens."""
    require_admin(actor)
    steps = list(template.steps)
    before = _step_labels(steps)
    index = steps.index(step)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(steps):
        return False
    steps[index], steps[target] = steps[target], steps[index]
    return _save_steps(actor, template, before, steps)


def remove_template_step(actor, template, step):
    require_admin(actor)
    before = _step_labels(template.steps)
    template.steps.remove(step)
    db.session.delete(step)
    return _save_steps(actor, template, before, list(template.steps))


# --- processes ---------------------------------------------------------------------------

def may_work_on(actor, process):
    """Administrators and the users of the process's branch work on it."""
    return is_admin(actor) or process.branch_id in actor.branch_ids


def require_worker(actor, process):
    if not may_work_on(actor, process):
        raise PermissionDenied(_l("You may only work on processes of your own branches."))


def _require_open(process):
    if process.status != OPEN:
        raise DomainError(_l("The process is closed. Reopen it to change it."))


def get_process(process_id, reader=None):
    """The process with customer, branch, steps (with the chosen lab and supplier) and
    positions: a fixed number of queries however long the process is. None also when
    `reader` may not read its customer (a chain that keeps customers to their branches)."""
    process = db.session.get(Process, process_id, options=[
        joinedload(Process.customer), joinedload(Process.branch),
        selectinload(Process.steps).joinedload(ProcessStep.company),
        selectinload(Process.steps).joinedload(ProcessStep.supplier),
        selectinload(Process.positions),
    ])
    if process is not None and reader is not None and not may_read(reader, process.customer):
        return None
    return process


def customer_processes(customer):
    """The customer's processes, newest first, with their branches."""
    return db.session.scalars(
        db.select(Process).where(Process.customer_id == customer.id)
        .options(joinedload(Process.branch))
        .order_by(Process.created_at.desc(), Process.id.desc())
    ).all()


def count_processes(customer):
    return db.session.scalar(db.select(func.count()).select_from(Process)
                             .where(Process.customer_id == customer.id))


def process_branches(actor):
    """The branches the actor may open processes for: those they look after customers of."""
    return editable_branches(actor)


def create_process(actor, customer, template_id, branch_id, title=""):
    """A process for `customer` from an active template: type from the template, its steps
    copied (so later template changes never rewrite it), title defaulting to the template's
    name, handled by one of the actor's branches."""
    template = get_template(template_id) if template_id else None
    if template is None or not template.active:
        raise DomainError(_l("Choose an active process template."), field="template_id")
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise DomainError(_l("Choose an existing branch."), field="branch_id")
    if not (is_admin(actor) or branch.id in actor.branch_ids):
        raise PermissionDenied(_l("You may only open processes for your own branches."))
    process = Process(
        customer=customer, branch=branch, template=template, process_type=template.process_type,
        title=(title or "").strip() or template.name, status=OPEN, updated_by=actor.name,
        steps=[ProcessStep(position=number, kind=step.kind, name=step.name)
               for number, step in enumerate(template.steps, start=1)],
    )
    db.session.add(process)
    db.session.flush()
    changelog.record(actor, "create", "process", process, changelog.diff({}, {
        "title": process.title, "process_type": process.process_type, "customer": str(customer),
        "template": template.name, "steps": _step_labels(process.steps)}), branch=branch)
    db.session.flush()
    return process


def set_step_done(actor, process, step, done):
    """Tick a plain step done (who and when) or undone. Asking for the state it already has
    changes nothing, so a double click is harmless. The 'Bestellservice' step is ticked by
    ordering, not here."""
    require_worker(actor, process)
    if step.process_id != process.id:
        raise DomainError(_l("The step does not belong to this process."))
    if step.kind != STEP:
        raise DomainError(_l("This step is completed by what it orders."))
    _require_open(process)
    if bool(step.done_at) == bool(done):
        return False
    step.done_at, step.done_by = (utcnow(), actor.name) if done else (None, None)
    changelog.record(actor, "update", "process", process,
                     [{"field": f"step:{step.name}", "old": not done, "new": bool(done)}],
                     branch=process.branch)
    db.session.flush()
    return True


def set_status(actor, process, status):
    """Close (abschließen) or reopen a process; the current state again changes nothing."""
    require_worker(actor, process)
    if status not in (OPEN, CLOSED):
        raise DomainError(_l("Not a valid choice."))
    return save_changes(actor, process, ("status",), {"status": status}, None, "process",
                        branch=process.branch)


# --- ear-mould positions -----------------------------------------------------------------

# What holds a position, so that it can no longer change: ordering (a layer above) registers,
# at start-up, a function answering {position id: the order's number} for one process, for
# its orders that are not cancelled. A dict by name, so a second app registers nothing twice.
_position_holders = {}


def register_position_holder(name, holders):
    """`holders(process)` → {position id: what holds it, in words}, in one query."""
    _position_holders[name] = holders


def held_positions(process):
    """{position id: what holds it} for the process's positions that may no longer change."""
    held = {}
    for holders in _position_holders.values():
        for position_id, holder in holders(process).items():
            held.setdefault(position_id, holder)
    return held


def ordered_position_ids(process):
    """Ids of the process's positions that something (an order) holds: one query per holder
    for the whole list."""
    return set(held_positions(process))


def _require_unordered(position):
    holder = held_positions(position.process).get(position.id)
    if holder is not None:
        raise InUse(_l("The position is part of order %(number)s, which is not cancelled: it can "
                       "no longer be changed or deleted.", number=holder))


def _check_position(data):
    if data.get("side") not in SIDES:
        raise DomainError(_l("Not a valid choice."), field="side")
    venting = data.get("venting")
    if venting is not None and not 0 <= venting <= VENTING_MAX:
        raise DomainError(_l("Between 0 and 4 mm."), field="venting")


class _Named:
    """A position as the change log names it: process title and side (positions have no
    name of their own)."""

    def __init__(self, position, process):
        self.id = position.id
        self.label = f"{process.title}: {side_label(position.side)}"

    def __str__(self):
        return self.label


def create_position(actor, process, data):
    """A new ear-mould position (one side, one order) in an open process."""
    require_worker(actor, process)
    _require_open(process)
    _check_position(data)
    position = EarMouldPosition(process_id=process.id, updated_by=actor.name,
                                **{name: data[name] for name in POSITION_FIELDS})
    db.session.add(position)
    db.session.flush()
    changelog.record(actor, "create", "ear_mould_position", _Named(position, process),
                     changelog.diff({}, changelog.snapshot(position, POSITION_FIELDS)),
                     branch=process.branch)
    db.session.flush()
    return position


def update_position(actor, position, data, version):
    """Save a position that is not ordered; returns False when nothing changed."""
    process = position.process
    require_worker(actor, process)
    _require_open(process)
    _require_unordered(position)
    check_version(position, version)
    _check_position(data)
    before = changelog.snapshot(position, POSITION_FIELDS)
    for name in POSITION_FIELDS:
        setattr(position, name, data[name])
    changes = changelog.diff(before, changelog.snapshot(position, POSITION_FIELDS))
    if not changes:
        return False
    position.version += 1
    position.updated_by = actor.name
    changelog.record(actor, "update", "ear_mould_position", _Named(position, process), changes,
                     branch=process.branch)
    db.session.flush()
    return True


def delete_position(actor, position):
    process = position.process
    require_worker(actor, process)
    _require_open(process)
    _require_unordered(position)
    changelog.record(actor, "delete", "ear_mould_position", _Named(position, process),
                     branch=process.branch)
    db.session.delete(position)
    db.session.flush()


# --- answers for the layers below (registered by the factory) ----------------------------

def processes_at_branch(branch):
    """The branch's processes, counted (there may be thousands): they keep it."""
    count = db.session.scalar(db.select(func.count()).select_from(Process)
                              .where(Process.branch_id == branch.id))
    return [_l("processes: %(count)s", count=count)] if count else []


def processes_choosing_company(company):
    """The processes that chose the company at 'Bestellservice' (as lab or supplier)."""
    rows = db.session.execute(
        db.select(Process.id, Process.title).join(ProcessStep)
        .where(or_(ProcessStep.company_id == company.id, ProcessStep.supplier_id == company.id))
        .order_by(Process.id).limit(11)).all()
    return [_l("processes: %(names)s", names=references.first_ten(_names(rows)))] if rows else []


def processes_of_customer(customer):
    """The customer's processes, oldest first: while there are any, the customer stays."""
    rows = db.session.execute(db.select(Process.id, Process.title)
                              .where(Process.customer_id == customer.id).order_by(Process.id)).all()
    return [", ".join(_names(rows))] if rows else []


def _names(rows):
    return [f"{title} (#{process_id})" for process_id, title in rows]
