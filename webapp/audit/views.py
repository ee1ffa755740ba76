"""The global change log (Änderungsprotokoll) at /changelog/: filters in the URL, htmx
replaces the entries as the filters change."""
from datetime import date

from flask import current_app, render_template, request
from flask_login import current_user

from .. import hx, params
from ..changelog import display, registry
from ..changelog.models import ACTIONS
from . import bp, search


@bp.get("/changelog/")
def entries():
    """Entries the user may read, newest first, filtered by type, branch, employee, days,
    change type and text; htmx filter changes get only the entries."""
    filters = _filters()
    pagination = search.search_entries(current_user, filters, params.page(request.args),
                                       current_app.config["PAGE_SIZE"])
    context = dict(pagination=pagination, rows=display.readable(pagination.items),
                   filters=filters)
    if hx.wants_fragment():
        return render_template("changelog/_entries.html", **context)
    branches, users = search.filter_choices(current_user)
    return render_template(
        "changelog/changelog.html", branches=[(branch.id, branch.name) for branch in branches],
        users=users,
        entity_types=[(key, registry.current().type_label(key))
                      for key in search.visible_entity_types(current_user)],
        actions=[(key, display.ACTION_LABELS[key]) for key in ACTIONS],
        chain_wide=search.CHAIN_WIDE, sees_everything=search.sees_everything(current_user),
        **context)


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
