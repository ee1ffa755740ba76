"""Änderungsprotokoll → Vergleichen / Diesen Stand wiederherstellen, for interface services,
branches and workstations: a record's history with two of its states (or one and now)
compared field by field, and a past state restored as a new change after a preview.

Who may: those who read the change log (administrators, branch managers) compare the records
whose entries they read; restoring is editing, checked by the record's own service layer."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx, params
from ..changelog import display, registry, versions
from ..changelog.models import ChangeLogEntry
from ..changelog.services import RESTORED_FROM
from ..errors import Conflict, DomainError, PermissionDenied
from ..extensions import db
from ..views_helpers import id_url
from . import bp, search

SERVICE, BRANCH, WORKSTATION = "interface_service", "branch", "workstation"
SECRET_PREFIX = "secret-"  # the restore form's inputs of new secrets


# --- routes ------------------------------------------------------------------------------

# entity type → (URL part, URL argument, endpoint prefix). Each gets GET …/versions
# (Vergleichen: its history, two of its states compared), GET …/restore?entry= (Diesen Stand
# wiederherstellen: what restoring the entry's state would change) and POST …/restore.
KINDS = {
    SERVICE: ("services", "service_id", "service"),
    BRANCH: ("branches", "branch_id", "branch"),
    WORKSTATION: ("workstations", "station_id", "workstation"),
}


def _route(handler, entity_type, argument):
    def view(**arguments):
        return handler(entity_type, arguments[argument])
    view.__doc__ = handler.__doc__
    return view


def url(entity_type, entity_id, page, **args):
    """The URL of a record's Versions ("versions") or restore ("restore") page."""
    _part, argument, name = KINDS[entity_type]
    return url_for(f"changelog.{name}_{page}_get", **{argument: entity_id}, **args)


def with_links(rows):
    """The change log's rows (display.EntryRow), those of records that can be compared and
    still exist with a link to their Vergleichen page (one url_for per type, not per row)."""
    links = {}
    for row in rows:
        entity_type = row.entry.entity_type
        if row.record_url and entity_type in KINDS:
            if entity_type not in links:
                _part, argument, name = KINDS[entity_type]
                links[entity_type] = id_url(f"changelog.{name}_versions_get", argument)
            row.versions_url = links[entity_type](row.entry.entity_id)
    return rows


# --- Vergleichen -------------------------------------------------------------------------

def _versions(entity_type, entity_id):
    """Vergleichen: the record's history and, with ?from= and ?to= (an entry or "now"), the
    differences between those two states; htmx gets the differences only."""
    record, kind, hooks = _record(entity_type, entity_id)
    entries = versions.history(entity_type, record)
    current = _current(hooks, record)
    older, newer = _point(entries, "from"), _point(entries, "to")
    if older is None and newer not in (None, versions.NOW):
        older, newer = newer, versions.NOW
    elif older is not None and newer is None:
        newer = versions.NOW
    detail = hooks.detail(record)
    history = display.in_words(entries, detail=detail)
    differences = None
    if older is not None:
        older, newer = versions.in_order(entries, older, newer)
        differences = display.differences(
            entity_type, versions.compare(entries, current, hooks.secret_fields(record),
                                          older, newer), detail)
    context = dict(
        record=record, type_label=kind.label, entity_type=entity_type,
        record_url=kind.link(record.id, detail) if kind.link else None,
        history=history, differences=differences, older=older, newer=newer,
        now=versions.NOW, points=[(row.entry.id, _point_label(row)) for row in history],
        point_names={versions.NOW: _("now (the current state)"),
                     **{row.entry.id: _point_label(row) for row in history}},
        may_restore=hooks.may_restore(current_user, record),
        versions_url=url(entity_type, record.id, "versions"),
        restore_url=lambda entry_id: url(entity_type, record.id, "restore", entry=entry_id))
    if hx.wants_fragment():
        return render_template("changelog/_differences.html", **context)
    return render_template("changelog/versions.html", **context)


def _point(entries, name):
    """?from= / ?to=: an entry of the record's history, "now", or None."""
    value = request.args.get(name, "")
    if value == versions.NOW:
        return versions.NOW
    entry_id = params.to_id(value)
    return entry_id if any(entry.id == entry_id for entry in entries) else None


def _point_label(row):
    return _("%(when)s, %(who)s: %(what)s", when=_moment(row.entry.at),
             who=row.entry.user_name or "—", what=row.verb)


# --- Diesen Stand wiederherstellen -------------------------------------------------------

def _restore_get(entity_type, entity_id):
    """Diesen Stand wiederherstellen: what restoring the state as of ?entry= would change,
    or why it cannot (without an entry: the Versions page)."""
    record, kind, hooks, entry = _restore_target(entity_type, entity_id)
    if record is None:
        return _restore_page(entity_type, entity_id, kind, None, entry,
                             refusal=str(versions.DELETED))
    if entry is None:
        return redirect(url(entity_type, entity_id, "versions"))
    try:
        changes = versions.plan_restore(current_user, entity_type, record, entry)
    except DomainError as error:
        return _restore_page(entity_type, entity_id, kind, record, entry,
                             refusal=str(error.message))
    return _restore_page(entity_type, entity_id, kind, record, entry, changes=changes)


