"""The global change log at /changelog/: entries in words, filters in the URL, htmx fragments,
who reads what, and secrets never shown."""
import re
from datetime import datetime, timedelta, timezone

from flask import render_template

from tests.factories import HX
from tests.translated import de, de_html
from webapp.changelog import registry
from webapp.changelog.display import escaped, readable
from webapp.changelog.services import entries_for
from webapp.companies.models import Company
from webapp.customers import services as customers
from webapp.extensions import db
from webapp.interfaces import services
from webapp.org.models import Branch
from webapp.org.services import update_branch
from webapp.processes import services as processes
from webapp.processes.models import ORDER_SERVICE
from webapp.users.models import User

SMTP_RAW = {"host": "mail.example.org", "port": "587", "encryption": "starttls",
            "sender_address": "filiale@example.org", "password": "streng-geheim-1"}


def at(day, hour=9):
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def rows(response):
    """The record names of the entries shown, in order."""
    body = response.get_data(as_text=True)
    table = body[body.index('<table class="list changelog">'):]
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<tr>\s*<td class=\"nowrap\">.*?</td>\s*<td>.*?</td>\s*"
                                   r"<td>.*?</td>\s*<td>(.*?)</td>", table, re.S)]


def test_entries_newest_first_in_words_with_links_to_existing_records(client, auth, org, add_entry):
    """Type, change type and field labels are German words; values as the forms show them; a
    record that still exists is linked, a deleted one is not."""
    add_entry("branch", org.st, "Stuttgart", changes=[
        {"field": "city", "old": "Stuttgart", "new": "Stuttgart-Mitte"},
        {"field": "office_email", "old": "", "new": "buero@example.org"}],
        branch=(org.st, "Stuttgart"), at=at(2))
    add_entry("user", org.staff, "Sam Staff", changes=[
        {"field": "password", "secret": True}, {"field": "role", "old": "staff",
                                                "new": "branch_manager"}], at=at(3))
    add_entry("workstation", 999, "ALT-PC", action="delete", branch=(org.st, "Stuttgart"),
              at=at(1))
    add_entry("workstation", org.st_till, "ST-KASSE", branch=(org.ul, "Ulm"), at=at(1, 8),
              changes=[{"field": "branch_id", "old": org.st, "new": org.ul}])
    auth.login("admin")
    response = client.get("/changelog/")
    assert response.status_code == 200
    assert rows(response) == ["Sam Staff", "Stuttgart", "ALT-PC", "ST-KASSE"]
    body = response.data
    assert de_html("Change log").join([b"<h1>", b"</h1>"]) in body
    for text in ("Branch", "User", "Workstation", "Changed", "Deleted", "City"):
        assert de_html(text) in body
    assert "Stuttgart</span> → <span class=\"new\">Stuttgart-Mitte".encode() in body
    # Business-office fields say so: the branch form has two "Street", "City" ….
    assert de_html("Business office") + b": " + de_html("E-mail") in body
    assert de_html("Branch manager") in body  # the role by its label, not "branch_manager"
    assert f'<a href="/branches/{org.st}">Stuttgart</a>'.encode() in body
    assert f'<a href="/users/{org.staff}">Sam Staff</a>'.encode() in body
    assert b"<td>ALT-PC</td>" in body
    # Moving a workstation stores branch ids; the log names the branches.
    assert "Stuttgart</span> → <span class=\"new\">Ulm".encode() in body


def test_service_changes_use_catalogue_labels_and_never_show_secrets(client, auth, org, app):
    """Interface fields by their catalogue labels, choices by their labels; a secret set or
    replaced is 'geändert' and its value appears nowhere, even after the service is gone."""
    with app.app_context():
        admin = db.session.get(User, org.admin)
        service = services.create_service(admin, "smtp", {"name": "Mail ST", "branch_id": org.st},
                                          dict(SMTP_RAW))
        services.update_service(admin, service, {}, {**SMTP_RAW, "encryption": "tls",
                                                     "password": "noch-geheimer-2"},
                                service.version)
        services.delete_service(admin, service)
        db.session.commit()  # outside a request the caller owns the transaction
    auth.login("admin")
    body = client.get("/changelog/").get_data(as_text=True)
    assert "streng-geheim-1" not in body and "noch-geheimer-2" not in body
    assert body.count(f'{de("Password")}</span>:\n            <em>{de("changed")}</em>') == 2
    assert "Verschlüsselung</span>:" in body  # the catalogue's label of "encryption"
    assert '<span class="old">STARTTLS</span> → <span class="new">SSL/TLS</span>' in body
    assert f"{de('Interface service')}</td>" in body
    # Three entries of a service that no longer exists: named, not linked.
    assert body.count("<td>Mail ST</td>") == 3 and not re.search(r'href="/interfaces/\d', body)


