"""Processes (Vorgänge): the customer page's tabs Vorgänge and Neuer Vorgang, the process
page with its steps and ear-mould positions (and what ordering adds to it, see page.py),
and the process templates (Vorgangsvorlagen)."""
from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from .. import hx
from ..permissions import EDIT, require_admin
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..customers.page import Tab, customer_or_404, render_tab
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..forms import apply_domain_error
from ..views_helpers import after_save, delete_response, refusal_status
from . import bp, services
from .forms import NewProcessForm, PositionForm, TemplateForm, TemplateStepForm
from .labels import process_type_label, side_label, status_label
from .models import CLOSED, OPEN
from .page import LABELS, process_context, render_process_page

# The customer page's tabs of ours, registered with customers.page by the factory.
CUSTOMER_TABS = (
    Tab("processes", _l("Processes"), "processes.customer_processes_get",
        "customers/_processes.html", count=services.count_processes),
    Tab("new_process", _l("New process"), "processes.process_new_get",
        "processes/_new_process_form.html"),
)


@bp.get("/customers/<int:customer_id>/processes")
def customer_processes_get(customer_id):
    """Tab Vorgänge: the customer's processes, newest first."""
    customer = customer_or_404(customer_id)
    return render_tab(customer, "processes", processes=services.customer_processes(customer),
                      process_type_label=process_type_label, status_label=status_label)


# --- opening a process (customer page, tab "Neuer Vorgang") --------------------------------

def _template_choice_label(template):
    """"Otoplastik", not "Otoplastik (Otoplastik)": the type only where the name lacks it."""
    kind = str(process_type_label(template.process_type))
    return template.name if kind.casefold() in template.name.casefold() else f"{template.name} ({kind})"


def _new_process_choices(form):
    """Active templates (a choice to make when there are several) and the user's branches."""
    templates = [SelectChoice(t.id, _template_choice_label(t)) for t in services.active_templates()]
    form.template_id.choices = ([SelectChoice(0, _("— choose —"))] if len(templates) > 1 else []) + templates
    form.branch_id.choices = [SelectChoice(b.id, b.name)
                              for b in services.process_branches(current_user)]


def _new_process_tab(customer, form, status=200):
    template_may = services.template_actions(current_user)
    if hx.wants_fragment() and request.method == "POST":
        return render_template("processes/_new_process_form.html", customer=customer,
                               form=form, template_may=template_may), status
    return render_tab(customer, "new_process", status, form=form, template_may=template_may)


@bp.get("/customers/<int:customer_id>/processes/new")
def process_new_get(customer_id):
    """Tab Neuer Vorgang: choose an active template; the branch defaults to the customer's
    when the user may work for it."""
    customer = customer_or_404(customer_id)
    form = NewProcessForm(formdata=None)
    _new_process_choices(form)
    branch_ids = [choice.value for choice in form.branch_id.choices]
    form.branch_id.data = customer.branch_id if customer.branch_id in branch_ids else (
        branch_ids[0] if branch_ids else None)
    form.template_id.data = form.template_id.choices[0].value if form.template_id.choices else None
    return _new_process_tab(customer, form)


