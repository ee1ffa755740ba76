"""Responses shared by the master-data screens: after a save, after a delete, and the
status of a refused form."""
from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from . import hx
from .changelog.display import LINK_MARKER, around_marker
from .errors import DomainError
from .extensions import db
from .security import safe_next
from .templating import escape_text


def id_url(endpoint, argument, **values):
    """A function of a record's id answering url_for(endpoint, argument=id, **values), for
    the links of a list's rows: url_for costs ~10 µs a call (issue 15), this a format of the
    URL built once. The same text for an int id, which the rules' <int:…> take."""
    head, tail = around_marker(url_for(endpoint, **{argument: LINK_MARKER}, **values))
    return lambda record_id: f"{head}{int(record_id)}{tail}"


def escaped_choices(pairs):
    """A list filter's (value, label) pairs escaped, for filter_select(escaped=true): a page
    has ~50-100 options, and the template's autoescape made a Markup of each value and
    label, which cost more than escaping them (issue 15)."""
    return [(escape_text(str(value)), escape_text(str(text))) for value, text in pairs]


def escaped_choice(value):
    """A filter's chosen value as escaped_choices writes it (None for none, which matches
    no choice)."""
    return None if value is None else escape_text(str(value))


def refusal_status(form):
    """409 when the record changed under the user (optimistic locking), else 422."""
    return 409 if getattr(form, "conflict", False) else 422


def after_save(record, url, event, notice, editor, form_class, created=False, choices=None):
    """After a successful save: htmx gets the fresh editor and a list refresh; a plain
    browser gets a redirect (post/redirect/get)."""
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url)
    db.session.refresh(record)
    form = form_class(obj=record, formdata=None, version=record.version)
    if choices:
        choices(form)
    body, status = editor(form, record, notice=notice)
    response = current_app.make_response((body, status))
    hx.trigger(response, event)
    if created:
        response.headers["HX-Push-Url"] = url
    return response


def delete_response(record, delete, list_endpoint, event, refused):
    """Delete through the service; a refusal (still referenced) shows its reason."""
    label = str(record)
    try:
        delete(current_user, record)
    except DomainError as error:
        if hx.wants_fragment():
            return refused(error)
        flash(str(error.message), "error")
        return hx.redirect(request.referrer if _same_origin(request.referrer) else url_for(list_endpoint))
    message = _("%(name)s was deleted.", name=label)
    if not hx.wants_fragment():
        flash(message, "success")
        return hx.redirect(url_for(list_endpoint))
    response = current_app.make_response(render_template("_deleted.html", message=message))
    hx.trigger(response, event)
    response.headers["HX-Push-Url"] = url_for(list_endpoint)
    return response


def _same_origin(url):
    return bool(url) and safe_next(url) is not None
