"""The customer's SiNNO-App tab (app access on and off, the chat with the customer and the
answer box) and the list of chat conversations. Every change is a POST that answers with
the tab again; while something is on its way the tab asks for itself every two seconds."""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx, params, submissions
from ..customers.page import Tab, customer_or_404, render_tab
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from . import activation, bp, chat
from .forms import AnswerForm, ReadForm
from .models import SinnoMessage

TAB = "sinno"
CUSTOMER_TAB = Tab(TAB, "SiNNO-App", "sinno.customer_app_get", "sinno/_customer_app.html",
                   count=chat.unread_of)


def _tab(customer, status=200, form=None, problems=(), notice=None):
    access = activation.state(current_user, customer)
    messages = chat.messages_of(customer)
    return render_tab(customer, TAB, status, access=access, messages=messages,
                      newest=max((m.id for m in messages), default=0),
                      unread=chat.unread_of(customer),
                      may_answer=chat.may_answer(current_user, customer),
                      polling=access["running"] or chat.sending(customer),
                      answer_form=form or AnswerForm(formdata=None), read_form=ReadForm(),
                      problems=list(problems) + list(form.form_errors if form else ()),
                      notice=notice)


@bp.get("/customers/<int:customer_id>/sinno")
def customer_app_get(customer_id):
    """Tab SiNNO-App: the customer's app access and their chat."""
    return _tab(customer_or_404(customer_id))


def _switch(customer_id, action):
    customer = customer_or_404(customer_id)
    try:
        action(current_user, customer)
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        return _tab(customer_or_404(customer_id), 422, problems=[str(error)])
    return _tab(customer)


@bp.post("/customers/<int:customer_id>/sinno/activate")
def activate_post(customer_id):
    """Kundenfreischaltung: switch the app access on."""
    return _switch(customer_id, activation.activate)


@bp.post("/customers/<int:customer_id>/sinno/deactivate")
def deactivate_post(customer_id):
    """Switch the app access off."""
    return _switch(customer_id, activation.deactivate)


@bp.post("/customers/<int:customer_id>/sinno/answer")
def answer_post(customer_id):
    """Answer the customer: stored and delivered once by the engine."""
    customer = customer_or_404(customer_id)
    if not chat.may_answer(current_user, customer):
        raise PermissionDenied()
    form = AnswerForm()
    if not form.validate_on_submit():
        return _tab(customer, 422, form=form)
    try:
        _message, first = submissions.once(
            form.submission.data, SinnoMessage,
            lambda: chat.answer(current_user, customer, form.text.data.strip()))
    except DomainError as error:
        db.session.rollback()
        form.text.errors = [str(error)]
        return _tab(customer_or_404(customer_id), 422, form=form)
    return _tab(customer, notice=None if first else _("This answer was sent already."))


@bp.post("/customers/<int:customer_id>/sinno/read")
def read_post(customer_id):
    """The conversation was seen (the tab posts this when it shows unread messages)."""
    customer = customer_or_404(customer_id)
    form = ReadForm()
    if not form.validate_on_submit():
        return _tab(customer, 422)
    chat.mark_read(current_user, customer, form.upto.data)
    return _tab(customer)


@bp.get("/sinno/chats")
def chats_get():
    """SiNNO-Chat: the conversations of the customers the user reads, newest first, with
    their unread messages, a page at a time; htmx paging gets the list only."""
    pagination = chat.conversations(current_user, page=params.page(request.args),
                                    per_page=current_app.config["PAGE_SIZE"])
    if hx.wants_fragment():
        return render_template("sinno/_conversation_list.html", pagination=pagination)
    return render_template("sinno/chats.html", pagination=pagination)
