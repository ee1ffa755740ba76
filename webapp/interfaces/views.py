"""Schnittstellen: the configured services ("Schnittstellen suchen") with the editor beside
them, in branch management (/interfaces/…) and in a workstation's settings
(/workstations/<id>/interfaces…) — the same screens, told apart by `station_id`.

Thin views: permissions, scope, protection and every field rule are enforced by services.py
and values.py. The checks here decide what to show, and refuse users who may change nothing
with 403 before reading their input."""
import functools

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from .. import hx, params
from ..i18n import ui_language
from ..permissions import is_admin
from ..changelog.display import LINK_MARKER, around_marker, in_words
from ..companies import services as company_services
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..org import services as org_services
from ..views_helpers import id_url, refusal_status
from . import catalogue, credential_plans, rollouts, services
from .action_display import action_items
from .blueprint import bp
from .forms import (
    CopyForm, ServiceForm, default_row, interface_fields, row_fields, with_default_rows,
)
from .models import BRANCH, CHAIN, WORKSTATION
from .values import InvalidValues, form_data, parse

LIST_EVENT = "services-changed"  # the list re-reads itself on this event (HX-Trigger)
EDITOR = "interfaces/_service_form.html"
COMMON_FIELDS = ("name", "branch_id", "usage_server", "usage_client", "start_date", "protected",
                 "enabled")


def _route(rule, methods=("GET",)):
    """Register a view under /interfaces<rule> (branch management) and under
    /workstations/<id>/interfaces<rule> (that workstation's settings)."""
    def register(view):
        bp.add_url_rule("/interfaces" + rule, view_func=view, methods=list(methods),
                        defaults={"station_id": None})
        station_rule = "" if rule == "/" else rule
        bp.add_url_rule("/workstations/<int:station_id>/interfaces" + station_rule,
                        view_func=view, methods=list(methods))
        return view
    return register


# --- list ("Schnittstellen suchen") ------------------------------------------------------

@_route("/")
def list_get(station_id):
    """The services, searchable and sortable; htmx searches get only the list."""
    station = _station(station_id)
    fragment = hx.wants_fragment()
    context = _list_context(station, page=not fragment)
    if fragment:
        response = current_app.make_response(
            render_template("interfaces/_service_list.html", **context))
        if request.htmx.trigger == "service-search":
            # The form sends its empty fields too; the address bar gets the tidy URL.
            response.headers["HX-Push-Url"] = context["canonical_url"]
        return response
    return render_template("interfaces/services.html", pane=None, **context)


def _list_context(station, page=True):
    """What the list shows; with `page`, also the filters and buttons of the page around it
    (a search's fragment shows only the list: reading the branches for their filter was a
    statement of its own, issue 15)."""
    args = request.args
    group = args.get("group") or None
    if group is not None and group not in {g.key for g in catalogue.load()}:
        group = None
    branch = args.get("branch") or None
    if branch != CHAIN:
        branch = params.to_id(branch)
    filters = {
        "q": params.text(args, "q"), "group": group,
        "branch": branch if station is None else None,
        "ws": station is None and args.get("ws") == "y",
        "sort": args.get("sort") if args.get("sort") in services.SORTS else "group",
    }
    pagination = services.search_services(
        filters["q"], filters["group"], filters["branch"], filters["ws"], station,
        filters["sort"], params.page(args), current_app.config["PAGE_SIZE"],
        reader=current_user)
    query = {key: value for key, value in (
        ("q", filters["q"]), ("group", filters["group"]), ("branch", filters["branch"]),
        ("ws", "y" if filters["ws"] else None)) if value}
    sort_urls, list_url, canonical_url = list_urls(_args(station), query, filters["sort"])
    today = services.chain_today()
    rows = [(service, *_names(service.interface_key), services.service_state(service, today))
            for service in pagination.items]
    return dict(
        station=station, sargs=_args(station), filters=filters, pagination=pagination,
        rows=rows, sort_urls=sort_urls,
        group_options=_group_options(ui_language(), filters["group"]) if page else "",
        branch_options=(branch_options(
            org_services.readable_branches(current_user, _branch_names()), filters["branch"])
            if page and station is None else ""),
        may_create=page and _may_create(station),
        pager_args={**request.args.to_dict(), **_args(station)},
        list_url=list_url, canonical_url=canonical_url,
        effective_url=_effective_url(station),
        may_import=is_admin(current_user) and station is None,
        credential_warnings=credential_plans.credential_warnings(
            [service.id for service in pagination.items]),
        service_url=id_url("interfaces.edit_get", "service_id", **_args(station)),
    )


