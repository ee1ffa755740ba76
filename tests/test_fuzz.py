"""No input answers 500. Every URL rule of app.url_map is requested with hostile ids, and
hypothesis posts hostile values (NUL and control characters, huge and negative numbers,
digits int() refuses, long and unicode strings, empty and missing fields) into every form
the pages offer and hostile query parameters to every page — as an administrator, a branch
manager and staff, on SQLite and (with TEST_DATABASE_URL) PostgreSQL. A refused post changes
nothing in the database. Deterministic (derandomize) and bounded: well under a minute."""
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.factories import HX, ear_mould_raw, order_one
from webapp.extensions import db
from webapp.processes.models import TemplateStep

ROLES = ("admin", "manager", "staff")
HOSTILE_IDS = (2**63, 2**31, 2**31 - 1, 0, -1)
HOSTILE_TEXT = (
    "", " ", "\x00", "a\x00b", "\x1b[31mrot", "\t", "a\r\nb", "\x7f", "\x85", "\u202eabc",
    "-1", "0", "1", "2147483648", "9223372036854775808", "9" * 5000, "²", "١٢", "1e309",
    "NaN", "inf", "1.5", "1,5", "None", "null", "y", "on", "n", "chain", "%", "_", "\\",
    "<script>x</script>", "'; --", "ldap://127.0.0.1", "http://127.0.0.1:6379/",
    "../../etc/passwd", "/a\r\nSet-Cookie: x=1", "/\n/evil.example", "x" * 10000,
    "💥" * 50, "2026-02-30", "31.12.9999",
)
# What the posts without a form on a page (buttons, the language switch …) may read.
ACTION_FIELDS = ("version", "name", "next", "lang", "direction", "done", "branch_id",
                 "company_id", "username", "password")
QUERY_NAMES = ("page", "q", "branch", "user", "company_id", "supplier_id", "row", "status",
               "type", "from", "to", "on", "group", "sort", "all", "ws", "igroup", "iq",
               "next", "role", "action")
# Tables a refused request may still write, and why.
WRITTEN_ON_REFUSAL = {
    "login_attempts": "a refused login counts towards the lock-out (auth.views.login_post)",
}
# No shrinking: an example is many requests, and the assertion names the failing one.
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.reuse, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers().map(str),
)


# --- the chain the requests work on ---------------------------------------------------------

@pytest.fixture
def records(world, make_service):
    """Real ids for every kind of URL argument: the world's chain plus an SMTP service of
    the chain, the Dreve service of Stuttgart and one order through it."""
    make_service("smtp", name="Kette SMTP")
    till = make_service("smtp", {"port": "25"}, name="Kasse SMTP",
                        workstation_id=world.st_till.id)
    dreve = make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                         name="Dreve ST", branch_id=world.st.id)
    order = order_one(world, world.dreve)
    template_step = db.session.scalar(db.select(TemplateStep).limit(1))
    return {
        "branch_id": world.st.id, "station_id": world.st_till.id, "service_id": dreve.id,
        "company_id": world.dreve.id, "customer_id": world.customer.id,
        "process_id": world.process.id, "position_id": world.process.positions[0].id,
        "template_id": world.template.id, "order_id": order.id, "user_id": world.staff.id,
        "step_id": world.process.steps[0].id, "template_step_id": template_step.id,
        "interface_key": "dreve_smartorder", "field_key": "password",
        "table_key": "templates", "workstation_service_id": till.id,
    }


def _real(rule, name, records):
    if name == "step_id" and rule.startswith("/process-templates"):
        return records["template_step_id"]
    if name == "service_id" and rule.startswith("/workstations/"):
        return records["workstation_service_id"]
    if name == "interface_key" and "<table_key>" in rule:
        return "card_order"  # the interface with a table
    return records.get(name, 1)


def build(rule, records, fill=None):
    """`rule` with its arguments replaced: real ids, or `fill` for every one of them."""
    def replace(match):
        name = match["name"]
        value = _real(rule, name, records) if fill is None else fill
        return quote(str(value), safe="")
    return re.sub(r"<(?:[^:>]+:)?(?P<name>[^>]+)>", replace, rule)


