"""Verwaltung → Betrieb (administrators only): queues and workers, outbound work that is due,
in flight, failed or waiting for a person, with "Erneut senden" where it is safe, and the
orders of the last 30 days per day and lab."""
from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx, params
from ..errors import DomainError
from ..interfaces import rollouts
from ..permissions import require_admin
from . import bp, chart, outbound, runtime

ROLLOUTS_SHOWN = 10


def _groups():
    """Each group of outbound work with its count and first rows (constant queries)."""
    counts = outbound.counts()
    return [dict(key=group, label=outbound.GROUP_LABELS[group], help=outbound.GROUP_HELP[group],
                 count=counts[group], rows=outbound.preview(group) if counts[group] else [])
            for group in outbound.GROUPS]


@bp.get("/")
def index():
    """The operator's view of the background work (Betrieb)."""
    require_admin(current_user)
    days, series = chart.orders_per_day()
    return render_template("operations/index.html", runtime=runtime.read(), groups=_groups(),
                           days=days, series=series, chart=chart.chart(days, series),
                           rollouts=rollouts.recent(ROLLOUTS_SHOWN, unfinished=True))


@bp.get("/outbound")
def outbound_get():
    """Every row of one group of outbound work (?group=…, failed by default), page by page."""
    require_admin(current_user)
    group = request.args.get("group") or outbound.FAILED_GROUP
    if group not in outbound.GROUPS:
        abort(404)
    rows, pagination = outbound.page_of(group, page=params.page(request.args))
    context = dict(group=dict(key=group, label=outbound.GROUP_LABELS[group],
                              help=outbound.GROUP_HELP[group], count=pagination.total,
                              rows=rows),
                   pagination=pagination, heading_level=2)
    if hx.wants_fragment():
        return render_template("operations/_group.html", **context)
    return render_template("operations/outbound.html", **context)


@bp.post("/outbound/<int:outbound_id>/resend")
def resend_post(outbound_id):
    """'Erneut senden' of a failed row; answers with the row as it stands now (htmx), 409
    with the reason beside it when refused."""
    require_admin(current_user)
    try:
        row = outbound.resend(current_user, outbound_id)
        row.notice, status = _("Sent again."), 200
    except LookupError:
        abort(404)
    except DomainError as error:
        row = outbound.row(outbound_id)
        row.error, status = str(error.message), 409
    if not hx.wants_fragment():  # a browser without htmx: back to the overview
        flash(row.notice or row.error, "success" if status == 200 else "error")
        return hx.redirect(url_for("operations.index"))
    return render_template("operations/_row.html", row=row), status
