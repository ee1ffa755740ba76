"""The action buttons of the service editor, their live status and their run history.

A button posts the editor's form (the test uses the values in it, saved or not) and gets the
action's status back; while the run goes on, the status asks for itself every second and
replaces its own content inside a live region that stays put, so screen readers announce
each step. Every answer also swaps the button itself (out of band): disabled and marked busy
while the run goes on, usable again when it ended.
"""
from flask import abort, make_response, render_template, request, url_for
from flask_login import current_user

from .. import hx
from ..errors import DomainError, PermissionDenied
from ..i18n import ui_language
from . import actions
from .action_display import action_item, run_view
from .values import InvalidValues
from .views import _interface_of, _route, _service, _station

STATUS = "interfaces/_action_status.html"


@_route("/<int:service_id>/actions/<action_key>", methods=("POST",))
def action_post(service_id, action_key, station_id):
    station, service, interface, spec = _context(service_id, action_key, station_id)
    if not actions.may_run(current_user, service):
        abort(403)
    # An action a domain above runs may first show what it will send; its confirmation
    # comes back with "confirmed" (and whatever its preview put into the form).
    runner = actions.runner_for(interface, spec)
    if runner is not None and not request.form.get("confirmed"):
        latest = actions.latest_runs([service.id]).get((service.id, spec.key))
        item = action_item(service, interface, spec, station, latest)
        try:
            shown = actions.preview(current_user, service, spec.key)
        except DomainError as error:
            return render_template(STATUS, item=item, problems=[str(error)]), 422
        if shown is not None:
            template, context = shown
            return render_template(template, item=item, **context)
    # A test (connection, e-mail) runs with the editor's values when the form came along (the
    # button sends it), else with the saved ones.
    sent = any(field.key in request.form for field in interface.fields)
    raw = (request.form if (spec.key in actions.FORM_ACTIONS and sent) or runner is not None
           else None)
    problems = []
    try:
        row, _created = actions.start(current_user, service, action_key, raw)
    except InvalidValues as error:
        labels = {field.key: field.text("label", ui_language()) for field in interface.fields}
        problems = [f"{labels.get(key, key)}: {message}" for key, message in error.errors.items()]
        row = None
    except PermissionDenied:
        abort(403)
    except DomainError as error:
        problems, row = [str(error)], None
    item = action_item(service, interface, spec, station,
                       latest=row if row is not None else actions.latest_runs([service.id])
                       .get((service.id, spec.key)))
    response = make_response(render_template(STATUS, item=item, problems=problems))
    if problems:
        response.status_code = 422
    return response


@_route("/<int:service_id>/actions/<action_key>/status")
def action_status_get(service_id, action_key, station_id):
    station, service, interface, spec = _context(service_id, action_key, station_id)
    row = actions.latest_runs([service.id]).get((service.id, spec.key))
    return render_template(STATUS, item=action_item(service, interface, spec, station, row),
                           problems=[])


@_route("/<int:service_id>/actions/<action_key>/history")
def action_history_get(service_id, action_key, station_id):
    _station_, service, _interface, spec = _context(service_id, action_key, station_id)
    runs = [run_view(row) for row in actions.history(service, spec.key)]
    context = dict(service=service, label=spec.text("label", ui_language()), key=spec.key,
                   runs=runs)
    if hx.wants_fragment():
        return render_template("interfaces/_action_history.html", **context)
    # The link's own address (a new tab, no JavaScript): the same table as a page of its own.
    return render_template("interfaces/action_history.html",
                           editor_url=url_for("interfaces.edit_get", service_id=service.id,
                                              station_id=station_id),
                           **context)


def _context(service_id, action_key, station_id):
    """(station, service, interface, action) of a request, each one the reader may see; 404
    for a service they do not read or an action its type does not declare."""
    station = _station(station_id)
    service = _service(service_id, station)
    interface = _interface_of(service)
    try:
        return station, service, interface, actions.get_action(interface, action_key)
    except LookupError:
        abort(404)
