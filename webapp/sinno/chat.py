"""The SiNNO chat: synchronising the messages (kind `sinno_chat_sync`, run by the periodic job
every two to three minutes while the account is logged in, and by "Jetzt synchronisieren" on
the SiNNO-Chat service), the conversations per customer with their unread counts, answering
(kind `sinno_chat_answer`: one delivery per answer) and the staff's notifications.

Why a message is stored once however often it is fetched: (account, SiNNO's message id) is
unique, each new message is inserted in a savepoint, and one that another run stored first
is skipped — repeated syncs, overlapping ones and a sync racing an answer's delivery all end
with one row per message. Only a message inserted here notifies anybody, so a notification
is not repeated either."""
from datetime import datetime, timezone
from urllib.parse import quote

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from ..customers import services as customer_services
from ..customers.models import Customer
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..interfaces import actions
from ..interfaces.models import InterfaceService
from ..models_base import utcnow
from ..notifications import services as notifications
from ..outbound import engine, http
from ..interfaces.services import chain_today, service_state
from ..outbound.handlers import ACCEPTED, CannotRun, Handler
from ..outbound.models import DONE, OPEN_STATES
from ..users.models import User
from . import activation, api
from .models import (FROM_CUSTOMER, FROM_SHOP, LOGGED_IN, NOT_SENT, RECEIVED, SENDING, SENT,
                     SinnoMessage)

SYNC_KIND, ANSWER_KIND = "sinno_chat_sync", "sinno_chat_answer"
SYNC = "sync"
MESSAGE_SUBJECT = "sinno_message"
NOTIFICATION = "sinno_chat"
MESSAGES_PATH = "/chat/messages"
PAGE_SIZE, MAX_PAGES = 100, 20
TEXT_LIMIT = 2000

NOT_LOGGED_IN = _l("The SiNNO-App service this chat works through is not logged in: log it "
                   "in first (Anmelden).")


# --- which account a chat service uses ------------------------------------------------------

def account_of(chat_service):
    """The SiNNO-App service the chat service works through: the one that applies at the
    chat service's place (its branch's, else the chain's)."""
    return api.app_service_for(chat_service.branch_id)


def chat_services():
    """Every SiNNO-Chat service that is enabled, for the periodic job to look at."""
    return db.session.scalars(db.select(InterfaceService).where(
        InterfaceService.interface_key == api.CHAT, InterfaceService.enabled.is_(True))
        .order_by(InterfaceService.id)).all()


# --- syncing ----------------------------------------------------------------------------------

def start_sync(chat_service, requested_by):
    """Start a sync of the chat service's account, or get the running one back.
    (row, created); DomainError while the account is not logged in."""
    account = account_of(chat_service)
    if account is None or not api.is_logged_in(account.id):
        raise DomainError(str(NOT_LOGGED_IN))
    return engine.start(SYNC_KIND, actions.SUBJECT, chat_service.id, action=SYNC,
                        exclusive_key=f"{actions.SUBJECT}:{chat_service.id}:{SYNC}",
                        requested_by=requested_by, progress={})


def start_due_syncs():
    """The periodic job's work: a sync of every active chat service whose account is logged
    in and that is not syncing already. Returns the rows started."""
    started, today = [], chain_today()
    for chat_service in chat_services():
        if service_state(chat_service, today)[0] != "active":
            continue
        account = account_of(chat_service)
        if account is None or not api.is_logged_in(account.id):
            continue
        row, created = start_sync(chat_service, "System")
        if created:
            started.append(row)
    return started


def _message(item):
    """A fetched message as plain, bounded values, or None when it is not one."""
    if not isinstance(item, dict):
        return None
    partner_id, ref = str(item.get("message_id") or "")[:40], str(item.get("customer_ref") or "")
    direction = item.get("direction")
    seq = item.get("seq")
    if not partner_id or not ref or len(ref) > 40 or direction not in (FROM_CUSTOMER, FROM_SHOP) \
            or isinstance(seq, bool) or not isinstance(seq, int):
        return None
    try:
        sent_at = datetime.fromisoformat(str(item.get("sent_at")))
        sent_at = sent_at.astimezone(timezone.utc) if sent_at.tzinfo else \
            sent_at.replace(tzinfo=timezone.utc)
    except ValueError:
        sent_at = utcnow()
    return dict(seq=seq, partner_id=partner_id, customer_ref=ref, direction=direction,
                text=str(item.get("text") or "")[:TEXT_LIMIT],
                author=str(item.get("author") or "")[:120],
                client_ref=str(item.get("client_ref") or "")[:40], sent_at=sent_at)


