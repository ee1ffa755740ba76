"""The interface screens ("Schnittstellen suchen" with the editor beside it): list, filters,
sorting and paging, the Neu dialog, create / save / copy / delete through htmx and plain posts,
messages beside the fields, conflicts, the change log, help, secrets and table rows."""
import html
import re

import pytest
from sqlalchemy import event

from tests.factories import DREVE_PASSWORD, HX, SMTP_RAW, add_documents, dreve_form, make_config
from tests.translated import de, de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.models import InterfaceService
from webapp.org.models import Chain

SECRET = DREVE_PASSWORD  # what dreve_form posts
CARD_TEMPLATE = {"name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "weekly",
                 "card_template": "Karte", "card_type": "chip", "card_kind": "customer_card"}
WEBHOOK = {"webhook_url": "https://hooks.example.org/x"}  # several per branch allowed


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, PAGE_SIZE=4)  # German UI; small pages to test paging


def ear_mould_raw(world, company=None, password=SECRET):
    return {"companies": [str((company or world.dreve).id)],
            "base_url": "https://order.example.org", "username": "filiale",
            "password": password}


def count_services():
    return db.session.scalar(db.select(db.func.count(InterfaceService.id)))


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- list ----------------------------------------------------------------------------------

def test_list_page_and_fragment(client, auth, world, make_service):
    """The pushed URL renders the whole page; an htmx search only the list, varying on
    HX-Request; the group, branch and workstation filters narrow it down."""
    make_service("smtp", name="Kette SMTP")
    make_service("smtp", name="Ulm SMTP", branch_id=world.ul.id)
    make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve ST", branch_id=world.st.id)
    make_service("smtp", {"port": "25"}, name="Kasse SMTP", workstation_id=world.st_till.id)
    auth.login(world.admin)

    page = client.get("/interfaces/")
    assert page.status_code == 200 and b"<html" in page.data
    assert "HX-Request" in page.headers["Vary"]
    assert de_html("Search interfaces") in page.data
    body = page.get_data(as_text=True)
    assert "Kette SMTP" in body and "Dreve ST" in body and "Kasse SMTP" not in body
    assert 'hx-trigger="input changed delay:300ms' in body

    fragment = client.get("/interfaces/?q=ulm", headers=HX)
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    assert b"Ulm SMTP" in fragment.data and b"Kette SMTP" not in fragment.data

    by_group = client.get("/interfaces/?group=ear_mould_ordering", headers=HX).data
    assert b"Dreve ST" in by_group and b"Kette SMTP" not in by_group
    by_branch = client.get(f"/interfaces/?branch={world.ul.id}", headers=HX).data
    assert b"Ulm SMTP" in by_branch and b"Dreve ST" not in by_branch
    chain_only = client.get("/interfaces/?branch=chain", headers=HX).data
    assert b"Kette SMTP" in chain_only and b"Ulm SMTP" not in chain_only

    stations = client.get("/interfaces/?ws=y", headers=HX).get_data(as_text=True)
    assert "Kasse SMTP" in stations and "Kette SMTP" not in stations
    assert f'<th scope="col">{de("Workstation")}</th>' in stations and "ST-KASSE" in stations
    # The search form sends its empty fields too; the pushed address leaves them out.
    searched = client.get("/interfaces/?q=ulm&group=&branch=&sort=group",
                          headers={**HX, "HX-Trigger": "service-search"})
    assert searched.headers["HX-Push-Url"] == "/interfaces/?q=ulm"
    assert "HX-Push-Url" not in fragment.headers  # the list's own refresh pushes nothing
    # The search, pushed as the URL, renders the whole page with the same filters.
    full = client.get("/interfaces/?ws=y&q=kasse")
    assert b"<html" in full.data and b"Kasse SMTP" in full.data
    assert b'name="ws" value="y" checked' in full.data


def test_columns_status_and_usage(client, auth, world, make_service):
    """Status reads aktiv / geplant ab <date> / deaktiviert; usage and start per row."""
    import datetime

    later = services.chain_today() + datetime.timedelta(days=30)
    make_service("smtp", name="Aktiv SMTP")
    make_service("smtp", name="Geplant SMTP", branch_id=world.st.id, start_date=later)
    make_service("smtp", name="Aus SMTP", branch_id=world.ul.id, enabled=False)
    auth.login(world.admin)
    body = client.get("/interfaces/", headers=HX).get_data(as_text=True)
    rows = {text_of(row).split(" ")[1] + " SMTP": text_of(row)
            for row in re.findall(r"<tr>\s*<td>.*?</tr>", body, re.S)}
    assert rows["Aktiv SMTP"].endswith(de("active"))
    assert rows["Geplant SMTP"].endswith(de("planned from %(date)s",
                                            date=later.strftime("%d.%m.%Y")))
    assert rows["Aus SMTP"].endswith(de("deactivated"))
    assert de("Server-side") in body and de("Client-side") in body
    assert de("all branches") in rows["Aktiv SMTP"] and "Stuttgart" in rows["Geplant SMTP"]


