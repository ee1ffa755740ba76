"""The SiNNO chat: the sync stores a message once however often and however overlapping it
is fetched, notifies the staff who have "Ungelesene SiNNO-Chat-Nachrichten" on (the default)
in the app's notification area, and staff answer — delivered once, not duplicated when the
sync fetches it back."""
from types import SimpleNamespace

import pytest
import requests

from jobs import sinno as sinno_jobs
from tests.factories import HX, fresh
from tests.sinno.conftest import customer_writes, runs, sandbox_state, sync
from webapp.extensions import db
from webapp.forms import new_submission_token
from webapp.notifications.models import Notification
from webapp.outbound.models import DONE
from webapp.sinno import chat
from webapp.sinno.models import FROM_CUSTOMER, SENT, SinnoLogin, SinnoMessage

pytestmark = pytest.mark.redis


def _messages():
    return db.session.scalars(db.select(SinnoMessage).order_by(SinnoMessage.id)).all()


def _notifications(user):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all()


def test_sync_stores_each_message_once_across_repeated_and_overlapping_runs(
        activated, world, work):
    """Two customer messages: a sync stores them; the same fetch again (cursor reset), two
    fetches that both happened before either stored, and the periodic job beside a running
    sync: still two rows, and the staff counted two new messages, not more."""
    customer_writes(activated.url, "Hallo, ist mein Hörgerät fertig?")
    customer_writes(activated.url, "Ich komme morgen vorbei.")
    sync(activated.chat, work)
    assert [(m.direction, m.text, m.customer_id) for m in _messages()] == [
        (FROM_CUSTOMER, "Hallo, ist mein Hörgerät fertig?", world.customer.id),
        (FROM_CUSTOMER, "Ich komme morgen vorbei.", world.customer.id)]
    [notice] = _notifications(world.staff)
    assert notice.count == 2 and notice.read_at is None

    login = db.session.scalar(db.select(SinnoLogin))
    login.chat_cursor = 0  # a sync that starts from scratch fetches both again
    db.session.commit()
    sync(activated.chat, work)
    assert len(_messages()) == 2

    # Two runs that fetched before either stored: the second stores nothing.
    request = chat.SYNC_HANDLER.prepare(SimpleNamespace(subject_id=activated.chat.id,
                                                        idempotency_key="overlap"))
    request = type(request)(**{**request.__dict__, "about": {**request.about, "after": 0}})
    first = chat.SYNC_HANDLER.submit(request, lambda _p: None)
    second = chat.SYNC_HANDLER.submit(request, lambda _p: None)
    assert len(first.details["messages"]) == len(second.details["messages"]) == 2
    for fetched in (first, second):
        chat.store(activated.app.id, fetched.details["messages"])
        db.session.commit()
    assert len(_messages()) == 2
    assert [n.count for n in _notifications(world.staff)] == [2]

    # The periodic job and a person's "Jetzt synchronisieren" at once: one run.
    assert sinno_jobs.sync_chats() == 1
    assert sinno_jobs.sync_chats() == 0
    row, created = chat.start_sync(activated.chat, "Anna Admin")
    assert not created
    db.session.commit()
    work()
    assert len(_messages()) == 2
    assert all(r.state == DONE for r in runs(chat.SYNC_KIND))