SORT_COLUMNS = ("group", "name", "branch", "start")  # the list's sortable columns


def list_urls(sargs, query, sort):
    """(sort_urls, list_url, canonical_url) of the list: {column: the list with `query`
    sorted by it}, the bare list, and the list as shown (`query` and `sort`, the default sort
    left out), as url_for(…, **sargs, **query, sort=…) gives them. The sorted addresses are
    one url_for with a marker for the sort, and the bare list stands for the list as shown
    where they are the same: url_for costs 5 to 20 µs a call (issue 15). The sorts
    (services.SORTS) are words that url-encoding leaves as they are."""
    head, tail = around_marker(url_for("interfaces.list_get", **sargs, **query,
                                       sort=LINK_MARKER))

    def sorted_by(key):
        if head is None:  # the marker's digits are in the search text too
            return url_for("interfaces.list_get", **sargs, **query, sort=key)
        return f"{head}{key}{tail}"
    list_url = url_for("interfaces.list_get", **sargs)
    if sort != "group":
        canonical_url = sorted_by(sort)
    else:
        canonical_url = url_for("interfaces.list_get", **sargs, **query) if query else list_url
    return {key: sorted_by(key) for key in SORT_COLUMNS}, list_url, canonical_url


# --- Neu: the catalogue search dialog ------------------------------------------------------

@_route("/new")
def new_get(station_id):
    """Neu: search the catalogue for an interface allowed here (a dialog under htmx)."""
    return _picker(station_id, "interfaces/_new_dialog.html")


@_route("/new/choices")
def choices_get(station_id):
    """The dialog's live results; without htmx the whole page with the search."""
    return _picker(station_id, "interfaces/_catalogue_results.html")


def _picker(station_id, fragment):
    station = _station(station_id)
    context = _picker_context(station)
    if hx.wants_fragment():
        return render_template(fragment, **context)
    return _page(station, "interfaces/_new_picker.html", context)


def _picker_context(station):
    scopes = _new_scopes(station)
    groups = {group.key: group for group, _iface in services.allowed_interfaces_for(scopes)}
    # Not q/group: the page around the dialog reads those for the list's filters.
    cgroup = request.args.get("igroup") if request.args.get("igroup") in groups else None
    cq = request.args.get("iq", "").strip()
    results = []
    for group, iface in services.allowed_interfaces_for(scopes, cq, cgroup):
        if not results or results[-1][0] is not group:
            results.append((group, []))
        results[-1][1].append(iface)
    return dict(station=station, sargs=_args(station), cq=cq, cgroup=cgroup, results=results,
                picker_groups=[(key, group.text("name", ui_language())) for key, group in groups.items()],
                lang=ui_language())


# --- the configuration form ----------------------------------------------------------------

@_route("/new/<interface_key>")
def new_form_get(interface_key, station_id):
    """The empty configuration form of one interface, with its defaults."""
    station = _station(station_id)
    return _render_editor(_editor(station, _interface_or_404(interface_key)))


@_route("/new/<interface_key>", methods=("POST",))
def new_form_post(interface_key, station_id):
    station = _station(station_id)
    interface = _interface_or_404(interface_key)
    _require_create(station, request.form.get("branch_id"))
    form = ServiceForm()
    _branch_choices(form, interface, None, station)
    bases = None
    if form.validate_on_submit():
        try:
            service = services.create_service(current_user, interface.key,
                                              form.service_data(station), request.form)
        except DomainError as error:
            errors = _apply_error(form, error, interface, station)
        else:
            return _saved(service, station, _("Service created."), created=True)
    else:
        bases = services.workstation_bases(station, interface.key)
        errors = _field_errors(interface, bases, None)
    return _render_editor(_editor(station, interface, form=form, raw=request.form, errors=errors,
                                  retype=True, bases=bases), status=refusal_status(form))