def _customer_id(ref):
    return db.session.scalar(db.select(Customer.id).where(Customer.id == int(ref))) \
        if ref.isdigit() and len(ref) < 10 else None


def store(account_id, fetched):
    """Store what a sync fetched: each message once. Our own answers coming back are matched
    to their row by our reference. Returns the messages inserted now."""
    messages = [m for m in (_message(item) for item in fetched) if m is not None]
    known = set(db.session.scalars(db.select(SinnoMessage.partner_id).where(
        SinnoMessage.account_id == account_id,
        SinnoMessage.partner_id.in_([m["partner_id"] for m in messages] or [""]))))
    inserted = []
    for message in messages:
        if message["partner_id"] in known:
            continue
        known.add(message["partner_id"])
        if message["direction"] == FROM_SHOP and message["client_ref"].isdigit():
            ours = db.session.get(SinnoMessage, int(message["client_ref"]))
            if ours is not None and ours.account_id == account_id:
                if ours.partner_id is None:  # its delivery has not heard back yet
                    ours.partner_id, ours.state = message["partner_id"], SENT
                continue
        row = SinnoMessage(account_id=account_id, customer_ref=message["customer_ref"],
                           customer_id=_customer_id(message["customer_ref"]),
                           partner_id=message["partner_id"], direction=message["direction"],
                           text=message["text"], sent_at=message["sent_at"],
                           author=message["author"],
                           state=RECEIVED if message["direction"] == FROM_CUSTOMER else SENT,
                           # What the shop wrote elsewhere (the SiNNO dashboard) is not news.
                           read_at=None if message["direction"] == FROM_CUSTOMER else utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # another run stored it first
        inserted.append(row)
    _notify([row for row in inserted if row.direction == FROM_CUSTOMER])
    return inserted


def recipients(customer):
    """Who is told about a customer's new message: every active user with "Ungelesene
    SiNNO-Chat-Nachrichten" on who reads the customer."""
    users = db.session.scalars(db.select(User).where(
        User.active.is_(True), User.notify_chat_messages.is_(True))).all()
    return [user.id for user in users if customer_services.may_read(user, customer)]


def _notify(new_messages):
    by_customer = {}
    for message in new_messages:
        if message.customer_id is not None:
            by_customer.setdefault(message.customer_id, []).append(message)
    for customer_id, messages in by_customer.items():
        customer = db.session.get(Customer, customer_id)
        notifications.notify(recipients(customer), NOTIFICATION, topic_of(customer_id),
                             {"customer_id": customer_id, "customer": customer.name},
                             count=len(messages))


def topic_of(customer_id):
    return f"{NOTIFICATION}:customer:{customer_id}"


def describe(params):
    """How a chat notification reads, and where it leads (notifications.register_kind)."""
    return (_("New message from %(customer)s in the SiNNO chat", customer=params.get("customer", "")),
            url_for("sinno.customer_app_get", customer_id=params["customer_id"])
            if params.get("customer_id") else None)


class SyncHandler(Handler):
    """A read: a run interrupted mid-call simply runs again, and what it stores twice is
    stored once."""
    kind = SYNC_KIND
    repeat_is_safe = True

    def prepare(self, row):
        chat_service = db.session.get(InterfaceService, row.subject_id)
        if chat_service is None:
            raise CannotRun(str(_l("The service was deleted.")))
        account = account_of(chat_service)
        if account is None:
            raise CannotRun(str(NOT_LOGGED_IN))
        login = api.login_of(account.id)
        return api.request_for(account.id, row.idempotency_key, token=True, about={
            "account_id": account.id, "after": login.chat_cursor})

    def max_duration(self, request):
        return MAX_PAGES * sum(http.TIMEOUTS) + 5

    def submit(self, request, report):
        fetched, after = [], request.about["after"]
        for _page in range(MAX_PAGES):
            _response, outcome = api.call(
                request, "GET", f"{MESSAGES_PATH}?after={after}&limit={PAGE_SIZE}",
                http.accepting(lambda d: isinstance(d.get("messages"), list)),
                api.bearer(request))
            if outcome.kind != ACCEPTED:
                return outcome
            answer = outcome.details["answer"]
            page = answer["messages"]
            fetched += page
            seqs = [m["seq"] for m in page if isinstance(m, dict) and isinstance(m.get("seq"), int)
                    and not isinstance(m.get("seq"), bool)]
            after = max([after, *seqs])
            if not answer.get("more") or not page:
                break
        outcome.details = {"messages": fetched, "cursor": after,
                           "account_id": request.about["account_id"]}
        outcome.message = _("Messages fetched: %(count)s.", count=len(fetched))
        return outcome

    def accepted(self, row, outcome):
        account_id = outcome.details["account_id"]
        inserted = store(account_id, outcome.details["messages"])
        login = api.login_of(account_id)
        if login is not None:
            login.chat_cursor = max(login.chat_cursor, outcome.details["cursor"])
            login.synced_at = utcnow()
        row.progress = {"ok": True, "new": sum(1 for m in inserted
                                               if m.direction == FROM_CUSTOMER),
                        "fetched": len(outcome.details["messages"])}

    def failed(self, row, message, outcome):
        row.progress = {"ok": False, "error": message[:300]}
        if outcome is not None and outcome.http_status == 401:
            chat_service = db.session.get(InterfaceService, row.subject_id)
            if chat_service is not None:
                api.expire(account_of(chat_service))


# --- the runner of "Jetzt synchronisieren" ------------------------------------------------

def _runner_start(actor, service, action_key, form):
    return start_sync(service, actor.name)


def _runner_panel(actor, service, action_key):
    account = account_of(service)
    login = api.login_of(account.id) if account is not None else None
    return "sinno/_chat_state.html", dict(account=account, login=login,
                                          logged_in=login is not None and login.state == LOGGED_IN)


def _runner_summary(row):
    progress = row.progress or {}
    if row.state in OPEN_STATES:
        if row.last_error:
            return api.retrying(row)
        return _("Synchronising the chat …")
    if row.state == DONE:
        return _("Synchronised: %(new)s new customer messages.", new=progress.get("new", 0))
    return _("Not synchronised: %(message)s", message=row.last_error or _("Failed."))


SYNC_RUNNER = actions.ActionRunner(kind=SYNC_KIND, start=_runner_start, panel=_runner_panel,
                                   summary=_runner_summary)


def register_runner():
    actions.register_runner(api.CHAT, SYNC, SYNC_RUNNER)


# --- conversations -----------------------------------------------------------------------------

def conversations(reader, page=1, per_page=25):
    """One page of the conversations of the customers the reader reads who have chat
    messages, newest first: a Pagination whose items are {customer, last (the newest
    message), unread (how many)}. Five statements however many conversations there are:
    the page's customer ids and their count, then only that page's messages and
    customers."""
    newest = func.max(SinnoMessage.id)
    query = (db.select(SinnoMessage.customer_id)
             .where(SinnoMessage.customer_id.is_not(None))
             .group_by(SinnoMessage.customer_id)
             .order_by(newest.desc()))  # message ids are never reused: no ties
    scope = customer_services.customer_scope(reader)
    if scope is not None:
        query = query.join(Customer, Customer.id == SinnoMessage.customer_id).where(
            Customer.branch_id.in_(scope or {0}))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = list(pagination.items) or [0]
    unread = func.sum(db.case((db.and_(SinnoMessage.direction == FROM_CUSTOMER,
                                       SinnoMessage.read_at.is_(None)), 1), else_=0))
    rows = db.session.execute(
        db.select(SinnoMessage.customer_id, newest, unread)
        .where(SinnoMessage.customer_id.in_(ids)).group_by(SinnoMessage.customer_id)).all()
    customers = {c.id: c for c in db.session.scalars(
        db.select(Customer).where(Customer.id.in_(ids)))}
    last = {m.id: m for m in db.session.scalars(
        db.select(SinnoMessage).where(SinnoMessage.id.in_([r[1] for r in rows] or [0])))}
    found = [dict(customer=customers[customer_id], last=last[last_id], unread=int(count or 0))
             for customer_id, last_id, count in rows]
    found.sort(key=lambda c: c["last"].id, reverse=True)
    pagination.items = found
    return pagination


def messages_of(customer):
    return db.session.scalars(db.select(SinnoMessage).where(
        SinnoMessage.customer_id == customer.id).order_by(SinnoMessage.id)).all()


def unread_of(customer):
    return db.session.scalar(db.select(func.count(SinnoMessage.id)).where(
        SinnoMessage.customer_id == customer.id, SinnoMessage.direction == FROM_CUSTOMER,
        SinnoMessage.read_at.is_(None))) or 0


def mark_read(reader, customer, upto):
    """The reader saw the conversation up to message `upto`: its customer messages are read
    (for everybody: the chat is the shop's), and the reader's notification about it."""
    if not customer_services.may_read(reader, customer):
        raise PermissionDenied()
    db.session.execute(db.update(SinnoMessage).where(
        SinnoMessage.customer_id == customer.id, SinnoMessage.direction == FROM_CUSTOMER,
        SinnoMessage.id <= upto, SinnoMessage.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    notifications.mark_topic_read(reader, topic_of(customer.id))


# --- answering ----------------------------------------------------------------------------------

def may_answer(actor, customer):
    """Staff answer the customers they read (customers are served in any branch)."""
    return customer_services.may_read(actor, customer)


def answer(actor, customer, text):
    """Write an answer to the customer: stored at once (shown as being sent) and delivered
    by the engine exactly once. DomainError when no logged-in SiNNO-App serves the customer."""
    if not may_answer(actor, customer):
        raise PermissionDenied()
    account = activation.account_for(customer)
    if account is None or not api.is_logged_in(account.id):
        raise DomainError(str(_l("No logged-in SiNNO-App service serves this customer's "
                                 "branch: the answer cannot be sent.")), field="text")
    message = SinnoMessage(account_id=account.id, customer_id=customer.id,
                           customer_ref=str(customer.id), direction=FROM_SHOP,
                           text=text[:TEXT_LIMIT], author=actor.name[:120], state=SENDING,
                           sent_at=utcnow())
    db.session.add(message)
    db.session.flush()
    engine.start(ANSWER_KIND, MESSAGE_SUBJECT, message.id,
                 exclusive_key=f"{MESSAGE_SUBJECT}:{message.id}", requested_by=actor.name)
    mark_read(actor, customer, message.id)
    return message


def sending(customer):
    """Whether an answer to the customer is still on its way (the conversation polls)."""
    return db.session.scalar(db.select(SinnoMessage.id).where(
        SinnoMessage.customer_id == customer.id, SinnoMessage.state == SENDING).limit(1)) \
        is not None


class AnswerHandler(Handler):
    """One delivery per answer: the row keeps its exclusive key; after no answer the engine
    asks SiNNO by the row's key before sending again."""
    kind = ANSWER_KIND
    keeps_exclusive_key = True

    def prepare(self, row):
        message = db.session.get(SinnoMessage, row.subject_id)
        if message is None:
            raise CannotRun(str(_l("The message was deleted.")))
        return api.request_for(message.account_id, row.idempotency_key, token=True,
                               body={"customer_ref": message.customer_ref,
                                     "text": message.text, "author": message.author,
                                     "client_ref": str(message.id)})

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        _response, outcome = api.call(request, "POST", MESSAGES_PATH,
                                      http.accepting(lambda d: d.get("message_id")),
                                      api.bearer(request), json=request.body)
        return outcome

    def lookup(self, request, report):
        response, outcome = api.call(request, "GET",
                                     f"{MESSAGES_PATH}/by-key/{quote(request.key)}",
                                     http.accepting(lambda d: d.get("message_id")),
                                     api.bearer(request))
        return api.found_by_key(response, outcome)

    def accepted(self, row, outcome):
        message = db.session.get(SinnoMessage, row.subject_id)
        if message is None:
            return
        if message.partner_id is None:
            message.partner_id = str(outcome.details["answer"]["message_id"])[:40]
        message.state, message.error = SENT, ""
        row.progress = {"ok": True, "message_id": message.partner_id}

    def failed(self, row, message_text, outcome):
        message = db.session.get(SinnoMessage, row.subject_id)
        if message is not None and message.state == SENDING:
            message.state, message.error = NOT_SENT, message_text[:1000]
        row.progress = {"ok": False, "error": message_text[:300]}


SYNC_HANDLER = SyncHandler()
ANSWER_HANDLER = AnswerHandler()
