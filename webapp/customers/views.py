"""Customers (Kunden): the searchable list and the customer page's tab Stammdaten. The
page's other tabs (Vorgänge, Neuer Vorgang) are the processes package's (see page.py)."""

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from .. import hx, params
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..errors import DomainError
from ..forms import apply_domain_error
from ..views_helpers import after_save, id_url, refusal_status
from . import bp, services
from .forms import CustomerForm, salutation_label
from .models import listed_name
from .page import customer_or_404, render_tab


def _list_context():
    q = params.text(request.args, "q")
    branch_id = params.record_id(request.args, "branch")
    pagination = services.search_customers(q, branch_id, params.page(request.args),
                                           current_app.config["PAGE_SIZE"], reader=current_user)
    branches = services.all_branches()
    return dict(pagination=pagination, q=q, branch_filter=branch_id, branches=branches,
                may_create=services.may_create_among(current_user, branches),
                customer_url=id_url("customers.customer_get", "customer_id"),
                listed_name=listed_name)


@bp.get("/customers/")
def customers():
    """Searchable list of customers by name, number, city, phone, mobile or e-mail, filterable
    by branch."""
    context = _list_context()
    if hx.wants_fragment():
        return render_template("customers/_customer_list.html", **context)
    return render_template("customers/customers.html", **context)


def branch_choices(form, customer=None):
    """The branches the user may look after customers of; a customer's own branch stays
    listed so that a read-only form shows it."""
    branches = services.editable_branches(current_user)
    choices = [SelectChoice(branch.id, branch.name) for branch in branches]
    if customer is not None and customer.branch_id not in {branch.id for branch in branches}:
        choices.insert(0, SelectChoice(customer.branch_id, customer.branch.name))
    if customer is None and len(choices) != 1:
        choices.insert(0, SelectChoice(0, _("— choose —")))
    form.branch_id.choices = choices


def _editor_context(form, customer, notice):
    return dict(form=form, notice=notice, salutation_label=salutation_label,
                editable=services.may_edit(current_user, customer) if customer
                else bool(services.editable_branches(current_user)),
                may_delete=bool(customer) and services.may_delete(current_user, customer),
                history=in_words(record_history("customer", customer)) if customer else [])


def customer_editor(form, customer, status=200, notice=None):
    """The Stammdaten form: a fragment for htmx (with the page head refreshed after a save),
    otherwise the customer page on its first tab."""
    context = _editor_context(form, customer, notice)
    if hx.wants_fragment():
        return render_template("customers/_customer_form.html", customer=customer,
                               refresh_head=bool(notice and customer), **context), status
    if customer is None:
        return render_template("customers/customer.html", customer=None, tab="master",
                               **context), status
    return render_tab(customer, "master", status, **context)


def _fresh_form(obj, formdata=None, version=None):
    form = CustomerForm(obj=obj, formdata=None, version=version)
    branch_choices(form, obj)
    return form


@bp.get("/customers/new")
def customer_new_get():
    form = CustomerForm(branch_id=params.record_id(request.args, "branch") or 0)
    branch_choices(form)
    if len(form.branch_id.choices) == 1:
        form.branch_id.data = form.branch_id.choices[0].value
    return customer_editor(form, None)


@bp.post("/customers/new")
def customer_new_post():
    """Create a customer; the page of the new customer follows (a redirect, also for htmx)."""
    services.require_editor(current_user)  # before validating: a refusal, not form messages
    form = CustomerForm()
    branch_choices(form)
    if form.validate_on_submit():
        try:
            customer = services.create_customer(current_user, form.customer_data())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Customer %(number)s created.", number=customer.number), "success")
            return hx.redirect(url_for("customers.customer_get", customer_id=customer.id))
    return customer_editor(form, None, status=refusal_status(form))


@bp.get("/customers/<int:customer_id>")
def customer_get(customer_id):
    """The customer page, tab Stammdaten."""
    customer = customer_or_404(customer_id)
    form = CustomerForm(obj=customer, version=customer.version)
    branch_choices(form, customer)
    return render_tab(customer, "master", **_editor_context(form, customer, None))


@bp.post("/customers/<int:customer_id>")
def customer_post(customer_id):
    customer = customer_or_404(customer_id)
    services.require_editor(current_user, customer)
    form = CustomerForm()
    branch_choices(form, customer)
    if form.validate_on_submit():
        try:
            saved = services.update_customer(current_user, customer, form.customer_data(),
                                             form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return after_save(customer, url_for("customers.customer_get", customer_id=customer.id),
                              "customers-changed", _("Saved.") if saved else _("No changes."),
                              customer_editor, _fresh_form)
    return customer_editor(form, customer, status=refusal_status(form))


@bp.get("/customers/<int:customer_id>/delete")
def customer_delete_get(customer_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    customer = customer_or_404(customer_id)
    if not services.may_delete(current_user, customer):
        abort(403)
    return render_template("confirm_delete.html", record=customer, kind=_("customer"),
                           action=url_for("customers.customer_delete_post", customer_id=customer.id),
                           cancel=url_for("customers.customer_get", customer_id=customer.id))


@bp.post("/customers/<int:customer_id>/delete")
def customer_delete_post(customer_id):
    """Delete a customer without processes; then the list, with htmx too (the customer's
    page is gone). A refusal names the processes above the form."""
    customer = customer_or_404(customer_id)
    label = str(customer)
    try:
        services.delete_customer(current_user, customer)
    except DomainError as error:
        if hx.wants_fragment():
            form = _fresh_form(customer, version=customer.version)
            form.form_errors.append(str(error.message))
            return customer_editor(form, customer, status=409)
        flash(str(error.message), "error")
        return hx.redirect(url_for("customers.customer_get", customer_id=customer.id))
    flash(_("%(name)s was deleted.", name=label), "success")
    return hx.redirect(url_for("customers.customers"))