@_route("/<int:service_id>")
def edit_get(service_id, station_id):
    """One service in the editor; also "Neuladen" (re-read without leaving the mask)."""
    station = _station(station_id)
    service = _service(service_id, station)
    return _render_editor(_editor(station, _interface_of(service), service))


@_route("/<int:service_id>", methods=("POST",))
def edit_post(service_id, station_id):
    station = _station(station_id)
    service = _service(service_id, station)
    _require_edit(service)
    interface = _interface_of(service)
    form = ServiceForm()
    _branch_choices(form, interface, service, station)
    bases = None
    if form.validate_on_submit():
        try:
            saved = services.update_service(
                current_user, service, form.service_data(service.workstation), request.form,
                form.version.data)
        except DomainError as error:
            errors = _apply_error(form, error, interface, service.workstation)
        else:
            return _saved(service, station, _("Saved.") if saved else _("No changes."))
    else:
        bases = services.workstation_bases(service.workstation, interface.key)
        errors = _field_errors(interface, bases, service)
    return _render_editor(_editor(station, interface, service, form=form, raw=request.form,
                                  errors=errors, retype=True, bases=bases),
                          status=refusal_status(form))


def _saved(service, station, notice, created=False):
    """After a save: htmx gets the fresh editor and a list refresh; a plain browser a
    redirect (post/redirect/get)."""
    url = url_for("interfaces.edit_get", service_id=service.id, **_args(station))
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url)
    db.session.expire_all()
    service = services.get_service(service.id)
    response = current_app.make_response(render_template(
        EDITOR, **_editor(station, _interface_of(service), service, notice=notice)))
    hx.trigger(response, LIST_EVENT, **{"close-dialog": None})
    if created:
        response.headers["HX-Push-Url"] = url
        # The copy dialog posts from inside the dialog; the new service opens in the editor.
        response.headers["HX-Retarget"] = "#editor"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _editor(station, interface, service=None, form=None, raw=None, errors=None, notice=None,
            revealed=None, history=None, retype=False, bases=None):
    """Everything the configuration form shows, for a new (service None) or saved service.
    `bases`: services.workstation_bases, when the view has read them already."""
    workstation = service.workstation if service is not None else station
    refusal = None if service is not None else _place_refusal(interface, station)
    if bases is None:
        bases = services.workstation_bases(workstation, interface.key)
    locked_by, base = None, None
    if refusal is None:
        locked_by = next((s for s in bases.blocking if service is None or s.id != service.id),
                         None)
        base = bases.fallback
    if service is not None:
        may_edit = services.can_edit_service(current_user, service)
        defaults = None
    else:
        may_edit = _may_create(station, interface)
        defaults = services.new_service_defaults(interface.key, workstation,
                                                 partial=bases.fallback is not None)
    if form is None:
        form = _form_for(service, defaults)
        _branch_choices(form, interface, service, station)
    if raw is None:
        raw = (form_data(interface, services.service_values(service)) if service is not None
               else defaults[1])
        if service is None and base is None:
            raw = with_default_rows(interface, raw)
    sections, tables = interface_fields(
        interface, raw, errors or {}, ui_language(), _companies(),
        secrets=services.secret_states(service) if service is not None else {},
        fixed=interface.fixed_after_save if service is not None else (),
        locked=services.locked_fields(current_user, interface),
        partial=base is not None, retype=retype and bool(errors or form.errors))
    chain = org_services.chain_settings()  # read with the login (issue 15)
    program_refusal = services.program_refusal(interface)
    return dict(
        station=station, sargs=_args(station), workstation=workstation, service=service,
        interface=interface, group=catalogue.group_of(interface.key), form=form,
        sections=sections, tables=tables, refusal=str(refusal) if refusal else None,
        program_refusal=str(program_refusal) if program_refusal else None,
        locked_by=locked_by,
        locked_scope=_scope_name(locked_by) if locked_by is not None else None,
        base=base, base_scope=_scope_name(base) if base is not None else None,
        editable=may_edit and refusal is None and locked_by is None,
        may_delete=service is not None and may_edit,
        may_copy=service is not None and _may_create(station),
        may_roll_out=(station is None and service is not None
                      and rollouts.refusal(current_user, service) is None),
        may_reveal=service is not None and is_admin(current_user) and chain is not None
        and chain.admins_may_view_secrets,
        state=services.service_state(service) if service is not None else None,
        notice=notice, revealed=revealed or {}, history=history, lang=ui_language(),
        has_field_errors=bool(errors),
        interface_name=services.interface_name(interface),
        help_url=url_for("interfaces.help_get", interface_key=interface.key),
        actions=action_items(service, interface, station),
        credential_plan=(credential_plans.panel(current_user, service)
                         if service is not None else None),
    )


