"""The global change log (Änderungsprotokoll) at /changelog/: filters in the URL, htmx
replaces the entries as the filters change."""
from datetime import date

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import csv_export, hx, params
from ..changelog import display, registry
from ..changelog.models import ACTIONS, ChangeLogEntry
from ..interfaces.services import chain_today
from ..views_helpers import escaped_choice, escaped_choices
from . import bp, search, version_views


@bp.get("/changelog/")
def entries():
    """Entries the user may read, newest first, filtered by type, branch, employee, days,
    change type and text; htmx filter changes get only the entries."""
    filters = _filters()
    pagination = search.search_entries(current_user, filters, params.page(request.args),
                                       current_app.config["PAGE_SIZE"])
    context = dict(pagination=pagination,
                   rows=display.escaped(version_views.with_links(
                       display.readable(pagination.items))),
                   filters=filters, export_url=_export_url(filters))
    if hx.wants_fragment():
        return render_template("changelog/_entries.html", **context)
    branches, users = search.filter_choices(current_user)
    log = registry.current()
    return render_template(
        "changelog/changelog.html",
        branches=escaped_choices((branch.id, branch.name) for branch in branches),
        users=escaped_choices(users),
        entity_types=escaped_choices((key, log.type_label(key))
                              for key in search.visible_entity_types(current_user)),
        actions=escaped_choices((key, display.ACTION_LABELS[key]) for key in ACTIONS),
        chosen=dict(type=escaped_choice(filters.entity_type),
                    action=escaped_choice(filters.action), branch=escaped_choice(filters.branch),
                    user=escaped_choice(filters.user_id)),
        chain_wide=search.CHAIN_WIDE, sees_everything=search.sees_everything(current_user),
        **context)


def _export_url(filters):
    """'CSV exportieren' with the log's filters (part of the fragment the filters swap)."""
    return url_for("changelog.entries_csv", q=filters.q or None,
                   type=filters.entity_type or None, branch=filters.branch,
                   user=filters.user_id, action=filters.action or None,
                   **{"from": filters.date_from, "to": filters.date_to})


@bp.get("/changelog/export.csv")
def entries_csv():
    """The entries the log's filters select, as CSV for German Excel, streamed: the same
    words as the screen, secrets only as "changed"."""
    Entry = ChangeLogEntry
    query = search.entries_query(current_user, _filters()).order_by(Entry.at.desc(),
                                                                    Entry.id.desc())
    header = [_("Time"), _("Employee"), _("Type"), _("Record"), _("Branch"), _("Change type"),
              _("Change")]

    def rows():
        for chunk in csv_export.keyset_chunks(query, [Entry.at, Entry.id]):
            for row in display.readable(chunk):
                entry = row.entry
                yield [csv_export.moment(entry.at), entry.user_name, row.type_label,
                       entry.entity_label, entry.branch_name, row.action_label,
                       "\n".join(_restored_text(row) + [_change_text(change)
                                                         for change in row.changes])]

    return csv_export.response(csv_export.filename(_("Change log"), chain_today()), header,
                               rows())


def _restored_text(row):
    return ([_("restored from the entry of %(when)s", when=row.restored_from)]
            if row.restored_from else [])


def _change_text(change):
    if change.note:
        return f"{change.label}: {change.note}"
    if change.old:
        return f"{change.label}: {change.old} → {change.new}"
    return f"{change.label}: {change.new}"


def _filters():
    """The filters from the query string; unknown or malformed values filter nothing."""
    args = request.args
    branch = args.get("branch", "")
    return search.EntryFilter(
        q=params.text(args, "q"),
        entity_type=args.get("type", "") if args.get("type") in registry.current().keys() else "",
        branch=(search.CHAIN_WIDE if branch == search.CHAIN_WIDE
                else params.to_id(branch)),
        user_id=params.record_id(args, "user"),
        date_from=_day(args.get("from")),
        date_to=_day(args.get("to")),
        action=args.get("action", "") if args.get("action") in ACTIONS else "",
    )


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