def test_sorting_by_column(client, auth, world, make_service):
    """Column headers are links that sort; the sorted one says so with aria-sort, and the
    order is kept by the search form (hidden input) for the next search."""
    make_service("smtp", name="b-smtp", branch_id=world.ul.id)
    make_service("dreve_smartorder", ear_mould_raw(world), name="a-dreve", branch_id=world.st.id)
    make_service("smtp", name="c-smtp")
    auth.login(world.admin)

    by_group = client.get("/interfaces/", headers=HX).get_data(as_text=True)
    # Catalogue order of the groups: E-Mail before Otoplastikbestellung.
    assert by_group.index("b-smtp") < by_group.index("a-dreve")
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="/interfaces/\?sort=group"',
                     by_group)

    by_name = client.get("/interfaces/?sort=name", headers=HX).get_data(as_text=True)
    assert by_name.index("a-dreve") < by_name.index("b-smtp") < by_name.index("c-smtp")
    assert re.search(r'aria-sort="ascending"><a href="/interfaces/\?sort=name"', by_name)
    assert '<input type="hidden" name="sort" value="name" form="service-search">' in by_name

    by_branch = client.get("/interfaces/?sort=branch", headers=HX).get_data(as_text=True)
    # Chain-wide first, then the branches by name (Stuttgart, Ulm).
    assert by_branch.index("c-smtp") < by_branch.index("a-dreve") < by_branch.index("b-smtp")
    filtered = client.get("/interfaces/?q=smtp&sort=name", headers=HX).get_data(as_text=True)
    assert 'href="/interfaces/?q=smtp&amp;sort=branch"' in filtered


def test_pagination(client, auth, world, make_service):
    """Four per page here: page 2 has the rest, and the pager keeps the filters."""
    for number in range(6):
        make_service("webhook_notification", WEBHOOK, name=f"Mail {number}",
                     branch_id=world.st.id)
    auth.login(world.admin)
    first = client.get("/interfaces/?q=mail&sort=name", headers=HX).get_data(as_text=True)
    assert "Mail 0" in first and "Mail 3" in first and "Mail 4" not in first
    assert 'href="/interfaces/?q=mail&amp;sort=name&amp;page=2"' in first
    second = client.get("/interfaces/?q=mail&sort=name&page=2", headers=HX).get_data(as_text=True)
    assert "Mail 4" in second and "Mail 5" in second and "Mail 0" not in second
    assert b"<html" in client.get("/interfaces/?q=mail&sort=name&page=2").data


def test_list_queries_do_not_grow_with_the_services(client, auth, world, make_service,
                                                    count_queries):
    """The list fragment reads services with their branches and workstations in one go."""
    auth.login(world.admin)

    def list_queries():
        client.get("/interfaces/?ws=y", headers=HX)  # warm up (session, chain)
        with count_queries() as counter:
            assert client.get("/interfaces/?ws=y", headers=HX).status_code == 200
        with count_queries() as plain:
            assert client.get("/interfaces/", headers=HX).status_code == 200
        return counter.count, plain.count

    make_service("smtp", name="Chain 1")
    make_service("smtp", {"port": "25"}, name="ST 1", workstation_id=world.st_till.id)
    few = list_queries()
    for number in range(3):
        make_service("webhook_notification", WEBHOOK, name=f"Mail {number}",
                     branch_id=world.ul.id)
    make_service("smtp", {"port": "25"}, name="UL 1", workstation_id=world.ul_till.id)
    make_service("smtp", name="ST Filiale", branch_id=world.st.id)
    assert list_queries() == few