def test_customers_processes_templates_and_positions_in_words(client, auth, org, app):
    """What the customer and process screens save reads as their forms say it: type labels,
    field labels, codes in words (Anrede, Vorgangsart, Seite, Status), decimals with a comma,
    the ordering step by its kind, a ticked step by its name; each record linked, a position
    to its row on the process page until it is deleted. The type filter offers the types."""
    with app.app_context():
        admin = db.session.get(User, org.admin)
        customer = customers.create_customer(admin, {
            "salutation": "ms", "first_name": "Erika", "last_name": "Muster", "street": "",
            "postal_code": "", "city": "Stuttgart", "phone": "", "mobile": "", "email": "",
            "note": "", "branch_id": org.st})
        template = processes.create_template(admin, {"name": "Otoplastik",
                                                     "process_type": "ear_mould", "active": True})
        processes.add_template_step(admin, template, "Abdrucknahme")
        processes.add_template_step(admin, template, "Bestellung", ORDER_SERVICE)
        process = processes.create_process(admin, customer, template.id, org.st, "Otoplastik")
        processes.set_step_done(admin, process, process.steps[0], True)
        position = processes.create_position(admin, process, {
            "side": "left", "style": "Concha", "material": "Acryl", "venting": 1.5,
            "colour": "", "notes": "", "impression_ref": "ABD-1"})
        processes.set_status(admin, process, "closed")
        db.session.commit()  # outside a request the caller owns the transaction
        ids = dict(customer=customer.id, template=template.id, process=process.id,
                   position=position.id)
    auth.login("admin")
    page = client.get("/changelog/")
    body = page.get_data(as_text=True)
    for type_label in ("Customer", "Process template", "Process", "Ear-mould position"):
        assert f"<td>{de(type_label)}</td>" in body
    assert f'<a href="/customers/{ids["customer"]}">Muster, Erika</a>' in body
    assert f'<a href="/process-templates/{ids["template"]}">Otoplastik</a>' in body
    assert f'<a href="/processes/{ids["process"]}">Otoplastik</a>' in body
    assert re.search(rf'<a href="/processes/{ids["process"]}#position-{ids["position"]}">'
                     rf'Otoplastik: {de("Left")}</a>', body)

    def change(label, value, old=None):
        shown = f'<span class="new">{value}</span>'
        if old is not None:
            shown = f'<span class="old">{old}</span> → {shown}'
        return f'<span class="field-name">{label}</span>:\n            {shown}' in body

    assert change(de("Customer no."), f"K-{ids['customer']:06d}")
    assert change(de("Salutation"), de("Ms")) and change(de("Branch"), "Stuttgart")
    assert change(de("Process type"), de("Ear mould"))  # template and process
    assert change(de("Active"), de("yes"))
    assert change(de("Steps"), f"Abdrucknahme, Bestellung ({de('Order service')})")
    assert change(de("Step “%(name)s” done", name="Abdrucknahme"), de("yes"), old=de("no"))
    assert change(de("Status"), de("closed"), old=de("open"))
    assert change(de("Side"), de("Left")) and change(de("Venting (mm)"), "1,5")
    assert change(de("Impression / scan no."), "ABD-1")
    for entity_type in ("customer", "process", "ear_mould_position", "process_template"):
        label = registry.of(app).type_label(entity_type)
        assert f'<option value="{entity_type}">{de(label)}</option>' in body
    assert rows(client.get("/changelog/?type=ear_mould_position")) == [f"Otoplastik: {de('Left')}"]

    with app.app_context():
        admin = db.session.get(User, org.admin)
        processes.set_status(admin, processes.get_process(ids["process"]), "open")
        position = processes.get_process(ids["process"]).positions[0]
        processes.delete_position(admin, position)
        db.session.commit()
    gone = client.get("/changelog/?type=ear_mould_position").get_data(as_text=True)
    assert f"#position-{ids['position']}" not in gone
    assert gone.count(f"<td>Otoplastik: {de('Left')}</td>") == 2