def _form_for(service, defaults):
    """The form of a saved service, or of a new one from its `defaults`
    (services.new_service_defaults)."""
    if service is None:
        return ServiceForm(formdata=None, data={**defaults[0], "start_date": ""})
    data = {name: getattr(service, name) for name in COMMON_FIELDS}
    data["start_date"] = service.start_date.isoformat() if service.start_date else ""
    return ServiceForm(formdata=None, data=data, version=service.version)


def _branch_choices(form, interface, service, station):
    """Filiale: every branch for admins, one's own branches for branch managers; the empty
    choice means every branch (or none chosen yet, where a branch is required)."""
    if station is not None or (service is not None and service.workstation_id is not None):
        form.branch_id.choices = [("", "—")]
        return
    current = service.branch_id if service is not None else None
    branches = _branch_names()
    if not is_admin(current_user):
        branches = ([b for b in branches if services.can_create_in(current_user, b.id)
                     or b.id == current] or branches)
    blank = _("All branches") if CHAIN in interface.scopes else _("— choose —")
    if CHAIN in interface.scopes:
        form.branch_id.description = _("Empty: every branch may use the service.")
    chain_wide = service is not None and current is None
    form.branch_id.choices = (([("", blank)] if is_admin(current_user) or chain_wide else [])
                              + [(str(b.id), b.name) for b in branches])


def _field_errors(interface, bases, service):
    """Messages beside the interface's fields when the common fields already failed, so the
    user sees every problem at once (nothing is saved)."""
    secrets_set = service.secret_keys if service is not None else ()
    return {key: str(message) for key, message in
            parse(interface, request.form, partial=bases.fallback is not None,
                  secrets_set=secrets_set).errors.items()}


def _apply_error(form, error, interface, workstation):
    """A service's refusal beside the field it names: the common fields in the WTForms form,
    the interface's fields in the returned {input name: message}, the rest above the form."""
    form.conflict = isinstance(error, Conflict)
    shown = {"name", "usage_server", "usage_client", "start_date", "enabled"}
    if workstation is None:
        shown |= {"branch_id", "protected"}
    inputs = {spec.key for spec in interface.fields} | {t.key for t in interface.tables}
    items = (error.errors.items() if isinstance(error, InvalidValues)
             else [(error.field, error.message)])
    field_errors = {}
    for name, message in items:
        if name in shown:
            field = form[name]
            field.errors = list(field.errors or []) + [str(message)]
        elif name and (name in inputs or name.split("-")[0] in inputs):
            field_errors[name] = str(message)
        else:
            form.form_errors.append(str(message))
    return field_errors


def _render_editor(context, status=200, pane=EDITOR):
    if hx.wants_fragment():
        return render_template(pane, **context), status
    return _page(context["station"], pane, context), status


def _page(station, pane, context):
    """The whole page: the list with `pane` in the editor area (every pushed URL)."""
    return render_template("interfaces/services.html",
                           **{**_list_context(station), **context, "pane": pane})


# --- Kopieren, Löschen ---------------------------------------------------------------------

@_route("/<int:service_id>/copy")
def copy_get(service_id, station_id):
    """Kopieren: ask for the copy's name and place (a dialog under htmx), with a place the
    copy may go preselected, or why there is none."""
    station = _station(station_id)
    service = _service(service_id, station)
    form = CopyForm(formdata=None, data={"name": _("%(name)s (copy)", name=service.name)})
    _copy_choices(form, service)
    context = _copy_context(station, service, form, _preselect_copy_place(form, service))
    if hx.wants_fragment():
        return render_template("interfaces/_copy_dialog.html", **context)
    return _page(station, "interfaces/_copy_form.html", context)


