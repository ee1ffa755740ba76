"""The notification list (Benachrichtigungen), the badge in the navigation and marking read.
Everyone reads and marks only their own."""
from flask import abort, render_template
from flask_login import current_user

from .. import hx
from . import bp, services
from .forms import ReadAllForm

LIST = "notifications/_list.html"


def _list_context(form=None):
    shown = services.latest(current_user)
    return dict(notifications=shown, unread=sum(1 for item in shown if not item.read),
                newest=max((item.id for item in shown), default=0),
                form=form or ReadAllForm())


def _answer(status=200, form=None):
    """The list: for htmx the list fragment with the badge out of band, else the page."""
    context = _list_context(form)
    if hx.wants_fragment():
        return render_template(LIST, oob_badge=True,
                               badge=services.unread_count(current_user), **context), status
    return render_template("notifications/notifications.html", **context), status


@bp.get("/")
def list_get():
    """Benachrichtigungen: the user's notifications, unread first."""
    return _answer()


@bp.get("/badge")
def badge_get():
    """The unread count beside "Benachrichtigungen" in the navigation (loaded by htmx)."""
    return render_template("notifications/_badge.html",
                           badge=services.unread_count(current_user))


@bp.post("/<int:notification_id>/read")
def read_post(notification_id):
    """Mark one notification read."""
    if not services.mark_read(current_user, notification_id):
        abort(404)
    return _answer()


@bp.post("/read")
def read_all_post():
    """Mark read every notification up to the newest the list showed."""
    form = ReadAllForm()
    if not form.validate_on_submit():
        return _answer(422, form)
    services.mark_all_read(current_user, form.upto.data)
    return _answer()