def test_branch_lab_by_name_in_the_log_and_the_branch_history(client, auth, org, app):
    """The branch's Vordefiniertes Otoplastik-Labor is stored by id; the change log and the
    branch editor's history both name the company."""
    with app.app_context():
        dreve = Company(name="Dreve Otoplastik", is_lab=True)
        db.session.add(dreve)
        db.session.commit()
        admin = db.session.get(User, org.admin)
        branch = db.session.get(Branch, org.st)
        update_branch(admin, branch, {"name": branch.name, "short_code": branch.short_code,
                                      "ear_mould_lab_id": dreve.id}, branch.version)
        db.session.commit()  # outside a request the caller owns the transaction
        lab = dreve.id
    auth.login("admin")
    body = client.get("/changelog/?type=branch").get_data(as_text=True)
    assert (f'<span class="field-name">{de("Predefined ear-mould lab")}</span>:\n'
            '            <span class="old">—</span> → <span class="new">Dreve Otoplastik</span>'
            in body)
    history = client.get(f"/branches/{org.st}", headers=HX).get_data(as_text=True)
    history = history[history.index('<details class="history">'):]
    assert f'{de("Predefined ear-mould lab")}: — → Dreve Otoplastik' in history
    assert f"→ {lab}<" not in history


def test_revealed_secret_is_logged_as_viewed(client, auth, org, add_entry):
    """A reveal names the field and says it was viewed, without a value."""
    add_entry("interface_service", 5, "Mail ST", action="reveal",
              changes=[{"field": "password", "secret": True}])
    auth.login("admin")
    body = client.get("/changelog/").data
    assert de_html("Secret viewed") in body and de_html("viewed").join([b"<em>", b"</em>"]) in body


def test_filters(client, auth, org, add_entry):
    """Type, change type, branch (or chain-wide), employee, days in the chain's time zone
    and a search term in names and changes each narrow the list."""
    add_entry("branch", org.st, "Stuttgart", branch=(org.st, "Stuttgart"), at=at(2),
              changes=[{"field": "street", "old": "", "new": "Königstraße 1"}])
    add_entry("branch", org.ul, "Ulm", action="create", branch=(org.ul, "Ulm"), at=at(3),
              user=(org.manager, "Maria Manager"))
    add_entry("company", 7, "Hörgeräte Müller", action="create", at=at(4))
    add_entry("interface_service", 5, "Mail ST", action="plan_back", at=at(5))
    # 23:30 UTC on 1 March is already 2 March in Berlin.
    add_entry("chain", 1, "Testkette", at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))
    auth.login("admin")

    def names(query):
        return sorted(rows(client.get(f"/changelog/?{query}")))

    assert names("type=branch") == ["Stuttgart", "Ulm"]
    assert names("action=create") == ["Hörgeräte Müller", "Ulm"]
    # The steps of a planned credential change are change types of their own.
    assert names("action=plan_back") == ["Mail ST"]
    assert names(f"branch={org.ul}") == ["Ulm"]
    assert names("branch=chain") == ["Hörgeräte Müller", "Mail ST", "Testkette"]
    assert names(f"user={org.manager}") == ["Ulm"]
    assert names("from=2026-03-02&to=2026-03-02") == ["Stuttgart", "Testkette"]
    assert names("to=2026-03-01") == []
    assert names("q=müller") == ["Hörgeräte Müller"]
    assert names("q=K%C3%B6nigstra%C3%9Fe") == ["Stuttgart"]  # inside the stored changes
    assert names("q=50%25") == []  # LIKE wildcards are searched literally
    assert names("type=nonsense&action=nonsense&from=gestern") == sorted(
        ["Stuttgart", "Ulm", "Hörgeräte Müller", "Mail ST", "Testkette"])


def test_htmx_gets_the_entries_and_the_page_reflects_the_url(client, auth, org, add_entry):
    """An htmx filter request gets only the table; the full page of the same URL shows the
    filters as chosen."""
    add_entry("branch", org.st, "Stuttgart", branch=(org.st, "Stuttgart"))
    add_entry("company", 7, "Dreve", action="create")
    auth.login("admin")
    fragment = client.get("/changelog/?type=company", headers=HX)
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert rows(fragment) == ["Dreve"]
    assert "HX-Request" in fragment.headers["Vary"]
    page = client.get(f"/changelog/?type=company&branch=chain&q=dre&from=2026-03-01"
                      f"&user={org.admin}").get_data(as_text=True)
    assert '<option value="company" selected>' in page
    assert '<option value="chain" selected>' in page
    assert f'<option value="{org.admin}" selected>' in page
    assert 'name="q" value="dre"' in page and 'name="from" value="2026-03-01"' in page
    assert 'hx-target="#changelog-entries" hx-push-url="true"' in page