@_route("/<int:service_id>/copy", methods=("POST",))
def copy_post(service_id, station_id):
    station = _station(station_id)
    service = _service(service_id, station)
    if not _may_create(station):
        raise PermissionDenied(_("You may read services but not change them."))
    form = CopyForm()
    _copy_choices(form, service)
    if form.validate_on_submit():
        if service.workstation_id is not None:
            data = {"name": form.name.data, "workstation_id": form.workstation_id.data}
        else:
            data = {"name": form.name.data, "branch_id": form.branch_id.data,
                    "workstation_id": None}
        try:
            copy = services.copy_service(current_user, service, data)
        except DomainError as error:
            for message in (error.errors.values() if isinstance(error, InvalidValues)
                            else [error.message]):
                form.form_errors.append(str(message))
        else:
            notice = _("Copied. Passwords and other secrets are not copied: enter them in "
                       "the copy.")
            if station is not None and copy.workstation_id != station.id:
                # Copied to another workstation: open that workstation's settings.
                flash(notice, "success")
                return hx.redirect(url_for("interfaces.edit_get", service_id=copy.id,
                                           station_id=copy.workstation_id))
            return _saved(copy, station, notice, created=True)
    context = _copy_context(station, service, form)
    if hx.wants_fragment():
        # Into the open dialog, in place of the form: never a second dialog.
        return render_template("interfaces/_copy_form.html", **context), 422
    return _page(station, "interfaces/_copy_form.html", context), 422


def _copy_context(station, service, form, refusals=()):
    return dict(station=station, sargs=_args(station), service=service, copy_form=form,
                interface=_interface_of(service), copy_refusals=refusals)


def _preselect_copy_place(form, service):
    """Select the first place among the form's choices that may take the copy: the service's
    own place, then the others in their order, the whole chain last (services.copy_refusal).
    Returns why none may, or [] when one is set."""
    field = form.workstation_id if service.workstation_id is not None else form.branch_id
    own = service.workstation_id if service.workstation_id is not None else service.branch_id
    places = [int(value) if value else None for value, _label in field.choices] or [own]
    places.sort(key=lambda place: (place != own, place is None))
    refusals = []
    for place in places:
        refusal = services.copy_refusal(
            current_user, service, {"workstation_id": place} if service.workstation_id
            else {"branch_id": place, "workstation_id": None})
        if refusal is None:
            field.data = place
            return []
        if refusal not in refusals:
            refusals.append(refusal)
    return refusals


def _copy_choices(form, service):
    interface = _interface_of(service)
    if service.workstation_id is not None:
        stations = org_services.search_workstations("", None, 1, 1000).items
        form.workstation_id.choices = [
            (str(s.id), f"{s.name} ({s.branch.name})") for s in stations
            if services.can_create_in(current_user, s.branch_id) or s.id == service.workstation_id]
        form.branch_id.choices = [("", "—")]
        return
    form.workstation_id.choices = [("", "—")]
    branches = [b for b in org_services.all_branches()
                if services.can_create_in(current_user, b.id) or b.id == service.branch_id]
    blank = [("", _("All branches"))] if (CHAIN in interface.scopes
                                          and services.can_create_in(current_user)) else []
    form.branch_id.choices = blank + ([(str(b.id), b.name) for b in branches]
                                      if interface.branch_restrictable else [])