@bp.post("/customers/<int:customer_id>/processes/new")
def process_new_post(customer_id):
    """Open the process and go to its page."""
    customer = customer_or_404(customer_id)
    form = NewProcessForm()
    _new_process_choices(form)
    if not form.branch_id.choices:
        raise PermissionDenied(_("You may only open processes for your own branches."))
    if form.validate_on_submit():
        try:
            process = services.create_process(current_user, customer, form.template_id.data,
                                              form.branch_id.data, form.title.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Process created."), "success")
            return hx.redirect(url_for("processes.process_get", process_id=process.id))
    return _new_process_tab(customer, form, 422)


# --- the process page --------------------------------------------------------------------

def _process_or_404(process_id):
    process = services.get_process(process_id, reader=current_user)
    if process is None:
        abort(404)
    return process


@bp.get("/processes/<int:process_id>")
def process_get(process_id):
    """The process: head, steps in order, ear-mould positions and orders."""
    return render_process_page(_process_or_404(process_id))


@bp.post("/processes/<int:process_id>/steps/<int:step_id>")
def step_post(process_id, step_id):
    """Tick a step done (done=1) or undone (done=0); htmx gets the step again."""
    process = _process_or_404(process_id)
    step = next((step for step in process.steps if step.id == step_id), None)
    if step is None:
        abort(404)
    services.require_worker(current_user, process)
    error = None
    try:
        services.set_step_done(current_user, process, step, request.form.get("done") == "1")
    except DomainError as refused:
        error = str(refused.message)
    if not hx.wants_fragment():
        if error:
            flash(error, "error")
        return hx.redirect(url_for("processes.process_get", process_id=process.id))
    return render_template("processes/_step.html", step=step, step_error=error,
                           **process_context(process)), 409 if error else 200


def _set_status(process_id, status, notice):
    process = _process_or_404(process_id)
    services.set_status(current_user, process, status)
    flash(notice, "success")
    return hx.redirect(url_for("processes.process_get", process_id=process.id))


@bp.post("/processes/<int:process_id>/close")
def close_post(process_id):
    """Close the process (abschließen): steps and positions become read-only."""
    return _set_status(process_id, CLOSED, _("The process is closed."))


@bp.post("/processes/<int:process_id>/reopen")
def reopen_post(process_id):
    return _set_status(process_id, OPEN, _("The process is open again."))


# --- ear-mould positions -----------------------------------------------------------------

def _position_or_404(process, position_id):
    position = next((p for p in process.positions if p.id == position_id), None)
    if position is None:
        abort(404)
    return position


def _positions(process, status=200, position_form=None, position=None, notice=None, error=None):
    """The positions section: a fragment for htmx, otherwise the process page (with the
    position editor open when there is a form)."""
    extra = dict(position_form=position_form, position=position, positions_notice=notice,
                 positions_error=error)
    if hx.wants_fragment():
        return render_template("processes/_positions.html", **process_context(process, **extra)), status
    return render_process_page(process, status, **extra)


def _position_editor(process, form, position, status=200):
    """The position form alone for htmx (it replaces itself or the editor slot)."""
    if hx.wants_fragment():
        return render_template("processes/_position_form.html", process=process,
                               position_form=form, position=position), status
    return _positions(process, status, position_form=form, position=position)


def _positions_changed(process, notice):
    """After a change: htmx gets the whole section in place of the form, and the page hears
    `positions-changed` (the orders section may listen); browsers get the page again."""
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url_for("processes.process_get", process_id=process.id) + "#positions")
    db.session.expire_all()
    process = services.get_process(process.id)
    body, status = _positions(process, notice=notice)
    response = current_app.make_response((body, status))
    response.headers["HX-Retarget"] = "#positions"
    response.headers["HX-Reswap"] = "outerHTML"
    return hx.trigger(response, "positions-changed")


@bp.get("/processes/<int:process_id>/positions")
def positions_get(process_id):
    """The positions section (also what "Cancel" in the position editor returns to)."""
    return _positions(_process_or_404(process_id))


@bp.get("/processes/<int:process_id>/positions/new")
def position_new_get(process_id):
    process = _process_or_404(process_id)
    return _position_editor(process, PositionForm(formdata=None), None)


