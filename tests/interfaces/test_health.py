"""The health board (Schnittstellen → Zustand): groups × branches, each cell the services that
apply there with their state and last connection test linked to the editor; the filters; what
each role reads; the trend chart with its table; the chain's settings for the nightly run;
and a statement count that does not grow with branches and services."""
import re
import uuid
from datetime import date, timedelta

import pytest

from tests.factories import HX, make_config
from tests.translated import de
from webapp.extensions import db
from webapp.interfaces import health
from webapp.interfaces.health_models import FAILING, RECOVERED, HealthNotice
from webapp.models_base import utcnow
from webapp.org.models import Branch, Chain
from webapp.outbound.models import DONE, FAILED, Outbound

FAILED_AUTH = {"steps": [{"step": "resolve", "state": "ok"}, {"step": "connect", "state": "ok"},
                         {"step": "tls", "state": "ok"},
                         {"step": "auth", "state": "failed", "reason": "auth_failed",
                          "detail": "535 authentication failed"},
                         {"step": "request", "state": "skipped"}], "ok": False}
PASSED_ALL = {"steps": [{"step": s, "state": "ok"}
                        for s in ("resolve", "connect", "tls", "auth", "request")], "ok": True}


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)  # German, the app's default, unlike the other interface tests


def record_test(service, ok, when=None, by="Anna Admin"):
    """A finished connection test of `service`, as the worker leaves it."""
    when = when or utcnow()
    row = Outbound(kind="service_action", subject_type="service", subject_id=service.id,
                   action="test", idempotency_key=str(uuid.uuid4()),
                   state=DONE if ok else FAILED, requested_by=by,
                   progress=PASSED_ALL if ok else FAILED_AUTH, created_at=when,
                   started_at=when, finished_at=when, attempts=1)
    db.session.add(row)
    db.session.commit()
    return row


