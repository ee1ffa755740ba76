"""Chain settings, branches (Filialen), branch organisations (Filialorganisationen) and
workstations (Rechner)."""
from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from .. import hx, params
from ..views_helpers import after_save, delete_response, refusal_status
from ..permissions import CREATE, DELETE, EDIT, require_admin
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..errors import DomainError
from ..extensions import db
from ..forms import apply_domain_error
from . import bp, services
from .forms import BranchForm, BranchOrganisationForm, ChainForm, WorkstationForm
from .models import Branch, BranchOrganisation


def _page():
    return params.page(request.args)


# --- chain settings ----------------------------------------------------------------------

@bp.get("/chain")
def chain_get():
    """Chain settings (Filialkette)."""
    chain = services.get_chain()
    form = ChainForm(obj=chain, version=chain.version)
    return _chain_page(form, chain)


@bp.post("/chain")
def chain_post():
    chain = services.get_chain()
    form = ChainForm()
    if form.validate_on_submit():
        try:
            saved = services.update_chain(current_user, form.data, form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            if not hx.wants_fragment():
                flash(_("Saved.") if saved else _("No changes."), "success")
                return hx.redirect(url_for("org.chain_get"))
            chain = services.get_chain()
            form = ChainForm(obj=chain, formdata=None, version=chain.version)
            return _chain_page(form, chain, notice=_("Saved.") if saved else _("No changes."))
    return _chain_page(form, chain, status=refusal_status(form))


def _chain_page(form, chain, status=200, notice=None):
    may = services.chain_actions(current_user)
    context = dict(form=form, chain=chain, notice=notice, editable=EDIT in may, may=may)
    if hx.wants_fragment():
        return render_template("org/_chain_form.html", **context), status
    return render_template("org/chain.html", **context), status


# --- branches ----------------------------------------------------------------------------

@bp.get("/branches/")
def branches():
    """Searchable list of branches; htmx searches get only the list."""
    q = params.text(request.args, "q")
    pagination = services.search_branches(q, _page(), current_app.config["PAGE_SIZE"])
    if hx.wants_fragment():
        return render_template("org/_branch_list.html", pagination=pagination, q=q)
    return render_template("org/branches.html", pagination=pagination, q=q, form=None, branch=None,
                           may=services.branch_actions(current_user))


def _branch_editor(form, branch, status=200, notice=None):
    """The editor pane: a fragment for htmx, otherwise the whole page with the list."""
    may = services.branch_actions(current_user, branch)
    editable = (CREATE if branch is None else EDIT) in may
    context = dict(form=form, branch=branch, notice=notice, editable=editable, may=may,
                   history=in_words(record_history("branch", branch)) if branch else [])
    if hx.wants_fragment():
        return render_template("org/_branch_form.html", **context), status
    q = params.text(request.args, "q")
    pagination = services.search_branches(q, _page(), current_app.config["PAGE_SIZE"])
    return render_template("org/branches.html", pagination=pagination, q=q, **context), status


@bp.get("/branches/new")
def branch_new_get():
    return _branch_editor(BranchForm(), None)


@bp.post("/branches/new")
def branch_new_post():
    form = BranchForm()
    if form.validate_on_submit():
        try:
            branch = services.create_branch(current_user, form.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(branch, url_for("org.branch_get", branch_id=branch.id),
                               "branches-changed", _("Branch created."), _branch_editor, BranchForm,
                               created=True)
    return _branch_editor(form, None, status=422)


@bp.get("/branches/<int:branch_id>")
def branch_get(branch_id):
    branch = db.get_or_404(Branch, branch_id)
    return _branch_editor(BranchForm(obj=branch, version=branch.version), branch)


@bp.post("/branches/<int:branch_id>")
def branch_post(branch_id):
    branch = db.get_or_404(Branch, branch_id)
    form = BranchForm()
    if form.validate_on_submit():
        try:
            saved = services.update_branch(current_user, branch, form.data, form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(branch, url_for("org.branch_get", branch_id=branch.id),
                               "branches-changed", _("Saved.") if saved else _("No changes."),
                               _branch_editor, BranchForm)
    return _branch_editor(form, branch, status=refusal_status(form))


@bp.get("/branches/<int:branch_id>/delete")
def branch_delete_get(branch_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm); only for
    whoever may delete the branch."""
    branch = db.get_or_404(Branch, branch_id)
    if DELETE not in services.branch_actions(current_user, branch):
        abort(403)
    return render_template("confirm_delete.html", record=branch, kind=_("branch"),
                           action=url_for("org.branch_delete_post", branch_id=branch.id),
                           cancel=url_for("org.branch_get", branch_id=branch.id))


@bp.post("/branches/<int:branch_id>/delete")
def branch_delete_post(branch_id):
    branch = db.get_or_404(Branch, branch_id)
    return delete_response(branch, services.delete_branch, "org.branches", "branches-changed",
                   lambda error: _refused_branch(branch, error))


def _refused_branch(branch, error):
    form = BranchForm(obj=branch, version=branch.version)
    form.form_errors.append(str(error.message))
    return _branch_editor(form, branch, status=409)


# --- branch organisations (Filialorganisationen) -------------------------------------------

def _organisation_choices(form):
    form.branch_ids.choices = [SelectChoice(b.id, b.name) for b in services.all_branches()]


def _organisation_url(organisation):
    return url_for("org.organisation_get", organisation_id=organisation.id)


@bp.get("/branch-organisations/")
def organisations():
    """Branch organisations with their branches; htmx refreshes get only the list."""
    organisations = services.list_organisations()
    if hx.wants_fragment():
        return render_template("org/_organisation_list.html", organisations=organisations)
    return render_template("org/organisations.html", organisations=organisations, form=None,
                           organisation=None, may=services.organisation_actions(current_user))


def _organisation_editor(form, organisation, status=200, notice=None):
    """The editor pane: a fragment for htmx, otherwise the whole page with the list."""
    may = services.organisation_actions(current_user)
    context = dict(form=form, organisation=organisation, notice=notice, may=may,
                   editable=(CREATE if organisation is None else EDIT) in may,
                   history=in_words(record_history(services.ORGANISATION, organisation))
                   if organisation else [])
    if hx.wants_fragment():
        return render_template("org/_organisation_form.html", **context), status
    return render_template("org/organisations.html",
                           organisations=services.list_organisations(), **context), status


@bp.get("/branch-organisations/new")
def organisation_new_get():
    require_admin(current_user)
    form = BranchOrganisationForm()
    _organisation_choices(form)
    return _organisation_editor(form, None)


@bp.post("/branch-organisations/new")
def organisation_new_post():
    # Checked before validation too, so the others get 403 rather than field messages.
    require_admin(current_user)
    form = BranchOrganisationForm()
    _organisation_choices(form)
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(current_user, form.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(organisation, _organisation_url(organisation),
                              "organisations-changed", _("Branch organisation created."),
                              _organisation_editor, BranchOrganisationForm, created=True,
                              choices=_organisation_choices)
    return _organisation_editor(form, None, status=422)


@bp.get("/branch-organisations/<int:organisation_id>")
def organisation_get(organisation_id):
    organisation = db.get_or_404(BranchOrganisation, organisation_id)
    form = BranchOrganisationForm(obj=organisation, version=organisation.version)
    _organisation_choices(form)
    return _organisation_editor(form, organisation)


@bp.post("/branch-organisations/<int:organisation_id>")
def organisation_post(organisation_id):
    organisation = db.get_or_404(BranchOrganisation, organisation_id)
    require_admin(current_user)
    form = BranchOrganisationForm()
    _organisation_choices(form)
    if form.validate_on_submit():
        try:
            saved = services.update_organisation(current_user, organisation, form.data,
                                                 form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(organisation, _organisation_url(organisation),
                              "organisations-changed", _("Saved.") if saved else _("No changes."),
                              _organisation_editor, BranchOrganisationForm,
                              choices=_organisation_choices)
    return _organisation_editor(form, organisation, status=refusal_status(form))


@bp.get("/branch-organisations/<int:organisation_id>/delete")
def organisation_delete_get(organisation_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    organisation = db.get_or_404(BranchOrganisation, organisation_id)
    require_admin(current_user)
    return render_template(
        "confirm_delete.html", record=organisation, kind=_("branch organisation"),
        action=url_for("org.organisation_delete_post", organisation_id=organisation.id),
        cancel=_organisation_url(organisation))


@bp.post("/branch-organisations/<int:organisation_id>/delete")
def organisation_delete_post(organisation_id):
    organisation = db.get_or_404(BranchOrganisation, organisation_id)

    def refused(error):
        form = BranchOrganisationForm(obj=organisation, formdata=None,
                                      version=organisation.version)
        _organisation_choices(form)
        form.form_errors.append(str(error.message))
        return _organisation_editor(form, organisation, status=409)

    return delete_response(organisation, services.delete_organisation, "org.organisations",
                           "organisations-changed", refused)


# --- workstations ------------------------------------------------------------------------

def _branch_choices(form):
    branches = services.workstation_branches(current_user)
    form.branch_id.choices = [SelectChoice(0, _("— choose —"))] + [SelectChoice(b.id, b.name) for b in branches]


def _station_or_404(station_id):
    """A workstation the user reads (their branches'; all for administrators), else 404."""
    station = services.get_workstation(current_user, station_id)
    if station is None:
        abort(404)
    return station


@bp.get("/workstations/")
def workstations():
    """Searchable list of workstations, filterable by branch."""
    q = params.text(request.args, "q")
    branch_id = params.record_id(request.args, "branch")
    pagination = services.search_workstations(q, branch_id, _page(), current_app.config["PAGE_SIZE"],
                                              reader=current_user)
    context = dict(pagination=pagination, q=q, branch_filter=branch_id, branches=services.readable_branches(current_user))
    if hx.wants_fragment():
        return render_template("org/_workstation_list.html", **context)
    return render_template("org/workstations.html", form=None, station=None,
                           list_may=services.workstation_actions(current_user), **context)


def _workstation_editor(form, station, status=200, notice=None):
    may = services.workstation_actions(current_user, station)
    editable = (CREATE if station is None else EDIT) in may
    context = dict(form=form, station=station, notice=notice, editable=editable, may=may,
                   history=in_words(record_history("workstation", station)) if station else [])
    if hx.wants_fragment():
        return render_template("org/_workstation_form.html", **context), status
    q = params.text(request.args, "q")
    branch_id = params.record_id(request.args, "branch")
    pagination = services.search_workstations(q, branch_id, _page(), current_app.config["PAGE_SIZE"],
                                              reader=current_user)
    return render_template("org/workstations.html", pagination=pagination, q=q,
                           branch_filter=branch_id, branches=services.readable_branches(current_user),
                           list_may=services.workstation_actions(current_user), **context), status


@bp.get("/workstations/new")
def workstation_new_get():
    form = WorkstationForm(branch_id=params.record_id(request.args, "branch") or 0)
    _branch_choices(form)
    return _workstation_editor(form, None)


@bp.post("/workstations/new")
def workstation_new_post():
    form = WorkstationForm()
    _branch_choices(form)
    if form.validate_on_submit():
        try:
            station = services.create_workstation(current_user, form.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(station, url_for("org.workstation_get", station_id=station.id),
                               "workstations-changed", _("Workstation created."), _workstation_editor, WorkstationForm,
                               created=True, choices=_branch_choices)
    return _workstation_editor(form, None, status=422)


@bp.get("/workstations/<int:station_id>")
def workstation_get(station_id):
    station = _station_or_404(station_id)
    form = WorkstationForm(obj=station, version=station.version)
    _branch_choices(form)
    return _workstation_editor(form, station)


@bp.post("/workstations/<int:station_id>")
def workstation_post(station_id):
    station = _station_or_404(station_id)
    form = WorkstationForm()
    _branch_choices(form)
    if form.validate_on_submit():
        try:
            saved = services.update_workstation(current_user, station, form.data, form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(station, url_for("org.workstation_get", station_id=station.id),
                               "workstations-changed", _("Saved.") if saved else _("No changes."), _workstation_editor,
                               WorkstationForm, choices=_branch_choices)
    return _workstation_editor(form, station, status=refusal_status(form))


@bp.get("/workstations/<int:station_id>/delete")
def workstation_delete_get(station_id):
    station = _station_or_404(station_id)
    return render_template("confirm_delete.html", record=station, kind=_("workstation"),
                           action=url_for("org.workstation_delete_post", station_id=station.id),
                           cancel=url_for("org.workstation_get", station_id=station.id))


@bp.post("/workstations/<int:station_id>/delete")
def workstation_delete_post(station_id):
    station = _station_or_404(station_id)

    def refused(error):
        form = WorkstationForm(obj=station, version=station.version)
        _branch_choices(form)
        form.form_errors.append(str(error.message))
        return _workstation_editor(form, station, status=409)

    return delete_response(station, services.delete_workstation, "org.workstations",
                   "workstations-changed", refused)
