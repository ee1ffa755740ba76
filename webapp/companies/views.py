"""Companies (Firmen): suppliers, manufacturers and labs, their order settings and the
chain's customer number at each of them per branch."""

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx, params
from ..permissions import EDIT, can_edit_branch, require_admin
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..errors import DomainError
from ..forms import apply_domain_error
from ..views_helpers import after_save, delete_response, refusal_status
from . import bp, services
from .forms import ORDER_FORM_LABELS, ROLE_LABELS, company_form


def _list_context():
    q = params.text(request.args, "q")
    role = request.args.get("role", "")
    role = role if role in services.ROLES else ""
    pagination = services.search_companies(q, role, params.page(request.args),
                                           current_app.config["PAGE_SIZE"])
    return dict(pagination=pagination, q=q, role=role, role_labels=ROLE_LABELS,
                order_form_labels=ORDER_FORM_LABELS)


def _company_or_404(company_id):
    company = services.get_company(company_id)
    if company is None:
        abort(404)
    return company


@bp.get("/companies/")
def companies():
    """Searchable list of companies, filterable by role; htmx searches get only the list."""
    context = _list_context()
    if hx.wants_fragment():
        return render_template("companies/_company_list.html", **context)
    return render_template("companies/companies.html", form=None, company=None,
                           may=services.company_actions(current_user), **context)


def _company_editor(form, company, status=200, notice=None):
    """The editor pane: a fragment for htmx, otherwise the whole page with the list."""
    may = services.company_actions(current_user, company)
    admin = EDIT in may
    # New companies are the administrators' alone; on existing ones branch managers keep
    # their own branches' customer numbers.
    numbers_editable = admin or (company is not None and services.may_edit_numbers(current_user))
    rows = [(branch, field, numbers_editable and can_edit_branch(current_user, branch.id))
            for branch, field in form.number_rows()]
    stored = {entry.branch_id: entry.number for entry in company.customer_numbers} if company else {}
    context = dict(form=form, company=company, notice=notice, editable=admin, may=may, number_rows=rows,
                   stored_numbers=stored, can_save=admin or any(row[2] for row in rows),
                   history=in_words(record_history("company", company)) if company else [])
    if hx.wants_fragment():
        return render_template("companies/_company_form.html", **context), status
    return render_template("companies/companies.html", **_list_context(), **context), status


def _fresh_form(obj, formdata=None, version=None):
    """The editor form of a just-saved company (the signature after_save() calls)."""
    return company_form(services.all_branches(), obj)


def _refuse(form, error):
    apply_domain_error(form, error)


@bp.get("/companies/new")
def company_new_get():
    return _company_editor(company_form(services.all_branches()), None)


@bp.post("/companies/new")
def company_new_post():
    require_admin(current_user)  # before validating: a refusal, not form messages
    form = company_form(services.all_branches(), formdata=request.form)
    if form.validate_on_submit():
        try:
            company = services.create_company(current_user, form.company_data(), form.customer_numbers())
        except DomainError as error:
            _refuse(form, error)
        else:
            return after_save(company, url_for("companies.company_get", company_id=company.id),
                              "companies-changed", _("Company created."), _company_editor,
                              _fresh_form, created=True)
    return _company_editor(form, None, status=refusal_status(form))


@bp.get("/companies/<int:company_id>")
def company_get(company_id):
    company = _company_or_404(company_id)
    return _company_editor(company_form(services.all_branches(), company), company)


@bp.post("/companies/<int:company_id>")
def company_post(company_id):
    """Save the editor: general data and order settings (administrators) and the customer
    numbers (administrators, branch managers for their branches) in one go."""
    company = _company_or_404(company_id)
    services.require_editor(current_user)  # staff get a refusal, not form messages
    form = company_form(services.all_branches(), company, formdata=request.form)
    if form.validate_on_submit():
        try:
            saved = services.update_company(current_user, company, form.company_data(),
                                            form.customer_numbers(), form.version.data)
        except DomainError as error:
            _refuse(form, error)
        else:
            return after_save(company, url_for("companies.company_get", company_id=company.id),
                              "companies-changed", _("Saved.") if saved else _("No changes."),
                              _company_editor, _fresh_form)
    return _company_editor(form, company, status=refusal_status(form))


@bp.get("/companies/<int:company_id>/delete")
def company_delete_get(company_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    company = _company_or_404(company_id)
    require_admin(current_user)
    return render_template("confirm_delete.html", record=company, kind=_("company"),
                           action=url_for("companies.company_delete_post", company_id=company.id),
                           cancel=url_for("companies.company_get", company_id=company.id))


@bp.post("/companies/<int:company_id>/delete")
def company_delete_post(company_id):
    company = _company_or_404(company_id)

    def refused(error):
        form = company_form(services.all_branches(), company)
        form.form_errors.append(str(error.message))
        return _company_editor(form, company, status=409)

    return delete_response(company, services.delete_company, "companies.companies",
                           "companies-changed", refused)