def test_a_new_message_notifies_who_has_it_on_by_default_and_not_who_switched_it_off(
        activated, world, client, auth, csrf, work, make_user):
    """Everybody has the switch on by default; Maria switches it off on Mein Konto. A new
    customer message then notifies Sam (badge, list, link to the conversation), not Maria;
    reading the conversation clears Sam's."""
    assert (world.staff.notify_chat_messages, world.manager.notify_chat_messages) == (True, True)
    fresh_user = make_user("neu", role="staff", branch_ids=[world.st.id], name="Nina Neu")
    auth.login(world.manager)
    account = client.get("/account").get_data(as_text=True)
    assert 'name="notify_chat_messages" type="checkbox" value="y"' in account.replace(
        ' checked', '') and "Ungelesene SiNNO-Chat-Nachrichten" in account
    saved = client.post("/account", headers=HX, data={
        "csrf_token": csrf(), "preferred_language": "de", "notify_order_errors": "y"})
    assert saved.status_code == 200
    assert fresh(type(world.manager), world.manager.id).notify_chat_messages is False

    customer_writes(activated.url, "Bitte um Rückruf")
    sync(activated.chat, work)
    assert _notifications(world.manager) == []
    assert len(_notifications(world.staff)) == 1
    assert [n.user_id for n in db.session.scalars(db.select(Notification).where(
        Notification.user_id == fresh_user))] == [fresh_user]

    auth.login(world.staff)
    badge = client.get("/notifications/badge").get_data(as_text=True)
    assert ">1<" in badge
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Neue Nachricht von Erika Muster im SiNNO-Chat" in page
    assert f'href="/customers/{world.customer.id}/sinno"' in page
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "Bitte um Rückruf" in tab and "SiNNO-App (1)" in tab
    newest = _messages()[-1].id
    read = client.post(f"/customers/{world.customer.id}/sinno/read", headers=HX,
                       data={"csrf_token": csrf(), "upto": str(newest)})
    assert read.status_code == 200
    assert ">1<" not in client.get("/notifications/badge").get_data(as_text=True)
    assert _messages()[-1].read_at is not None


def test_staff_answer_is_delivered_once_and_not_duplicated_by_the_sync(
        activated, world, client, auth, csrf, work):
    """Sam answers in the customer's tab: shown as being sent, delivered once by the
    engine with SiNNO's id; the sync fetching it back adds no second row. An empty answer
    is refused beside the field."""
    customer_writes(activated.url, "Wann habt ihr offen?")
    sync(activated.chat, work)
    auth.login(world.staff)
    url = f"/customers/{world.customer.id}/sinno/answer"
    token = new_submission_token()
    empty = client.post(url, headers=HX, data={"csrf_token": csrf(), "text": "  ",
                                               "submission": token})
    assert empty.status_code == 422 and 'id="text-error"' in empty.get_data(as_text=True)
    answer = {"csrf_token": csrf(), "text": "Mo–Fr 9 bis 18 Uhr."}
    untokened = client.post(url, headers=HX, data=answer)
    assert untokened.status_code == 422 and "beschädigt" in untokened.get_data(as_text=True)
    assert len(_messages()) == 1
    sent = client.post(url, headers=HX, data={**answer, "submission": token})
    assert sent.status_code == 200 and "Wird gesendet" in sent.get_data(as_text=True)
    assert "schon gesendet" not in sent.get_data(as_text=True)
    # A double click: the same form again is answered with the first message, no second one.
    again = client.post(url, headers=HX, data={**answer, "submission": token})
    assert again.status_code == 200
    assert "Diese Antwort wurde schon gesendet." in again.get_data(as_text=True)
    assert len(_messages()) == 2
    assert work()
    answer = _messages()[-1]
    assert (answer.state, answer.author) == (SENT, "Sam") and answer.partner_id.startswith("SMSG-")
    [company] = sandbox_state(activated.url)
    assert [(m["direction"], m["text"]) for m in company["messages"]] == [
        ("customer", "Wann habt ihr offen?"), ("shop", "Mo–Fr 9 bis 18 Uhr.")]
    sync(activated.chat, work)
    assert len(_messages()) == 2
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "Mo–Fr 9 bis 18 Uhr." in tab and "Wird gesendet" not in tab
    chats = client.get("/sinno/chats").get_data(as_text=True)
    assert "Muster, Erika" in chats and "Mo–Fr 9 bis 18 Uhr." in chats


def test_a_sync_after_sinno_ended_the_login_marks_it_expired(activated, world, work):
    """SiNNO no longer takes the token (401): the sync fails, the login is marked expired
    and the periodic job stops syncing it."""
    requests.post(f"{activated.url}/_sandbox/tokens/expire", timeout=5).raise_for_status()
    sync(activated.chat, work)
    login = db.session.scalar(db.select(SinnoLogin))
    assert login.state == "expired" and db.session.scalar(db.select(SinnoLogin.token)) is None
    assert sinno_jobs.sync_chats() == 0