def test_the_editor_reads_the_chain_once(client, auth, world, make_service, app):
    """The editor page asks for the chain for its settings and for today's date in the
    chain's time zone: the login's statement reads them, and nothing reads them again."""
    auth.login(world.admin)
    service = make_service("smtp", name="Mail chain")
    statements = []

    def note(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/interfaces/{service.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len([s for s in statements if "FROM chain" in s or "JOIN chain" in s]) == 1


# --- Neu -----------------------------------------------------------------------------------

def test_new_dialog_searches_the_catalogue(client, auth, world):
    """Neu opens a dialog; its live search finds interfaces by name and group among those
    allowed in branch management; choosing one opens the form with the defaults."""
    auth.login(world.admin)
    dialog = client.get("/interfaces/new", headers=HX).get_data(as_text=True)
    assert dialog.lstrip().startswith("{") is False and "<html" not in dialog
    assert "<dialog" in dialog and "data-open-modal" in dialog
    assert de("New service: choose an interface") in dialog

    found = client.get("/interfaces/new/choices?iq=smartorder", headers=HX).get_data(as_text=True)
    assert "Dreve SmartOrder" in found and "SMTP" not in found and "<dialog" not in found
    assert 'href="/interfaces/new/dreve_smartorder"' in found and "data-close-dialog" in found
    by_group = client.get("/interfaces/new/choices?igroup=ear_mould_ordering",
                          headers=HX).get_data(as_text=True)
    assert "Otofaktur Otoport" in by_group and "SMTP-Postausgangsserver" not in by_group
    # A TSE lives on a workstation only: not offered in branch management.
    assert "Swissbit" not in client.get("/interfaces/new/choices?iq=tse", headers=HX).get_data(
        as_text=True)
    assert b"<html" in client.get("/interfaces/new/choices?iq=dreve").data

    form = client.get("/interfaces/new/dreve_smartorder", headers=HX).get_data(as_text=True)
    assert 'id="service-form"' in form and "<html" not in form
    assert 'name="name" required type="text" value="Dreve SmartOrder"' in form
    assert 'name="connect_timeout"' in form and 'value="10"' in form  # catalogue default
    assert 'name="password"' in form and de("not set") in form


def test_create_with_htmx(client, auth, csrf, world):
    """A valid htmx create returns the editor with a notice, pushes its URL, refreshes the
    list; the secret is stored, never echoed."""
    auth.login(world.admin)
    response = client.post("/interfaces/new/dreve_smartorder", data=dreve_form(world, csrf()),
                           headers=HX)
    assert response.status_code == 200
    assert "services-changed" in response.headers["HX-Trigger"]
    service = db.session.scalar(db.select(InterfaceService))
    assert response.headers["HX-Push-Url"] == f"/interfaces/{service.id}"
    assert de_html("Service created.") in response.data
    assert SECRET.encode() not in response.data
    assert service.branch_id == world.st.id and service.usage_server and not service.usage_client
    assert services.service_values(service)["username"] == "K-1001"
    assert services.stored_secret(service, "password") == SECRET


def test_create_plain_post_redirects(client, auth, csrf, world):
    """Without htmx a successful create redirects (303) to the service's page."""
    auth.login(world.admin)
    response = client.post("/interfaces/new/dreve_smartorder", data=dreve_form(world, csrf()))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert b"<html" in page.data and b"Dreve Stuttgart" in page.data
    assert de_html("Service created.") in page.data


@pytest.mark.parametrize("overrides, field_id, message", [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "<b>x</b>"}, "name", "Must not contain < or >."),
    ({"name": "x" * 121}, "name", None),
    ({"start_date": "31.02.2026"}, "start_date", "Enter a date such as 31.12.2025."),
    ({"usage_server": None}, "usage", "Choose at least one usage."),
    ({"base_url": "order.dreve"}, "f-base_url",
     "Enter a full address such as https://example.org."),
    ({"companies": None}, "f-companies", "This field is required."),
    ({"companies": "99999"}, "f-companies", "Choose an existing company."),
    ({"supplier": "COMPANY:hoerluchs"}, "f-supplier",
     "Choose a company that is marked as a supplier."),
    ({"connect_timeout": "500"}, "f-connect_timeout", "Enter a number from %(min)s to %(max)s."),
    ({"read_timeout": "abc"}, "f-read_timeout", "Enter a number."),
    ({"password": ""}, "f-password", "This field is required."),
    ({"branch_id": "99999"}, "branch_id", None),
])
def test_each_invalid_input_gets_its_message_beside_the_field(client, auth, csrf, world,
                                                               overrides, field_id, message):
    """422 with the message next to the field (aria-describedby), nothing saved, the input
    kept — except the password, which is never sent back."""
    auth.login(world.admin)
    if overrides.get("supplier") == "COMPANY:hoerluchs":
        overrides = {"supplier": str(world.hoerluchs.id)}
    data = dreve_form(world, csrf(), **overrides)
    response = client.post("/interfaces/new/dreve_smartorder", data=data, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', body, re.S)
    assert error, body[:2000]
    if message:
        expected = de(message, min=1, max=120) if "%(" in message else de(message)
        assert expected in html.unescape(error[1])
    if field_id.startswith("f-") or field_id in ("name", "start_date"):
        assert f'aria-describedby="{field_id}-error"' in body or \
            f'aria-describedby="{field_id}-help {field_id}-error"' in body
    assert SECRET not in body and count_services() == 0
    assert "<html" not in body


def test_both_common_and_field_messages_at_once(client, auth, csrf, world):
    """A bad name does not hide the field messages: all problems show together."""
    auth.login(world.admin)
    response = client.post("/interfaces/new/dreve_smartorder",
                           data=dreve_form(world, csrf(), name="", base_url="nope"), headers=HX)
    assert response.status_code == 422
    assert b'id="name-error"' in response.data and b'id="f-base_url-error"' in response.data
    # The typed password is not sent back; the form asks for it again.
    assert de_html("The value you typed is not sent back to the browser: enter it again.") \
        in response.data


def test_save_and_no_changes(client, auth, csrf, world, make_service):
    """Saving a change answers with the editor and a notice; saving nothing says so."""
    service = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve",
                           branch_id=world.st.id)
    auth.login(world.admin)
    form = dreve_form(world, csrf(), name="Dreve neu", version=str(service.version),
                      password="", username="filiale", base_url="https://order.example.org",
                      connect_timeout="", read_timeout="")
    response = client.post(f"/interfaces/{service.id}", data=form, headers=HX)
    assert response.status_code == 200 and de_html("Saved.") in response.data
    assert "services-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert service.name == "Dreve neu" and service.version == 2
    assert services.stored_secret(service, "password") == SECRET  # empty = kept
    form["version"] = "2"
    again = client.post(f"/interfaces/{service.id}", data=form, headers=HX)
    assert de_html("No changes.") in again.data