def rules(app, method):
    """The rules answering `method`; deletions last, so the records live for the others."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if method in rule.methods and rule.endpoint != "static"},
                  key=lambda rule: (rule.endswith("/delete"), rule))


def snapshot():
    """Every row of every table, to compare before and after a refused post (through the
    driver's cursor: this runs before and after most posts)."""
    db.session.commit()  # end the test's own transaction: read what the requests left
    names = [table.name for table in db.metadata.sorted_tables
             if table.name not in WRITTEN_ON_REFUSAL]
    selects = [f'SELECT * FROM "{name}"' for name in names]
    cursor = db.session.connection().connection.cursor()
    if db.engine.dialect.name == "postgresql":  # one round trip, a result per table
        cursor.execute("; ".join(selects))
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    else:
        results = [cursor.execute(select).fetchall() for select in selects]
    cursor.close()
    return {name: sorted(map(repr, result)) for name, result in zip(names, results, strict=True)}


class Visitor:
    """One role's browser. It checks every answer for a 500 and, after a refused post,
    that the database is as the last accepted request left it. When a request finds the
    session ended (after Abmelden or a new password), it logs in again and repeats it."""

    def __init__(self, client, auth, csrf, user):
        self.client, self.auth, self.csrf, self.user = client, auth, csrf, user
        self.log_in()

    def log_in(self):
        self.auth.login(self.user)
        self.token = self.csrf()
        self.rows = None

    def _request(self, send):
        response = send()
        if response.status_code == 401 or (response.status_code in (302, 303)
                                           and urlsplit(response.location).path == "/login"):
            self.log_in()
            response = send()
        return response

    def get(self, url, query=None, htmx=False):
        response = self._request(lambda: self.client.get(
            url, query_string=query, headers=HX if htmx else {}))
        assert response.status_code != 500, f"GET {url} {query!r:.600}"
        return response

    def post(self, url, data=None, htmx=True):
        what = f"POST {url} {dict(data or {})!r:.600}"

        def send():
            if self.rows is None:
                self.rows = snapshot()
            return self.client.post(url, data=data, headers={
                "X-CSRFToken": self.token, **(HX if htmx else {})})

        response = self._request(send)
        assert response.status_code != 500, what
        if response.status_code < 400:
            self.rows = None  # taken again before the next post
            return response
        rows = snapshot()
        changed = {name: sorted(set(rows[name]) ^ set(self.rows[name]))[:4]
                   for name in rows if rows[name] != self.rows[name]}
        assert not changed, f"{what} was refused ({response.status_code}) but changed {changed}"
        return response


@pytest.fixture
def visitor(client, auth, csrf, world):
    """visitor(role): a Visitor logged in as the world's admin, manager or staff."""
    return lambda role: Visitor(client, auth, csrf, getattr(world, role))


def test_the_snapshot_sees_a_change(world):
    """The comparison is not vacuous: a changed row shows."""
    before = snapshot()
    world.customer.note = "geändert"
    db.session.commit()
    assert snapshot() != before


# --- the forms a page offers ----------------------------------------------------------------

class _Forms(HTMLParser):
    """Each <form>'s fields as a browser posts them, under its action and under every
    hx-post inside it (htmx includes the enclosing form)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current, self.disabled, self.buttons = {}, None, [], set()
        self.select = self.textarea = self.first_option = None
        self.selected, self.text = False, ""

    def _target(self, url, fields, button=False):
        self.forms.setdefault(urlsplit(url).path, fields)
        if button:
            self.buttons.add(urlsplit(url).path)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = []
            if attrs.get("action"):
                self._target(attrs["action"], self.current)
        if attrs.get("hx-post"):
            self._target(attrs["hx-post"], self.current if self.current is not None else [],
                         button=tag != "form")
        if tag == "fieldset":  # a disabled fieldset's inputs are not posted
            self.disabled.append("disabled" in attrs)
        if self.current is None or "disabled" in attrs or any(self.disabled):
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self.current.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select, self.first_option, self.selected = name, None, False
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in attrs:
                self.current.append((self.select, value))
                self.selected = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "fieldset" and self.disabled:
            self.disabled.pop()
        elif tag == "select" and self.select:
            if not self.selected and self.first_option is not None and self.current is not None:
                self.current.append((self.select, self.first_option))
            self.select = None
        elif tag == "textarea" and self.textarea:
            if self.current is not None:
                self.current.append((self.textarea, self.text))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def forms_of(response):
    """The page's forms (.forms: {action path: [(name, value)]}) and the paths only a
    button's hx-post names (.buttons: Löschen … read few of their form's fields)."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    return parser


def form_pages(app, visitor, records):
    """{form action path: (the page that shows the form, whether a button posts it)}, from
    every page `visitor` opens."""
    found = {}
    for rule in rules(app, "GET"):
        page = build(rule, records)
        response = visitor.get(page)
        if response.status_code == 200 and response.mimetype == "text/html":
            forms = forms_of(response)
            for action in forms.forms:
                found.setdefault(action, (page, action in forms.buttons))
    return found