def test_pages_of_entries_keep_the_filters(client, auth, org, add_entry, app):
    """30 entries: 25 on the first page, 5 on the second; the pager keeps the filter."""
    for number in range(30):
        add_entry("company", number, f"Firma {number:02d}", at=at(1) + timedelta(minutes=number))
    auth.login("admin")
    first = client.get("/changelog/?type=company")
    assert rows(first)[0] == "Firma 29" and len(rows(first)) == 25
    assert b'href="/changelog/?type=company&amp;page=2"' in first.data
    second = client.get("/changelog/?type=company&page=2")
    assert rows(second) == [f"Firma {n:02d}" for n in range(4, -1, -1)]
    # Not counted (the log grows to millions of entries): "Seite 2", no number of pages, and
    # no link on after the last entry.
    assert de_html("Page %(page)s", page=2) in second.data and b'rel="next"' not in second.data
    assert de_html("Page %(page)s of %(pages)s", page=2, pages=2) not in second.data
    searched = client.get("/changelog/?q=firma")
    assert len(rows(searched)) == 25 and b'href="/changelog/?q=firma&amp;page=2"' in searched.data
    assert de_html("Page %(page)s", page=1) in searched.data
    last = client.get("/changelog/?q=firma&page=2")
    assert len(rows(last)) == 5 and b'rel="next"' not in last.data and b'rel="prev"' in last.data


def test_branch_manager_reads_own_branches_and_chain_wide_entries(client, auth, org, add_entry):
    """Maria (Stuttgart) sees Stuttgart's entries and chain-wide ones, not Ulm's and not the
    directory settings; the type filter does not offer those either."""
    add_entry("workstation", org.st_till, "ST-KASSE", branch=(org.st, "Stuttgart"))
    add_entry("branch", org.ul, "Ulm", branch=(org.ul, "Ulm"))
    add_entry("company", 7, "Dreve")
    add_entry("ldap_settings", 1, "LDAP", changes=[{"field": "bind_password", "secret": True}])
    auth.login("maria")
    page = client.get("/changelog/")
    assert sorted(rows(page)) == ["Dreve", "ST-KASSE"]
    assert b'value="ldap_settings"' not in page.data
    assert b">Ulm</option>" not in page.data and b">Stuttgart</option>" in page.data
    assert sorted(rows(client.get(f"/changelog/?branch={org.ul}"))) == []
    assert de_html("Change log") in client.get("/").data  # in the navigation
    assert de_html("You see the entries of your branches (with their workstations and services) "
                   "and the chain-wide ones.") in page.data


def test_entries_fragment_for_a_record_history(app, org, add_entry):
    """Other screens include _entries.html with compact=true: time, employee and change only."""
    add_entry("interface_service", 5, "Mail ST", changes=[{"field": "host", "old": "a.example",
                                                           "new": "b.example"}])
    with app.test_request_context():
        html = render_template("changelog/_entries.html", compact=True,
                               rows=escaped(readable(entries_for("interface_service", 5))))
    assert "Mail ST" not in html and de("Record") not in html and 'class="pager"' not in html
    assert "Server</span>:" in html and "a.example</span> → <span class=\"new\">b.example" in html


def test_staff_may_not_read_the_change_log(client, auth, org):
    """Staff get 403 and no navigation entry."""
    auth.login("sam")
    assert client.get("/changelog/").status_code == 403
    assert client.get("/changelog/", headers=HX).status_code == 403
    assert b'href="/changelog/"' not in client.get("/").data


def test_statement_count_does_not_grow_with_entries(client, auth, org, add_entry, count_queries,
                                                    app):
    """A page of 25 entries costs as many statements as a page of one entry of each type."""
    kinds = [("branch", org.st), ("workstation", org.st_till), ("user", org.staff),
             ("company", 3), ("interface_service", 4), ("chain", 1), ("customer", 5),
             ("process", 6), ("process_template", 7), ("ear_mould_position", 8)]
    with app.app_context():
        labs = [Company(name=f"Labor {number}", is_lab=True) for number in range(2)]
        db.session.add_all(labs)
        db.session.commit()
        labs = [lab.id for lab in labs]

    def add(count):
        for number in range(count):
            entity_type, entity_id = kinds[number % len(kinds)]
            add_entry(entity_type, entity_id, f"{entity_type} {number}",
                      changes=[{"field": "branch_id", "old": org.st, "new": org.ul},
                               {"field": "ear_mould_lab_id", "old": labs[0], "new": labs[1]}],
                      branch=(org.st, "Stuttgart"))

    add(len(kinds))
    auth.login("admin")
    client.get("/changelog/")
    with count_queries() as few:
        assert client.get("/changelog/").status_code == 200
    add(40)
    with count_queries() as many:
        assert client.get("/changelog/").status_code == 200
    assert many.count == few.count