def test_saving_over_a_newer_change_is_a_conflict(client, auth, csrf, world, make_service):
    """409 naming who saved meanwhile; the user's input stays in the form."""
    service = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve",
                           branch_id=world.st.id)
    auth.login(world.admin)
    services.update_service(world.manager, service, {"name": "Dreve (Maria)"}, None,
                            service.version)
    form = dreve_form(world, csrf(), name="Meine Eingabe", version="1", password="")
    response = client.post(f"/interfaces/{service.id}", data=form, headers=HX)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Maria Manager" in body and 'value="Meine Eingabe"' in body
    db.session.expire_all()
    assert service.name == "Dreve (Maria)"


def test_reload_reads_the_service_again(client, auth, world, make_service):
    """Neuladen is the editor's GET: it shows what another workstation saved."""
    service = make_service("smtp", name="SMTP")
    auth.login(world.admin)
    first = client.get(f"/interfaces/{service.id}", headers=HX).get_data(as_text=True)
    assert f'hx-get="/interfaces/{service.id}" hx-target="#editor">{de("Reload")}' in first
    services.update_service(world.admin, service, {"name": "SMTP neu"}, None, service.version)
    assert b"SMTP neu" in client.get(f"/interfaces/{service.id}", headers=HX).data


def test_fixed_field_is_read_only_after_the_first_save(client, auth, csrf, world,
                                                       make_service):
    """SMSAPI's authentication mode is fixed after saving: shown disabled with its value
    posted hidden, and a changed value is refused beside the field."""
    service = make_service("smsapi", {"base_url": "https://api.smsapi.example",
                                      "auth_mode": "token", "token": "t-1"}, name="SMS")
    auth.login(world.admin)
    body = client.get(f"/interfaces/{service.id}", headers=HX).get_data(as_text=True)
    assert re.search(r'<select id="f-auth_mode" name="auth_mode"[^>]* disabled>', body)
    assert '<input type="hidden" name="auth_mode" value="token">' in body
    assert de("Fixed after the first save.") in body
    form = {"csrf_token": csrf(), "version": "1", "name": "SMS", "usage_server": "y",
            "enabled": "y", "base_url": "https://api.smsapi.example",
            "auth_mode": "user_password", "username": "u", "password": "p"}
    response = client.post(f"/interfaces/{service.id}", data=form, headers=HX)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="f-auth_mode-error">', response.get_data(as_text=True))


def test_fields_shown_on_condition(client, auth, world):
    """Fields whose shown_if is unmet are hidden and carry data-shown-* for app.js; the
    server ignores them when saving."""
    auth.login(world.admin)
    body = client.get("/interfaces/new/smsapi", headers=HX).get_data(as_text=True)
    token = re.search(r'<div class="field kind-secret"[^>]*data-shown-if="auth_mode"[^>]*>', body)
    assert token and " hidden" not in token[0]  # default auth_mode is the token
    username = re.search(r'<div class="field kind-text"( hidden)?[^>]*data-shown-if="auth_mode"'
                         r' data-shown-values="\[&#34;user_password&#34;\]"', body)
    assert username and username[1] == " hidden"


