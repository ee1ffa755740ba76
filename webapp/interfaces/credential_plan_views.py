"""Zugangsdaten planmäßig ändern: plan, change and cancel a credential change of a service,
and hide the result of the last one. The form opens in a dialog (htmx) or as the editor's
pane; a saved plan shows in the editor (credential_plans.panel). Rules live in
credential_plans.py."""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx
from ..errors import DomainError
from ..i18n import ui_language
from . import credential_plans
from .forms import CredentialPlanForm
from .values import InvalidValues
from .views import _page, _route, _saved, _service, _station

FORM = "interfaces/_credential_plan_form.html"
DIALOG = "interfaces/_credential_plan_dialog.html"


@_route("/<int:service_id>/credential-plan")
def credential_plan_get(service_id, station_id):
    """The planning form: new values for the secret fields and the time; the open plan's
    time filled in when there is one (its values are never shown)."""
    station, service = _allowed(service_id, station_id)
    plan = credential_plans.open_plan(service)
    due = (credential_plans.local_time(plan.due_at).strftime("%Y-%m-%dT%H:%M")
           if plan is not None else "")
    context = _context(station, service, CredentialPlanForm(formdata=None, data={"due_at": due}),
                       {}, plan)
    if hx.wants_fragment():
        return render_template(DIALOG, **context)
    return _page(station, FORM, context)


@_route("/<int:service_id>/credential-plan", methods=("POST",))
def credential_plan_post(service_id, station_id):
    station, service = _allowed(service_id, station_id)
    form = CredentialPlanForm()
    errors = {}
    if form.validate_on_submit():
        try:
            _plan, changed = credential_plans.save_plan(current_user, service, request.form,
                                                        form.due_at.parsed)
        except InvalidValues as error:
            errors = error.errors
            if "due_at" in errors:
                form.due_at.errors = [str(errors.pop("due_at"))]
        except DomainError as error:
            form.form_errors.append(str(error.message))
        else:
            notice = (_("The credential change is planned. The new values are stored "
                        "encrypted and never shown.") if changed else _("No changes."))
            return _into_editor(_saved(service, station, notice))
    context = _context(station, service, form, errors, credential_plans.open_plan(service))
    if hx.wants_fragment():
        return render_template(FORM, **context), 422
    return _page(station, FORM, context), 422


@_route("/<int:service_id>/credential-plan/cancel", methods=("POST",))
def credential_plan_cancel_post(service_id, station_id):
    """Abbrechen: the plan is dropped with its new values, while it still waits."""
    station, service = _allowed(service_id, station_id)
    try:
        credential_plans.cancel_plan(current_user, service)
    except DomainError as error:
        return _into_editor(_saved(service, station, str(error.message)))
    return _into_editor(_saved(service, station, _("The planned credential change was "
                                                   "cancelled.")))


@_route("/<int:service_id>/credential-plan/hide", methods=("POST",))
def credential_plan_hide_post(service_id, station_id):
    """Ausblenden: the result of the last planned change (and its warning) is seen to."""
    station, service = _allowed(service_id, station_id)
    credential_plans.acknowledge(current_user, service)
    return _into_editor(_saved(service, station, _("Hidden.")))


def _allowed(service_id, station_id):
    station = _station(station_id)
    service = _service(service_id, station)
    if not credential_plans.may_plan(current_user, service):
        abort(403)
    return station, service


def _into_editor(response):
    """The fresh editor goes into the editor area, also when the form posted from the
    dialog (which the answer closes)."""
    if hx.wants_fragment():
        response.headers["HX-Retarget"] = "#editor"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _context(station, service, form, errors, plan):
    fields = [dict(key=spec.key, label=spec.text("label", ui_language()),
                   error=str(errors[spec.key]) if spec.key in errors else "",
                   planned=plan is not None and spec.key in plan.fields)
              for spec in credential_plans.plannable_fields(current_user, service)]
    return dict(station=station, sargs={"station_id": station.id} if station else {},
                service=service, plan_form=form, plan=plan, plan_fields=fields,
                zone=credential_plans.chain_zone().key)