@_route("/<int:service_id>/delete")
def delete_get(service_id, station_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    station = _station(station_id)
    service = _service(service_id, station)
    return render_template(
        "confirm_delete.html", record=service, kind=_("service"),
        action=url_for("interfaces.delete_post", service_id=service.id, **_args(station)),
        cancel=url_for("interfaces.edit_get", service_id=service.id, **_args(station)))


@_route("/<int:service_id>/delete", methods=("POST",))
def delete_post(service_id, station_id):
    """Löschen; refused with the reason while something depends on the service (409)."""
    station = _station(station_id)
    service = _service(service_id, station)
    _require_edit(service)
    name = service.name
    try:
        services.delete_service(current_user, service, request.form.get("version"))
    except DomainError as error:
        if not hx.wants_fragment():
            flash(str(error.message), "error")
            return hx.redirect(url_for("interfaces.edit_get", service_id=service.id,
                                       **_args(station)))
        context = _editor(station, _interface_of(service), service)
        context["form"].form_errors.append(str(error.message))
        return render_template(EDITOR, **context), 409
    message = _("%(name)s was deleted.", name=name)
    list_url = url_for("interfaces.list_get", **_args(station))
    if not hx.wants_fragment():
        flash(message, "success")
        return hx.redirect(list_url)
    response = current_app.make_response(render_template("_deleted.html", message=message))
    hx.trigger(response, LIST_EVENT)
    response.headers["HX-Push-Url"] = list_url
    return response


# --- Mehr → Änderungsprotokoll, secrets, help, table rows ------------------------------------

@_route("/<int:service_id>/history")
def history_get(service_id, station_id):
    """Mehr → Änderungsprotokoll: the service's change log (secrets only as 'changed')."""
    station = _station(station_id)
    service = _service(service_id, station)
    interface = _interface_of(service)
    history = in_words(services.service_history(service), detail=service.interface_key)
    # Vergleichen / Diesen Stand wiederherstellen (the change log's page) for its editors.
    versions_url = (url_for("changelog.service_versions_get", service_id=service.id)
                    if services.can_edit_service(current_user, service) else None)
    if hx.wants_fragment():
        return render_template("interfaces/_history.html", history=history, service=service,
                               versions_url=versions_url)
    return _render_editor({**_editor(station, interface, service, history=history),
                           "versions_url": versions_url})


@_route("/<int:service_id>/secrets/<field_key>/reveal", methods=("POST",))
def reveal_post(service_id, field_key, station_id):
    """Anzeigen: one stored secret, for admins when the chain allows it; logged."""
    station = _station(station_id)
    service = _service(service_id, station)
    try:
        value = services.reveal_secret(current_user, service, field_key)
    except DomainError as error:
        if hx.wants_fragment():
            return render_template("interfaces/_revealed.html", error=str(error.message)), 422
        flash(str(error.message), "error")
        return hx.redirect(url_for("interfaces.edit_get", service_id=service.id,
                                   **_args(station)))
    if hx.wants_fragment():
        return render_template("interfaces/_revealed.html", value=value)
    return _render_editor(_editor(station, _interface_of(service), service,
                                  revealed={field_key: value}))


@bp.get("/interfaces/help", defaults={"interface_key": None})
@bp.get("/interfaces/help/<interface_key>")
def help_get(interface_key):
    """Hilfe (F1): the interface's and its group's help, or the mask's help."""
    interface = _interface_or_404(interface_key) if interface_key else None
    context = dict(interface=interface, lang=ui_language(),
                   group=catalogue.group_of(interface.key) if interface else None)
    if hx.wants_fragment():
        return render_template("interfaces/_help.html", **context)
    return render_template("interfaces/help.html", **context)


@bp.get("/interfaces/rows/<interface_key>/<table_key>")
def row_get(interface_key, table_key):
    """A new, pre-filled row of a table (Zeile hinzufügen), numbered ?row=N."""
    interface = _interface_or_404(interface_key)
    table = next((t for t in interface.tables if t.key == table_key), None)
    if table is None:
        abort(404)
    number = params.number(request.args, "row")
    fields = row_fields(table, number, default_row(table), {}, ui_language(), _companies())
    return render_template("interfaces/_table_row_added.html", interface=interface,
                           table=table, number=number, fields=fields, editable=True)


# --- helpers -----------------------------------------------------------------------------

def _effective_url(station):
    """The workstation's effective configuration, when that screen is installed."""
    if station is None or "effective.workstation_get" not in current_app.view_functions:
        return None
    return url_for("effective.workstation_get", station_id=station.id)


def _args(station):
    return {"station_id": station.id} if station is not None else {}


def _station(station_id):
    """The workstation whose settings are shown, if the user reads it (else 404)."""
    if station_id is None:
        return None
    station = org_services.get_workstation(current_user, station_id)
    if station is None:
        abort(404)
    return station


def _service(service_id, station):
    service = services.get_service(service_id, reader=current_user)
    if service is None or (station is not None and service.workstation_id != station.id):
        abort(404)
    return service


def _interface_or_404(key):
    try:
        return catalogue.get_interface(key)
    except KeyError:
        abort(404)


def _interface_of(service):
    try:
        return catalogue.get_interface(service.interface_key)
    except KeyError:
        abort(404)


def _branch_names():
    """org_services.branch_names(), read once per request: the editor's branch choices and
    the list's branch filter beside it show the same rows (a statement, issue 15)."""
    found = g.get("interfaces_branch_names")
    if found is None:
        found = g.interfaces_branch_names = org_services.branch_names()
    return found


def branch_options(branches, chosen):
    """The branch filter's options for `branches` (rows of id and name), `chosen` (an id)
    selected: the template's loop made them at ~2.5 µs an option, ~50 a page (issue 15)."""
    return Markup("".join(
        f'<option value="{row.id}"{" selected" if row.id == chosen else ""}>'
        f"{escape(row.name)}</option>" for row in branches))


def _names(interface_key):
    """(group name, interface name) for the list; the key where the type was removed."""
    return _names_in(interface_key, ui_language())


@functools.cache
def _group_options(language, chosen):
    """The group filter's options in `language`, `chosen` selected: the catalogue's groups
    are code, so each such list is made once per process (~50 options a page, issue 15)."""
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            group.key, Markup(" selected") if group.key == chosen else "",
            group.text("name", language))
        for group in catalogue.load())