def test_card_templates_table_add_row_and_save(client, auth, csrf, world, make_service):
    """The card order's templates: one pre-filled row to start with, Eintrag hinzufügen
    fetches the next row (and a button for the one after), and the rows are saved."""
    make_service("smtp", name="SMTP")
    add_documents("Karte")
    auth.login(world.admin)
    form = client.get("/interfaces/new/card_order", headers=HX).get_data(as_text=True)
    assert 'name="templates-0-name"' in form and 'name="templates-1-name"' not in form
    assert 'hx-get="/interfaces/rows/card_order/templates?row=1"' in form
    row = client.get("/interfaces/rows/card_order/templates?row=1", headers=HX).get_data(
        as_text=True)
    assert 'name="templates-1-name"' in row and de("Entry %(number)s", number=2) in row
    assert 'hx-swap-oob="true"' in row and "row=2" in row

    def template_row(number, name):
        return {f"templates-{number}-name": name, f"templates-{number}-ship_to": "ordering_branch",
                f"templates-{number}-shipping_interval": "weekly",
                f"templates-{number}-card_template": "Karte", f"templates-{number}-card_type": "chip",
                f"templates-{number}-card_kind": "customer_card"}

    data = {"csrf_token": csrf(), "name": "Karten", "usage_client": "y", "enabled": "y",
            "contract_number": "V-1", "contract_key": "k-1",
            **template_row(0, "BASIS"), **template_row(1, "GOLD")}
    response = client.post("/interfaces/new/card_order", data=data, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    service = db.session.scalar(db.select(InterfaceService).where(
        InterfaceService.interface_key == "card_order"))
    assert [row["name"] for row in services.service_values(service)["templates"]] == \
        ["BASIS", "GOLD"]
    # Without any row the table's own message shows.
    bare = {key: value for key, value in data.items() if not key.startswith("templates-")}
    refused = client.post("/interfaces/new/card_order", data={**bare, "name": "Karten 2"},
                          headers=HX)
    assert refused.status_code == 422
    assert de_html("At least %(count)s row(s) are needed.", count=1) in refused.data


# --- Kopieren, Löschen ---------------------------------------------------------------------

def test_copy_to_another_branch_without_secrets(client, auth, csrf, world, make_service):
    """Kopieren asks for name and branch; the copy has the values but not the secrets, and
    the notice says so."""
    source = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve ST",
                          branch_id=world.st.id)
    auth.login(world.admin)
    dialog = client.get(f"/interfaces/{source.id}/copy", headers=HX).get_data(as_text=True)
    assert "<dialog" in dialog and 'value="Dreve ST (Kopie)"' in dialog
    response = client.post(f"/interfaces/{source.id}/copy",
                           data={"csrf_token": csrf(), "name": "Dreve UL",
                                 "branch_id": str(world.ul.id)}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#editor"
    assert "close-dialog" in response.headers["HX-Trigger"]
    assert de_html("Copied. Passwords and other secrets are not copied: enter them in the "
                   "copy.") in response.data
    copy = db.session.scalar(db.select(InterfaceService).where(InterfaceService.name == "Dreve UL"))
    assert copy.branch_id == world.ul.id and copy.secret_keys == set()
    assert services.service_values(copy)["username"] == "filiale"
    assert SECRET.encode() not in response.data
    assert de_html("not set") in response.data


def test_copy_refused_in_the_same_place(client, auth, csrf, world, make_service):
    """A copy that would be a second service for the same slot is refused in the dialog."""
    source = make_service("smtp", name="SMTP")
    auth.login(world.admin)
    response = client.post(f"/interfaces/{source.id}/copy",
                           data={"csrf_token": csrf(), "name": "SMTP 2", "branch_id": ""},
                           headers=HX)
    assert response.status_code == 422
    assert b'class="form-errors"' in response.data and b"copy-form" in response.data
    # The form replaces itself inside the open dialog: no second dialog in the first.
    assert b"<dialog" not in response.data
    assert count_services() == 1


def test_copy_dialog_preselects_a_place_the_copy_may_go(client, auth, world, make_service):
    """An ear-mould service may not have a second in its branch: the dialog preselects the
    next branch that may take the copy, not its own."""
    source = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve ST",
                          branch_id=world.st.id)
    auth.login(world.admin)
    dialog = client.get(f"/interfaces/{source.id}/copy", headers=HX).get_data(as_text=True)
    assert f'<option selected value="{world.ul.id}">Ulm</option>' in dialog
    assert "<option selected" not in dialog.replace(
        f'<option selected value="{world.ul.id}">', "")
    assert 'class="form-errors"' not in dialog


def test_copy_dialog_says_why_no_place_may_take_the_copy(client, auth, world, make_service):
    """A branch manager of Stuttgart only may copy to Stuttgart, which already has the
    service: the dialog gives the reason and offers no Kopieren, only Abbrechen."""
    source = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve ST",
                          branch_id=world.st.id)
    auth.login(world.manager)
    dialog = client.get(f"/interfaces/{source.id}/copy", headers=HX).get_data(as_text=True)
    assert "<dialog" in dialog and 'class="form-errors" role="alert"' in dialog
    assert de_html("A copy of this service is not possible anywhere you may create one:") \
        .decode() in dialog
    assert "Dreve ST" in text_of(dialog[dialog.index("form-errors"):])
    assert f'>{de("Copy")}</button>' not in dialog and f'>{de("Cancel")}</button>' in dialog
    assert count_services() == 1


def test_copy_to_another_workstation_opens_its_settings(client, auth, csrf, world,
                                                       make_service):
    """In workstation settings the copy goes to a chosen workstation; landing elsewhere, the
    browser is sent to that workstation's settings."""
    make_service("smtp", name="Kette SMTP")
    source = make_service("smtp", {"port": "25"}, name="Kasse ST",
                          workstation_id=world.st_till.id)
    auth.login(world.admin)
    base = f"/workstations/{world.st_till.id}/interfaces/{source.id}/copy"
    dialog = client.get(base, headers=HX).get_data(as_text=True)
    # ST-KASSE has its SMTP service already: the copy may go to UL-KASSE.
    assert f'<option selected value="{world.ul_till.id}">UL-KASSE (Ulm)</option>' in dialog
    response = client.post(base, data={"csrf_token": csrf(), "name": "Kasse UL",
                                       "workstation_id": str(world.ul_till.id)}, headers=HX)
    copy = db.session.scalar(db.select(InterfaceService).where(InterfaceService.name == "Kasse UL"))
    assert copy.workstation_id == world.ul_till.id
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == \
        f"/workstations/{world.ul_till.id}/interfaces/{copy.id}"