def _restore_post(entity_type, entity_id):
    """Restore the state as of the form's entry, with the version the preview showed and any
    new secrets; a refusal shows the preview page's message (422; 409 over a newer version)."""
    record, kind, hooks, entry = _restore_target(entity_type, entity_id)
    if record is None:
        return _restore_page(entity_type, entity_id, kind, None, entry,
                             refusal=str(versions.DELETED), status=422)
    if entry is None:
        abort(422)
    secrets = {key[len(SECRET_PREFIX):]: value for key, value in request.form.items()
               if key.startswith(SECRET_PREFIX) and value}
    try:
        versions.restore(current_user, entity_type, record, entry, secrets,
                         request.form.get("version"))
    except DomainError as error:
        db.session.rollback()
        record = hooks.find(current_user, entity_id)
        return _restore_page(entity_type, entity_id, kind, record, entry,
                             refusal=str(error.message),
                             status=409 if isinstance(error, Conflict) else 422)
    flash(_("The state as of %(when)s was restored.", when=_moment(entry.at)), "success")
    return hx.redirect(kind.link(record.id, hooks.detail(record)))


def _restore_target(entity_type, entity_id):
    """(record or None when deleted, kind, hooks, the entry of ?entry= / the form's or None).
    403 for those who may not restore it, 404 for a record they do not read."""
    kind = registry.current().get(entity_type)
    hooks = kind.versions
    if not search.may_read_log(current_user):
        abort(403)
    entry_id = params.to_id(request.values.get("entry"))
    entry = db.session.get(ChangeLogEntry, entry_id) if entry_id else None
    if entry is not None and (entry.entity_type != entity_type or entry.entity_id != entity_id):
        abort(404)
    if db.session.get(kind.model, entity_id) is None:
        if entry is None or not _reads_entry(entry):
            abort(404)
        return None, kind, hooks, entry
    record = hooks.find(current_user, entity_id)
    if record is None:
        abort(404)
    if not hooks.may_restore(current_user, record):
        raise PermissionDenied(_("You may not change this record."))
    return record, kind, hooks, entry


def _reads_entry(entry):
    """A deleted record's entry: whether the user reads it in the change log."""
    return search.sees_everything(current_user) or entry.branch_id is None \
        or entry.branch_id in current_user.branch_ids


def _restore_page(entity_type, entity_id, kind, record, entry, changes=(), refusal=None,
                  status=200):
    detail = kind.versions.detail(record) if record is not None else None
    labels = kind.labels_for(detail)
    secrets = kind.versions.secret_fields(record) if record is not None else ()
    context = dict(
        record=record, entity_type=entity_type, type_label=kind.label, entry=entry,
        label=record if record is not None else (entry.entity_label if entry else ""),
        when=_moment(entry.at) if entry is not None else "",
        changes=display.differences(
            entity_type, [item for item in changes if item.get("field") != RESTORED_FROM],
            detail),
        secrets=[(key, str(labels.get(key, key))) for key in secrets],
        secret_prefix=SECRET_PREFIX, refusal=refusal,
        version=record.version if record is not None else "",
        action=url(entity_type, entity_id, "restore"),
        versions_url=url(entity_type, entity_id, "versions") if record is not None else None,
        record_url=(kind.link(record.id, detail) if record is not None and kind.link
                    else None))
    return render_template("changelog/restore.html", **context), status


# --- shared ------------------------------------------------------------------------------

def _record(entity_type, entity_id):
    """(record, kind, hooks) for the Versions page: 403 for staff, 404 for a record that is
    gone or outside what the user reads."""
    if not search.may_read_log(current_user):
        abort(403)
    kind = registry.current().get(entity_type)
    record = kind.versions.find(current_user, entity_id)
    if record is None:
        abort(404)
    return record, kind, kind.versions


def _current(hooks, record):
    return versions.plain(hooks.values(record))



def _moment(at):
    return format_datetime(at, "short")



def _add_routes():
    for entity_type, (part, argument, name) in KINDS.items():
        base = f"/changelog/{part}/<int:{argument}>"
        bp.add_url_rule(f"{base}/versions", f"{name}_versions_get",
                        _route(_versions, entity_type, argument), methods=("GET",))
        bp.add_url_rule(f"{base}/restore", f"{name}_restore_get",
                        _route(_restore_get, entity_type, argument), methods=("GET",))
        bp.add_url_rule(f"{base}/restore", f"{name}_restore_post",
                        _route(_restore_post, entity_type, argument), methods=("POST",))


_add_routes()