@functools.cache
def _names_in(interface_key, language):
    """_names in `language`: the catalogue is code, so each pair is looked up once per process
    rather than per row (issue 15)."""
    try:
        group, interface = catalogue.group_of(interface_key), catalogue.get_interface(interface_key)
    except KeyError:
        return interface_key, interface_key
    return group.text("name", language), interface.text("name", language)


def _new_scopes(station):
    if station is not None:
        return WORKSTATION
    return (CHAIN, BRANCH) if is_admin(current_user) else BRANCH


def _may_create(station, interface=None):
    """Whether to offer Neu/Kopieren here (services.create_service checks again)."""
    if station is not None:
        return services.can_create_in(current_user, station.branch_id)
    if services.can_create_in(current_user, None):
        return True
    return ((interface is None or BRANCH in interface.scopes)
            and any(services.can_create_in(current_user, b) for b in current_user.branch_ids))


def _require_create(station, branch_input):
    """403 unless the user may create services where the form says (a workstation's branch,
    the chosen branch, or chain-wide when none is chosen)."""
    if station is not None:
        branch_id = station.branch_id
    else:
        branch_id = params.to_id(branch_input)
    if not services.can_create_in(current_user, branch_id):
        raise PermissionDenied(_("You may only change services of your own branches and "
                                 "their workstations.") if _may_create(station)
                               else _("You may read services but not change them."))


def _require_edit(service):
    if not services.can_edit_service(current_user, service):
        raise PermissionDenied(_("You may only change services of your own branches and "
                                 "their workstations."))


def _place_refusal(interface, station):
    """Why this interface cannot be set up here (workstation settings or branch
    management), or None."""
    if station is not None:
        return services.scope_refusal(interface, WORKSTATION)
    if {CHAIN, BRANCH} & set(interface.scopes):
        return None
    return services.scope_refusal(interface, CHAIN)


def _scope_name(service):
    if service.workstation_id is not None:
        return service.workstation.name
    return service.branch.name if service.branch_id is not None else _("chain")


def _companies():
    """kind → [(id, name)]: every company for company fields, suppliers for supplier fields;
    read once per request and only when a form has such a field."""
    cache = {}

    def options(kind):
        role = "supplier" if kind == "supplier" else None
        if role not in cache:
            found, page = [], 1
            while True:
                pagination = company_services.search_companies(role=role, page=page,
                                                               per_page=500)
                found.extend((c.id, c.name) for c in pagination.items)
                if not pagination.has_next:
                    break
                page += 1
            cache[role] = found
        return cache[role]
    return options