def test_delete_with_htmx_and_plain(client, auth, csrf, world, make_service):
    """Löschen removes the service and refreshes the list; without htmx it redirects."""
    first = make_service("smtp", name="SMTP")
    second = make_service("smtp", name="SMTP UL", branch_id=world.ul.id)
    auth.login(world.admin)
    response = client.post(f"/interfaces/{first.id}/delete",
                           data={"csrf_token": csrf(), "version": "1"}, headers=HX)
    assert response.status_code == 200
    assert de_html("%(name)s was deleted.", name="SMTP") in response.data
    assert "services-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"] == "/interfaces/"
    confirm = client.get(f"/interfaces/{second.id}/delete")
    assert confirm.status_code == 200 and b"<html" in confirm.data
    plain = client.post(f"/interfaces/{second.id}/delete", data={"csrf_token": csrf()})
    assert plain.status_code == 303 and plain.headers["Location"] == "/interfaces/"
    assert count_services() == 0


def test_refused_delete_says_why(client, auth, csrf, world, make_service):
    """The only SMTP service is still needed by the card order: 409 with the reason."""
    smtp = make_service("smtp", name="SMTP")
    add_documents("Karte")
    make_service("card_order", {"contract_number": "V-1", "contract_key": "k",
                                "templates": [CARD_TEMPLATE]}, name="Karten", usage_client=True)
    auth.login(world.admin)
    response = client.post(f"/interfaces/{smtp.id}/delete", data={"csrf_token": csrf()},
                           headers=HX)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Karten" in body and 'class="form-errors"' in body and 'id="service-form"' in body
    assert count_services() == 2


# --- Änderungsprotokoll, help ---------------------------------------------------------------

def test_change_log_panel_shows_secrets_only_as_changed(client, auth, csrf, world):
    """Mehr → Änderungsprotokoll: the creation with its values; the password only as
    'geändert'; the full page (no htmx) shows the editor with the panel."""
    auth.login(world.admin)
    client.post("/interfaces/new/dreve_smartorder", data=dreve_form(world, csrf()), headers=HX)
    service = db.session.scalar(db.select(InterfaceService))
    editor = client.get(f"/interfaces/{service.id}", headers=HX).get_data(as_text=True)
    assert f'<summary class="button">{de("More")}</summary>' in editor
    assert f'hx-get="/interfaces/{service.id}/history" hx-target="#service-history">' \
        f'{de("Change log")}</a>' in editor
    panel = client.get(f"/interfaces/{service.id}/history", headers=HX).get_data(as_text=True)
    text = text_of(panel)
    assert de("created") in text and "Anna Admin" in text
    assert f"Passwort: {de('changed')}" in text
    assert "Benutzername / Kundenlogin: — → K-1001" in text
    assert SECRET not in panel
    page = client.get(f"/interfaces/{service.id}/history")
    assert b"<html" in page.data and b"history-panel" in page.data and b"service-form" in page.data


def test_a_new_service_has_only_its_own_change_log(client, auth, csrf, world, make_service):
    """Delete a service, create a new one: its Änderungsprotokoll shows its own creation and
    nothing of the deleted one (SQLite used to give it the deleted service's id)."""
    old_id = make_service("smtp", name="Alt SMTP").id
    auth.login(world.admin)
    deleted = client.post(f"/interfaces/{old_id}/delete", data={"csrf_token": csrf()},
                          headers=HX)
    assert deleted.status_code == 200
    new = make_service("smtp", name="Neu SMTP")
    assert new.id != old_id
    panel = text_of(client.get(f"/interfaces/{new.id}/history", headers=HX)
                    .get_data(as_text=True))
    assert f"Anna Admin: {de('created')}" in panel and "Neu SMTP" in panel
    assert "Alt SMTP" not in panel and de("deleted") not in panel

def test_help_dialog_and_page(client, auth, world):
    """Hilfe (and F1 through app.js): the interface's and its group's help in a dialog."""
    auth.login(world.admin)
    dialog = client.get("/interfaces/help/dreve_smartorder", headers=HX).get_data(as_text=True)
    assert "<dialog" in dialog and "help-dialog" in dialog
    assert "Bestellt Otoplastiken über Dreve SmartOrder" in dialog
    assert de("Group: %(group)s", group="Otoplastikbestellung") in dialog
    assert "Ein Vorgangsschritt" in dialog  # the group's help
    general = client.get("/interfaces/help", headers=HX).get_data(as_text=True)
    assert de("The mask") in general and "<dialog" in general
    assert b"<html" in client.get("/interfaces/help/dreve_smartorder").data
    editor = client.get("/interfaces/new/dreve_smartorder", headers=HX).get_data(as_text=True)
    assert 'data-help-url="/interfaces/help/dreve_smartorder"' in editor
    assert 'aria-keyshortcuts="F1"' in editor
    assert client.get("/interfaces/help/no_such_thing").status_code == 404


# --- secrets -------------------------------------------------------------------------------