# --- the properties -----------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_no_url_rule_answers_500_for_hostile_ids(app, visitor, records, role):
    """Every rule, once with real ids and (as the administrator) once with each id at
    2**63, 2**31, 2**31 - 1, 0 and -1: 404 or another refusal, never 500; a refused post
    changes nothing."""
    browser = visitor(role)
    # Hostile ids reach no view before the converter or the record lookup refuses them,
    # whoever asks: the other roles request the rules with real ids.
    hostile = HOSTILE_IDS if role == "admin" else ()
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            for fill in (None, *hostile) if "<int:" in rule else (None,):
                url = build(rule, records, fill)
                browser.get(url) if method == "GET" else browser.post(url)


field_value = st.one_of(st.none(), hostile_text, st.lists(hostile_text, min_size=2, max_size=3))
# Left out, empty, NUL, not a number, out of range, digits int() refuses, far too long.
KEY_VALUES = (None, "", "\x00", "abc", "-1", str(2**63), "²", "x" * 10000)


def first_values(names, offset):
    """Per field a strategy whose simplest value (the one hypothesis tries first) is one
    of KEY_VALUES, spread over the fields; then any hostile value."""
    return {name: st.one_of(st.sampled_from(KEY_VALUES[(i + offset) % len(KEY_VALUES):]
                                            + KEY_VALUES[:(i + offset) % len(KEY_VALUES)]),
                            field_value)
            for i, name in enumerate(names)}


def mutated(form, name, value):
    """`form` with `name` left out (None), or set to one hostile value or several."""
    data = form.copy()
    data.poplist(name)
    if isinstance(value, list):
        data.setlist(name, value)
    elif value is not None:
        data[name] = value
    return data


@pytest.mark.parametrize("role", ROLES)
def test_no_form_answers_500_and_a_refusal_changes_nothing(app, visitor, records, role):
    """Every field of every form the role's pages offer (and `version` everywhere), one at
    a time, left out and then with a hostile value from hypothesis, the rest as the page
    has it. Buttons (Löschen, Stornieren …) and the actions no page shows as a form get
    all the fields actions read at once; the sweep above posts every rule empty."""
    browser = visitor(role)
    pages = form_pages(app, browser, records)
    for rule in rules(app, "POST"):
        url = build(rule, records)
        page, button = pages.get(url, (None, False))
        if page is None and role != "admin":
            continue

        def rendered():
            return MultiDict(forms_of(browser.get(page)).forms.get(url, []) if page else [])

        form = rendered()
        if not form or button:
            fuzz_action(browser, url, form)
            continue
        # Not the CSRF token: a bad one is refused before any form sees the post.
        names = sorted(set(form) - {"csrf_token"} | {"version"})
        if role != "admin" and names == ["version"]:
            continue  # shown read-only (a disabled fieldset): the sweep posts it empty

        # The first example hypothesis tries is the simplest: for the administrator every
        # field left out in turn, then hostile values; the other roles (fewer editable
        # forms, the same parsing) one example, its values spread over KEY_VALUES.
        admin = role == "admin"
        strategies = ({name: field_value for name in names} if admin
                      else first_values(names, ROLES.index(role) * 3))

        @settings(max_examples=2 if admin else 1, **SETTINGS)
        @given(values=st.fixed_dictionaries(strategies), plain=st.booleans())
        def post(values, plain):
            nonlocal form
            for name, value in values.items():
                data = mutated(form, name, value)
                conflict = browser.post(url, data, htmx=not plain).status_code == 409
                if conflict and "version" in form and name != "version":
                    form = rendered()  # saved meanwhile by an accepted post: a new version
                    data["version"] = form["version"]
                    browser.post(url, data, htmx=not plain)

        post()


def fuzz_action(browser, url, form):
    @settings(max_examples=4, **SETTINGS)
    @given(values=st.fixed_dictionaries({name: field_value for name in ACTION_FIELDS}),
           plain=st.booleans())
    def post(values, plain):
        data = form
        for name, value in values.items():
            data = mutated(data, name, value)
        browser.post(url, data, htmx=not plain)

    post()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_answers_500_for_hostile_query_parameters(app, visitor, records, role):
    """page=, branch=, user=, q= … on every page: (as the administrator) each of a few
    hostile values in all of them at once, then hypothesis's mixtures."""
    browser = visitor(role)
    get_rules = rules(app, "GET")
    for rule in get_rules if role == "admin" else ():
        for value in (str(2**63), "\x00", "/a\r\nSet-Cookie: x=1"):
            browser.get(build(rule, records), dict.fromkeys(QUERY_NAMES, value))

    @settings(max_examples=30, **SETTINGS)
    @given(data=st.data())
    def get(data):
        rule = data.draw(st.sampled_from(get_rules), label="rule")
        fill = data.draw(st.sampled_from((None,) * 4 + HOSTILE_IDS), label="ids")
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), hostile_text,
                                          min_size=1, max_size=4), label="query")
        browser.get(build(rule, records, fill), query, htmx=data.draw(st.booleans()))

    get()