def board(client, **params):
    response = client.get("/interfaces/health", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cell(body, group_name, branch_index):
    """The text of the cell of the row `group_name`, branch column `branch_index` (0-based)."""
    row = re.search(r'<th scope="row">' + re.escape(group_name) + r"</th>(.*?)</tr>", body, re.S)
    assert row, f"no row {group_name!r}"
    cells = re.findall(r'<td class="health-cell[^"]*">(.*?)</td>', row[1], re.S)
    shown = re.sub(r'<span aria-hidden="true">[^<]*</span>', "", cells[branch_index])
    return " ".join(re.sub(r"<[^>]+>", " ", shown).split())


def columns(body):
    head = body[body.index("<thead>"):body.index("</thead>")]
    return re.findall(r'<th scope="col">([^<]*)</th>', head)  # the branches' headers


def test_cells_show_what_applies_with_state_last_test_and_age(client, auth, world, make_service):
    """Stuttgart's own SMTP service beats the chain's there, Ulm gets the chain's; each with
    its state, its last test (failed at Anmeldung, or passed) and its age, linked to its
    editor; a group without any service is left out; text, not only colour."""
    chain = make_service("smtp", name="Mail Kette", usage_server=True)
    own = make_service("smtp", name="Mail ST", branch_id=world.st.id, usage_server=True)
    record_test(chain, True, utcnow() - timedelta(hours=3))
    record_test(own, False)
    auth.login(world.admin)
    body = board(client)
    assert f"<h1>{de('Interface health')}</h1>" in body
    assert columns(body) == ["Stuttgart", "Ulm"]
    assert "<caption" in body and 'role="region"' in body
    st, ul = cell(body, "E-Mail", 0), cell(body, "E-Mail", 1)
    assert st.startswith("Mail ST Problem SMTP-Postausgangsserver aktiv · Fehlgeschlagen "
                         "gerade eben")
    assert "Fehlgeschlagen bei Schritt Anmeldung: Anmeldung fehlgeschlagen" in st
    assert "Mail Kette" not in st
    assert ul == ("Mail Kette SMTP-Postausgangsserver · Filialkette aktiv · Bestanden vor 3 "
                  "Stunden")
    assert f'href="/interfaces/{own.id}"' in body and f'href="/interfaces/{chain.id}"' in body
    assert '<th scope="row">Otoplastikbestellung' not in body  # no service of that group
    assert de("Problems: %(count)s", count=1) in body


def test_disabled_and_never_tested(client, auth, world, make_service):
    """Without an applying service the cell shows the disabled one; an active server-side
    service that never ran a test is a problem, a client-side one is not."""
    own = make_service("smtp", name="Mail ST", branch_id=world.st.id, usage_server=False,
                       usage_client=True)
    make_service("smtp", name="Mail UL alt", branch_id=world.ul.id, enabled=False)
    auth.login(world.admin)
    body = board(client)
    assert cell(body, "E-Mail", 0) == "Mail ST SMTP-Postausgangsserver aktiv · Nie getestet"
    assert cell(body, "E-Mail", 1) == ("Mail UL alt SMTP-Postausgangsserver deaktiviert · "
                                       "Nie getestet")
    own.usage_server = True
    db.session.commit()
    body = board(client)
    assert cell(body, "E-Mail", 0) == ("Mail ST Problem SMTP-Postausgangsserver aktiv · "
                                       "Nie getestet")
    assert columns(board(client, group="email", branch=str(world.st.id))) == ["Stuttgart"]


def test_planned_cell_when_only_a_planned_service_exists(client, auth, world, make_service):
    """A branch whose only service starts later shows it as planned, not as a problem."""
    make_service("smtp", name="Mail ST neu", branch_id=world.st.id, usage_server=True,
                 start_date=date.today() + timedelta(days=30))
    auth.login(world.admin)
    body = board(client)
    assert cell(body, "E-Mail", 0) == "Mail ST neu SMTP-Postausgangsserver geplant · Nie getestet"
    assert cell(body, "E-Mail", 1) == de("no service")
    assert de("No problems") in body


def test_only_problems_keeps_the_groups_and_branches_with_one(client, auth, world,
                                                             make_service):
    """'Nur Probleme': the rows and columns without a problem go; the rest stays readable."""
    fine = make_service("smtp", name="Mail UL", branch_id=world.ul.id, usage_server=True)
    broken = make_service("smtp", name="Mail ST", branch_id=world.st.id, usage_server=True)
    record_test(fine, True)
    record_test(broken, False)
    auth.login(world.admin)
    body = board(client, problems="1")
    assert columns(body) == ["Stuttgart"]
    assert "Mail ST" in cell(body, "E-Mail", 0) and "Mail UL" not in body.split("<table")[1]
    record_test(broken, True)
    assert de("No problems: every active service passed its last connection test.") in board(
        client, problems="1")


def test_the_filters_answer_htmx_with_the_board_alone(client, auth, world, make_service):
    """An htmx filter request gets the board fragment (no page around it) and the status
    line out of band for screen readers; a full request the page with the filter form."""
    make_service("smtp", name="Mail ST", branch_id=world.st.id)
    auth.login(world.admin)
    page = board(client)
    assert '<form class="filters"' in page and 'id="health-status"' in page
    fragment = client.get("/interfaces/health?group=email", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and '<form class="filters"' not in fragment
    assert 'hx-swap-oob="true"' in fragment and "<table" in fragment
    for hostile in ("?branch=abc", "?branch=999999", "?group=%00", "?problems=x"):
        assert client.get("/interfaces/health" + hostile).status_code == 200


def test_each_reader_sees_the_columns_of_their_branches(client, auth, world, make_service):
    """Staff and managers read their branches' columns (and the chain's services there);
    another branch is not shown, not even when asked for; admins see every branch."""
    make_service("smtp", name="Mail Kette", usage_server=True)
    make_service("smtp", name="Mail UL", branch_id=world.ul.id, usage_server=True)
    for user in (world.staff, world.manager):
        auth.login(user)
        body = board(client)
        assert columns(body) == ["Stuttgart"] and "Mail UL" not in body
        assert "Mail Kette" in cell(body, "E-Mail", 0)
        assert columns(board(client, branch=str(world.ul.id))) == ["Stuttgart"]
    auth.login(world.admin)
    assert columns(board(client)) == ["Stuttgart", "Ulm"]


def test_notices_are_listed_for_those_who_read_their_branch(client, auth, world,
                                                           make_service):
    """The board lists the notices of the last 30 days, in words, for the branches shown."""
    st_mail = make_service("smtp", name="Mail ST", branch_id=world.st.id)
    ul_mail = make_service("smtp", name="Mail UL", branch_id=world.ul.id)
    for service, kind in ((st_mail, FAILING), (ul_mail, RECOVERED)):
        db.session.add(HealthNotice(kind=kind, service_id=service.id, service_name=service.name,
                                    interface_key="smtp", branch_id=service.branch_id,
                                    streak_id=1, failures=3, step="auth",
                                    reason="auth_failed"))
    db.session.commit()
    auth.login(world.staff)
    body = board(client)
    assert de("%(service)s failed %(count)s connection tests in a row.", service="Mail ST",
              count=3) in body
    assert "Anmeldung fehlgeschlagen" in body and "Mail UL" not in body
    auth.login(world.admin)
    assert de("%(service)s passes its connection test again.", service="Mail UL") in board(client)


def test_trend_counts_passed_and_failed_per_day_as_chart_and_table(client, auth, world,
                                                                   make_service):
    """The SVG is an image with a title and a description that says the totals; bars per
    day; the same numbers in a table; tests older than 30 days do not count."""
    service = make_service("smtp", name="Mail ST", branch_id=world.st.id)
    now = utcnow()
    for days_ago, ok in ((0, True), (0, False), (1, True), (2, False), (2, False), (40, False)):
        record_test(service, ok, now - timedelta(days=days_ago))
    auth.login(world.admin)
    body = board(client)
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    assert de("Connection tests of the last %(days)s days: %(passed)s passed, %(failed)s "
              "failed; the busiest day had %(peak)s.", days=30, passed=2, failed=3, peak=2) in svg
    assert svg.count('class="bar-failed" fill=') == 2 and svg.count('class="bar-passed"') == 2
    table = body[body.index('<details class="trend-table">'):]
    rows = re.findall(r'<tr><th scope="row">[^<]*</th><td>(\d+)</td><td>(\d+)</td></tr>', table)
    assert len(rows) == 30
    assert sum(int(p) for p, _f in rows) == 2 and sum(int(f) for _p, f in rows) == 3


def test_the_same_number_of_statements_for_2_and_for_20_branches(client, auth, world,
                                                                  make_service, count_queries):
    """However many branches, services, tests and notices there are, the board takes the
    same number of statements."""
    chain = make_service("smtp", name="Mail Kette", usage_server=True)
    record_test(chain, True)

    def grow(count):
        for index in range(count):
            branch = Branch(name=f"Filiale {index:02d}-{count}", short_code=f"F{count}x{index}")
            db.session.add(branch)
            db.session.commit()
            service = make_service("smtp", name=f"Mail {branch.name}", branch_id=branch.id,
                                   usage_server=True)
            record_test(service, index % 2 == 0)
            db.session.add(HealthNotice(kind=FAILING, service_id=service.id,
                                        service_name=service.name, interface_key="smtp",
                                        branch_id=branch.id, streak_id=index, failures=3))
            db.session.commit()

    auth.login(world.admin)
    board(client)  # warm: the login's own statements are not the board's
    with count_queries() as small:
        body = board(client)
    assert len(columns(body)) == 2
    grow(18)
    board(client)
    with count_queries() as big:
        body = board(client)
    assert len(columns(body)) == 20
    assert big.count == small.count


def test_build_board_directly(app, world, make_service):
    """health_page works from a service call too (the view only parses the request)."""
    make_service("smtp", name="Mail Kette", usage_server=True)
    with app.test_request_context():
        page = health.health_page(world.admin, group_key="nonsense", branch_id=999)
    assert (page.group_key, page.branch_id) == (None, None)
    assert [row.group.key for row in page.rows] == ["email"]
    assert len(page.trend) == 30 and page.chart["peak"] == 0


def test_chain_settings_for_the_nightly_tests(client, auth, world):
    """Filialkette → Schnittstellenzustand: the time of the nightly tests (empty: none) and
    after how many failed tests in a row an alert goes out; nonsense is refused beside the
    field."""
    auth.login(world.admin)
    page = client.get("/chain").get_data(as_text=True)
    assert 'name="health_check_time" type="time"' in page and 'value="3"' in page
    token = auth.csrf_token()
    form = {"name": "Testkette", "timezone": "Europe/Berlin", "version": "1",
            "csrf_token": token}
    response = client.post("/chain", headers=HX, data={**form, "health_check_time": "25:00",
                                                       "health_alert_after": "0"})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="error"') == 2
    response = client.post("/chain", headers=HX, data={**form, "health_check_time": "03:30",
                                                       "health_alert_after": "5"})
    assert response.status_code == 200
    chain = db.session.get(Chain, 1)
    db.session.refresh(chain)
    assert (chain.health_check_time, chain.health_alert_after) == ("03:30", 5)
    assert de("Nightly connection tests at %(time)s", time="03:30") in board(client)
    response = client.post("/chain", headers=HX, data={**form, "version": "2",
                                                       "health_check_time": "",
                                                       "health_alert_after": "5"})
    assert response.status_code == 200
    assert de("No nightly connection tests") in board(client)


def test_menu_entry_zustand_under_schnittstellen(client, auth, world):
    """The bar shows Zustand right after Schnittstellen; on the board it is the current
    screen, Schnittstellen is not."""
    auth.login(world.staff)
    body = board(client)
    nav = body[body.index("<nav"):body.index("</nav>")]
    assert '<a href="/interfaces/health" aria-current="page">Zustand</a>' in nav
    assert '<a href="/interfaces/">Schnittstellen</a>' in nav