def test_secrets_never_appear_in_any_page(client, auth, csrf, world, make_service, app):
    """After saving a password, no page or fragment of the screens contains it."""
    with app.app_context():
        chain = db.session.get(Chain, 1)
        chain.admins_may_view_secrets = True  # even with revealing allowed
        db.session.commit()
    auth.login(world.admin)
    client.post("/interfaces/new/dreve_smartorder", data=dreve_form(world, csrf()), headers=HX)
    service = db.session.scalar(db.select(InterfaceService))
    station = make_service("smtp", {**SMTP_RAW, "username": "kasse", "password": SECRET},
                           name="Kasse", workstation_id=world.st_till.id)
    urls = ["/interfaces/", "/interfaces/?ws=y", f"/interfaces/{service.id}",
            f"/interfaces/{service.id}/history", f"/interfaces/{service.id}/copy",
            f"/interfaces/{service.id}/delete", "/interfaces/new",
            "/interfaces/help/dreve_smartorder",
            f"/workstations/{world.st_till.id}/interfaces",
            f"/workstations/{world.st_till.id}/interfaces/{station.id}",
            f"/workstations/{world.st_till.id}/interfaces/{station.id}/history",
            f"/interfaces/{station.id}"]
    for url in urls:
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert SECRET.encode() not in response.data, url


def test_reveal_only_with_the_chain_option(client, auth, csrf, world, make_service, app):
    """'Anzeigen' exists only for admins when the chain allows it; the server refuses
    otherwise (403); a reveal shows the value once and is logged."""
    service = make_service("dreve_smartorder", ear_mould_raw(world), name="Dreve",
                           branch_id=world.st.id)
    url = f"/interfaces/{service.id}/secrets/password/reveal"
    auth.login(world.admin)
    assert url.encode() not in client.get(f"/interfaces/{service.id}", headers=HX).data
    assert client.post(url, data={"csrf_token": csrf()}, headers=HX).status_code == 403

    with app.app_context():
        db.session.get(Chain, 1).admins_may_view_secrets = True
        db.session.commit()
    editor = client.get(f"/interfaces/{service.id}", headers=HX).get_data(as_text=True)
    assert f'hx-post="{url}"' in editor and de("Show") in editor
    shown = client.post(url, data={"csrf_token": csrf()}, headers=HX)
    assert shown.status_code == 200 and SECRET.encode() in shown.data
    assert shown.headers["Cache-Control"] == "no-store"
    entry = db.session.scalars(db.select(ChangeLogEntry).where(
        ChangeLogEntry.action == "reveal")).one()
    assert entry.changes == [{"field": "password", "secret": True}]
    # Not for a branch manager, even with the option on.
    auth.login(world.manager)
    assert client.post(url, data={"csrf_token": csrf()}, headers=HX).status_code == 403


# --- Arbeitsplatzeinstellungen -------------------------------------------------------------

def test_workstation_settings_list_and_link(client, auth, world, make_service):
    """The workstation's own services at /workstations/<id>/interfaces, reached from the
    workstation; Rechner shown read-only."""
    make_service("smtp", name="Kette SMTP")
    make_service("smtp", {"port": "25"}, name="Kasse SMTP", workstation_id=world.st_till.id)
    auth.login(world.admin)
    station_page = client.get(f"/workstations/{world.st_till.id}").get_data(as_text=True)
    assert f'href="/workstations/{world.st_till.id}/interfaces">' \
        f'{de("Workstation settings")}</a>' in station_page
    page = client.get(f"/workstations/{world.st_till.id}/interfaces")
    assert page.status_code == 200 and b"<html" in page.data
    body = page.get_data(as_text=True)
    assert de("Workstation settings") in body and "ST-KASSE" in body
    assert "Kasse SMTP" in body and "Kette SMTP" not in body
    service = db.session.scalar(db.select(InterfaceService).where(
        InterfaceService.name == "Kasse SMTP"))
    editor = client.get(f"/workstations/{world.st_till.id}/interfaces/{service.id}",
                        headers=HX).get_data(as_text=True)
    assert 'id="workstation-shown" value="ST-KASSE"' in editor and "readonly" in editor
    assert 'name="protected"' not in editor  # workstation services cannot be protected
    # Another workstation's URL does not show this service.
    assert client.get(f"/workstations/{world.ul_till.id}/interfaces/{service.id}").status_code \
        == 404


def test_workstation_dialog_offers_workstation_interfaces_only(client, auth, world):
    """Neu in workstation settings offers the TSE but no ear-mould ordering."""
    auth.login(world.admin)
    base = f"/workstations/{world.st_till.id}/interfaces"
    found = client.get(f"{base}/new/choices?iq=tse", headers=HX).get_data(as_text=True)
    assert "Swissbit" in found and f'href="{base}/new/tse_swissbit"' in found
    ear = client.get(f"{base}/new/choices?igroup=ear_mould_ordering", headers=HX)
    assert b"Dreve" not in ear.data