@bp.post("/processes/<int:process_id>/positions/new")
def position_new_post(process_id):
    process = _process_or_404(process_id)
    services.require_worker(current_user, process)
    form = PositionForm()
    if form.validate_on_submit():
        try:
            services.create_position(current_user, process, form.position_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return _positions_changed(process, _("Position added."))
    return _position_editor(process, form, None, refusal_status(form))


@bp.get("/processes/<int:process_id>/positions/<int:position_id>")
def position_get(process_id, position_id):
    process = _process_or_404(process_id)
    position = _position_or_404(process, position_id)
    return _position_editor(process, PositionForm(obj=position, version=position.version), position)


@bp.post("/processes/<int:process_id>/positions/<int:position_id>")
def position_post(process_id, position_id):
    process = _process_or_404(process_id)
    position = _position_or_404(process, position_id)
    services.require_worker(current_user, process)
    form = PositionForm()
    if form.validate_on_submit():
        try:
            saved = services.update_position(current_user, position, form.position_data(),
                                             form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return _positions_changed(process, _("Saved.") if saved else _("No changes."))
    return _position_editor(process, form, position, refusal_status(form))


@bp.get("/processes/<int:process_id>/positions/<int:position_id>/delete")
def position_delete_get(process_id, position_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    process = _process_or_404(process_id)
    position = _position_or_404(process, position_id)
    services.require_worker(current_user, process)
    return render_template(
        "confirm_delete.html", record=f"{side_label(position.side)}: {position.style}",
        kind=_("position"), cancel=url_for("processes.process_get", process_id=process.id),
        action=url_for("processes.position_delete_post", process_id=process.id,
                       position_id=position.id))


@bp.post("/processes/<int:process_id>/positions/<int:position_id>/delete")
def position_delete_post(process_id, position_id):
    process = _process_or_404(process_id)
    position = _position_or_404(process, position_id)
    try:
        services.delete_position(current_user, position)
    except DomainError as error:
        if hx.wants_fragment():
            return _positions(process, 409, error=str(error.message))
        flash(str(error.message), "error")
        return hx.redirect(url_for("processes.process_get", process_id=process.id) + "#positions")
    return _positions_changed(process, _("Position deleted."))


# --- process templates -------------------------------------------------------------------

def _template_or_404(template_id):
    template = services.get_template(template_id)
    if template is None:
        abort(404)
    return template


def _step_forms(template, posted=None):
    """One form per step row (prefix step-<id>) and the add form (prefix new-step); `posted`
    is the form that came with the request, shown with its input and messages."""
    forms = {step.id: TemplateStepForm(formdata=None, obj=step, prefix=f"step-{step.id}")
             for step in template.steps}
    forms["new"] = TemplateStepForm(formdata=None, prefix="new-step")
    if posted is not None:
        key, form = posted
        forms[key] = form
    return forms


def _template_context(form, template, notice=None, step_forms=None, steps_notice=None):
    may = services.template_actions(current_user, template)
    return dict(form=form, template=template, notice=notice, editable=EDIT in may, may=may,
                step_forms=step_forms or (_step_forms(template) if template else {}),
                steps_notice=steps_notice,
                process_count=services.template_process_count(template) if template else 0,
                history=in_words(record_history("process_template", template)) if template else [],
                **LABELS)


def _template_page(context, status=200):
    return render_template("processes/templates.html", templates=services.list_templates(),
                           **context), status


@bp.get("/process-templates/")
def templates():
    """The process templates (Vorgangsvorlagen) with their steps."""
    if hx.wants_fragment():
        return render_template("processes/_template_list.html", templates=services.list_templates(),
                               **LABELS)
    return _template_page(dict(form=None, template=None, may=services.template_actions(current_user),
                               **LABELS))


def _template_editor(form, template, status=200, notice=None):
    """The template form alone for htmx (it replaces itself), else the page."""
    context = _template_context(form, template, notice)
    if hx.wants_fragment():
        return render_template("processes/_template_form.html", **context), status
    return _template_page(context, status)


@bp.get("/process-templates/new")
def template_new_get():
    return _template_editor(TemplateForm(), None)


@bp.post("/process-templates/new")
def template_new_post():
    require_admin(current_user)
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = services.create_template(current_user, form.template_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Process template created. Now add its steps."), "success")
            return hx.redirect(url_for("processes.template_get", template_id=template.id))
    return _template_editor(form, None, refusal_status(form))


@bp.get("/process-templates/<int:template_id>")
def template_get(template_id):
    """The editor: name, type and active flag, then the steps. htmx gets both."""
    template = _template_or_404(template_id)
    context = _template_context(TemplateForm(obj=template, version=template.version), template)
    if hx.wants_fragment():
        return render_template("processes/_template_editor.html", **context)
    return _template_page(context)


@bp.post("/process-templates/<int:template_id>")
def template_post(template_id):
    template = _template_or_404(template_id)
    require_admin(current_user)
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            saved = services.update_template(current_user, template, form.template_data(),
                                             form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(template, url_for("processes.template_get", template_id=template.id),
                              "templates-changed", _("Saved.") if saved else _("No changes."),
                              _template_editor, TemplateForm)
    return _template_editor(form, template, refusal_status(form))


@bp.get("/process-templates/<int:template_id>/delete")
def template_delete_get(template_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    template = _template_or_404(template_id)
    require_admin(current_user)
    return render_template("confirm_delete.html", record=template, kind=_("process template"),
                           action=url_for("processes.template_delete_post", template_id=template.id),
                           cancel=url_for("processes.template_get", template_id=template.id))


@bp.post("/process-templates/<int:template_id>/delete")
def template_delete_post(template_id):
    template = _template_or_404(template_id)

    def refused(error):  # deleting a template is never refused today; kept for the helper
        form = TemplateForm(obj=template, version=template.version)
        form.form_errors.append(str(error.message))
        return _template_editor(form, template, 409)

    return delete_response(template, services.delete_template, "processes.templates",
                           "templates-changed", refused)


# --- template steps ----------------------------------------------------------------------

def _steps_response(template, status=200, posted=None, notice=None):
    """The steps section (htmx) or, for browsers, back to the editor."""
    if not hx.wants_fragment() and status == 200:
        flash(notice, "success")
        return hx.redirect(url_for("processes.template_get", template_id=template.id))
    db.session.expire_all()
    template = services.get_template(template.id)
    context = _template_context(None, template, step_forms=_step_forms(template, posted),
                                steps_notice=notice)
    if hx.wants_fragment():
        response = current_app.make_response(
            (render_template("processes/_template_steps.html", **context), status))
        return hx.trigger(response, "templates-changed") if status == 200 else response
    context["form"] = TemplateForm(obj=template, version=template.version)
    return _template_page(context, status)


def _step_or_404(template, step_id):
    step = next((s for s in template.steps if s.id == step_id), None)
    if step is None:
        abort(404)
    return step


def _save_step(template, key, prefix, change):
    """Validate the posted step form and apply `change(name, kind)`; 422 beside the field."""
    require_admin(current_user)
    form = TemplateStepForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            saved = change(form.name.data, form.kind.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return _steps_response(template, notice=_("Saved.") if saved else _("No changes."))
    return _steps_response(template, 422, posted=(key, form))


@bp.post("/process-templates/<int:template_id>/steps")
def template_step_add_post(template_id):
    """Add a step at the end."""
    template = _template_or_404(template_id)
    return _save_step(template, "new", "new-step", lambda name, kind: services.add_template_step(
        current_user, template, name, kind))


@bp.post("/process-templates/<int:template_id>/steps/<int:step_id>")
def template_step_post(template_id, step_id):
    """Rename a step or change its kind."""
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    return _save_step(template, step.id, f"step-{step.id}",
                      lambda name, kind: services.update_template_step(
                          current_user, template, step, name, kind))


@bp.post("/process-templates/<int:template_id>/steps/<int:step_id>/move")
def template_step_move_post(template_id, step_id):
    """Move a step one place up (direction=up) or down."""
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    services.move_template_step(current_user, template, step, offset)
    return _steps_response(template, notice=_("Saved."))


@bp.post("/process-templates/<int:template_id>/steps/<int:step_id>/delete")
def template_step_delete_post(template_id, step_id):
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    services.remove_template_step(current_user, template, step)
    return _steps_response(template, notice=_("Step removed."))