def test_ear_mould_in_workstation_settings_is_refused_with_the_reason(client, auth, csrf,
                                                                      world):
    """Opened or posted directly, ear-mould ordering at a workstation is refused and says
    why; nothing is saved."""
    auth.login(world.admin)
    base = f"/workstations/{world.st_till.id}/interfaces/new/dreve_smartorder"
    reason = de("Ear-mould ordering is set up in branch management only, never in "
                "workstation settings: the service is found through the company of the order.")
    form = client.get(base, headers=HX).get_data(as_text=True)
    assert text_of(reason) in text_of(form)
    assert f'<button type="submit" class="primary">{de("Save")}</button>' not in form
    response = client.post(base, data=dreve_form(world, csrf()), headers=HX)
    assert response.status_code == 422
    assert text_of(reason) in text_of(response.get_data(as_text=True))
    assert count_services() == 0


def test_protected_service_locks_the_workstation_and_a_direct_post_is_refused(
        client, auth, csrf, world, make_service):
    """A protected chain service shows the workstation form locked with the reason; posting
    anyway is refused by the server and saves nothing."""
    make_service("smtp", name="Zentrale SMTP", protected=True)
    auth.login(world.admin)
    base = f"/workstations/{world.st_till.id}/interfaces/new/smtp"
    form = client.get(base, headers=HX).get_data(as_text=True)
    reason = de("Protected by %(service)s (%(scope)s): workstation settings cannot override "
                "it.", service="Zentrale SMTP", scope=de("chain"))
    assert text_of(reason) in text_of(form)
    assert '<fieldset class="common" disabled>' in form
    assert f'<button type="submit" class="primary">{de("Save")}</button>' not in form
    data = {"csrf_token": csrf(), "name": "Kasse SMTP", "usage_server": "y", "enabled": "y",
            **SMTP_RAW}
    response = client.post(base, data=data, headers=HX)
    assert response.status_code == 422
    assert "Zentrale SMTP" in text_of(response.get_data(as_text=True))
    assert count_services() == 1


def test_workstation_service_refining_a_branch_service(client, auth, csrf, world, make_service):
    """With a branch service below, the workstation form is partial: nothing required,
    empty fields inherited; the form says from where."""
    make_service("smtp", name="ST SMTP", branch_id=world.st.id)
    auth.login(world.admin)
    base = f"/workstations/{world.st_till.id}/interfaces/new/smtp"
    form = client.get(base, headers=HX).get_data(as_text=True)
    assert de("Empty fields take their values from %(service)s (%(scope)s).",
              service="ST SMTP", scope="Stuttgart") in form
    response = client.post(base, data={"csrf_token": csrf(), "name": "Kasse", "usage_client": "y",
                                       "enabled": "y", "port": "25"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"].startswith(f"/workstations/{world.st_till.id}/interfaces/")
    station_service = db.session.scalar(db.select(InterfaceService).where(
        InterfaceService.workstation_id == world.st_till.id))
    assert services.service_values(station_service)["host"] is None


def test_the_editor_reads_the_services_below_a_workstation_once(client, auth, csrf, world,
                                                                make_service, monkeypatch):
    """A new workstation service's form, and a refused post of it, read the branch and chain
    services it sits on once: the lock, the partial form and the defaults share them."""
    make_service("smtp", name="ST SMTP", branch_id=world.st.id)
    auth.login(world.admin)
    token = csrf()
    reads, read = [], services.workstation_bases

    def counted(*args, **kwargs):
        reads.append(args)
        return read(*args, **kwargs)

    monkeypatch.setattr(services, "workstation_bases", counted)
    base = f"/workstations/{world.st_till.id}/interfaces/new/smtp"
    assert client.get(base, headers=HX).status_code == 200 and len(reads) == 1
    reads.clear()
    refused = client.post(base, data={"csrf_token": token, "name": "", "port": "x"}, headers=HX)
    assert refused.status_code == 422 and len(reads) == 1


# --- the page as a whole ----------------------------------------------------------------------

def test_pages_have_no_inline_script_or_style(client, auth, world, make_service):
    """CSP: no inline script, style attribute or onclick on any interface page."""
    service = make_service("smtp", name="SMTP")
    auth.login(world.admin)
    urls = ["/interfaces/", f"/interfaces/{service.id}", "/interfaces/new",
            "/interfaces/new/card_order", "/interfaces/new/smsapi", f"/interfaces/{service.id}/copy",
            f"/interfaces/{service.id}/history", "/interfaces/help",
            f"/workstations/{world.st_till.id}/interfaces"]
    for url in urls:
        for headers in ({}, HX):
            body = client.get(url, headers=headers).get_data(as_text=True)
            for chunk in body.split("<script")[1:]:
                assert chunk.lstrip().startswith("src="), url
            assert "style=" not in body and "onclick=" not in body, url


def test_nav_lists_interfaces_first(client, auth, world):
    """The main navigation starts with Schnittstellen."""
    auth.login(world.staff)
    body = client.get("/").get_data(as_text=True)
    nav = body[body.index("<nav"):body.index("</nav>")]
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links[0] == "/interfaces/" and de("Interfaces") in nav
