"""The catalogue against the manual (../shared/reference/amparex-catalogue.md): every interface
it names is here with its usage and fields; generic types say they are generic; the help
describes only buttons that exist; every network type can be tested, from the server or, for a
device, at its workstation; card orders save before contract and key arrive; SiNNO-Chat is
refused without SiNNO-App."""
import re

import pytest

from tests.factories import HX, add_documents, make_config
from tests.translated import de
from webapp.extensions import db
from webapp.interfaces.catalogue import GROUPS, get_interface, group_of, search
from webapp.interfaces.catalogue.fields import TEST_AT_WORKSTATION, TEST_CONNECTION
from webapp.interfaces.catalogue.schema import DEVICE_SECTION, NETWORK_KINDS
from webapp.interfaces.models import InterfaceService

# Per interface the reference names: (key, group, allowed usages, field keys it documents).
# Usage None where the reference found none; fields () where it found none (ours are designed).
MANUAL_INTERFACES = {
    "BONIMA Check Pool": ("bonima_check_pool", "credit_check", None, ("username", "password")),
    "KSV1870": ("ksv1870", "credit_check", None, ("username", "password")),
    "EC Terminal 'ZVT, Ethernet'": ("ec_zvt_ethernet", "electronic_cash", ("client",),
                                    ("password", "ip_address", "tcp_port", "log_dir")),
    "EC SIX-Payment": ("ec_six_payment", "electronic_cash", ("client",),
                       ("terminal_id", "ip_address", "receipt_by_till", "log_dir")),
    "KassenSichV-Swissbit": ("tse_swissbit", "kassensichv", ("client",), ("drive_letter",)),
    "spryng-rest": ("spryng_rest", "sms", ("server", "client"),
                    ("api_key", "country_code", "reference")),
    "SMSAPI (LINK Mobility)": ("smsapi", "sms", ("server", "client"),
                               ("username", "password", "token", "auth_mode")),
    "AMPAREX Sortimentsprogramm": ("amparex_assortment_program", "assortment_programs",
                                   ("server",), ("supplier", "username", "password")),
    "Eschenbach Connect": ("eschenbach_connect", "assortment_programs", None,
                           ("username", "password")),
    "Luxottica Stars": ("luxottica_stars", "assortment_programs", None, ("username", "password")),
    "Sortiment min/max": ("assortment_min_max", "assortment_programs", ("server", "client"), ()),
    "elina (Alcom)": ("elina_alcom", "contact_lens_subscription", ("client",),
                      ("username", "password")),
    "Kundenkartenbestellung": ("card_order", "customer_cards", ("client",),
                               ("contract_number", "contract_key", "templates")),
    "Kunden-Terminbenachrichtigung": ("appointment_reminders", "appointment_reminders",
                                      ("server",), ("branch_code_filter",)),
    "GfK": ("gfk_market_research", "market_research", ("server",),
            ("username", "password", "host", "period", "application_type")),
    "Einfacher Währungsumrechner": ("simple_currency_converter", "currency_converter", None,
                                    ("surcharge_factor", "rate_chf", "rate_dkk", "rate_gbp",
                                     "rate_nok")),
    "Zeilenanzeige am COM-Port": ("line_display_com", "pos_display", ("client",), (
        "com_port", "emulation", "parameter", "idle_text_1", "idle_text_2", "item_text_1",
        "item_text_2", "total_text_1", "total_text_2", "change_text_1", "change_text_2")),
    "Kassendrucker mit Schublade": ("receipt_printer_drawer", "cash_drawer", ("client",),
                                    ("printer_name", "open_on_card_payment")),
    "signotec": ("signotec_signature_pad", "signature_pad", ("client",), ()),
    "FinanzOnline AT": ("finanzonline_rksv", "finanzonline", None, ()),
    "Egger ERP Bestellung": ("egger_erp_order", "ear_mould_ordering", None, ("companies",)),
    "audia easy Order": ("audia_easy_order", "ear_mould_ordering", None, ("companies",)),
    "SMTP Postausgangsserver": ("smtp", "email", None, ()),
    "Elektronische Lieferscheine": ("imap_delivery_notes", "email", None,
                                    ("host", "port", "username", "password", "encryption")),
    "Zahlungsexport": ("payment_export", "cash_register", ("client",), ("directory",)),
    "order by e-mail attachment": ("email_order", "email", None,
                                   ("company", "recipient", "subject", "order_template")),
    "Ausziffern (Geschlossene/Offene Posten)": ("settlement_import", "accounting_import", None,
                                                ("variant",)),
    "Buchhaltungsexport (DATEV CSV, Addison, Sage)": ("accounting_export", "accounting", None,
                                                     ("format", "advisor_number",
                                                      "client_number")),
    "Sivantos Bestellung": ("sivantos_order", "other_ordering", None, ("supplier",)),
    "Audoora": ("audoora_order", "other_ordering", ("client",), ()),
    "Automatischer Lastschrifteinzug-Export": ("direct_debit_export", "accounting", ("server",),
                                               ("sepa_type", "payment_method", "host")),
}
# Named by the reference only as replaced: searching the old name finds the successor.
RETIRED = {"spryng-http": "spryng_rest", "Egger online Bestellportal": "egger_erp_order"}

GENERIC_DE, GENERIC_EN = "allgemeine schnittstelle", "generic interface"

# Button labels a help text might name: every action label of the catalogue, and the buttons
# the manual documents on screens of its own (the till's TSE and RKSV set-up).
MANUAL_BUTTONS = ("Verbindung testen", "Test connection", "Jetzt initialisieren",
                  "Signiereinheit anmelden", "Kasse anmelden", "Startbeleg überprüfen",
                  "Anmelden", "Log in", "Abmelden", "Log out", "Test-E-Mail senden",
                  "Send test e-mail", "Informationen anfordern", "Request information",
                  "Jetzt registrieren", "Register now", "Registrierung aktualisieren",
                  "Refresh registration", "Jetzt abrufen", "Fetch now")
QUOTES = "'\"‘’‚“”„"


def _interfaces():
    return [iface for group in GROUPS for iface in group.interfaces]


def _known_labels():
    labels = set(MANUAL_BUTTONS)
    for iface in _interfaces():
        for action in iface.actions:
            labels |= {action.label_de, action.label_en}
    return labels


def _help_texts(iface, lang):
    """Everything the editor and F1 say about the type: its help, its group's, its fields',
    its tables' and their fields'."""
    specs = list(iface.fields) + [spec for table in iface.tables for spec in table.fields]
    return [iface.text("help", lang), group_of(iface.key).text("help", lang),
            *(spec.text("help", lang) for spec in specs),
            *(table.text("help", lang) for table in iface.tables)]


def _buttons_named(text, labels):
    """The labels `text` names as a button: quoted in any quote style (any case), or a label
    of two or more words written as is."""
    named = set()
    for label in labels:
        quoted = rf"[{QUOTES}]{re.escape(label)}[{QUOTES}]"
        if re.search(quoted, text, re.IGNORECASE) or (" " in label and label in text):
            named.add(label)
    return named


# --- every interface of the reference --------------------------------------------------------

@pytest.mark.parametrize("name", MANUAL_INTERFACES)
def test_every_interface_the_manual_names_is_in_the_catalogue(name):
    """Each interface of amparex-catalogue.md is a type from the manual, in its group, with
    the usage the manual allows and the fields it documents."""
    key, group, usages, fields = MANUAL_INTERFACES[name]
    iface = get_interface(key)
    assert iface.source == "manual", key
    assert group_of(key).key == group
    if usages is not None:
        assert iface.usages == usages, key
    keys = {spec.key for spec in iface.fields} | {table.key for table in iface.tables}
    assert set(fields) <= keys, (key, set(fields) - keys)


@pytest.mark.parametrize("old_name", RETIRED)
def test_a_replaced_interface_is_found_under_its_old_name(old_name):
    """spryng-http and Egger's online portal are gone; their names find the successor."""
    assert RETIRED[old_name] in [iface.key for _group, iface in search(old_name)]


def test_gfk_uploads_sales_by_sftp_once_per_period():
    """GfK: server-side, SFTP by default, the business number as username, six periods with
    the previous month as default, one service per application type, testable."""
    gfk = get_interface("gfk_market_research")
    assert gfk.get_field("protocol").default == "sftp"
    assert gfk.get_field("password").is_secret
    assert "Geschäftsnummer" in gfk.get_field("username").label_de
    period = gfk.get_field("period")
    assert len(period.choices) == 6 and period.default == "previous_month"
    assert gfk.unique_by == "application_type" and TEST_CONNECTION in gfk.actions


def test_line_display_emulations_and_placeholder_texts():
    """Zeilenanzeige: the five emulations; texts take only the known placeholders."""
    display = get_interface("line_display_com")
    assert [c[1] for c in display.get_field("emulation").choices] == [
        "AQ300", "CD5220", "EPSON ESC/POS", "Samsung VFD", "UTC Standard"]
    assert display.get_field("idle_text_1").default == "Herzlich Willkommen"
    pattern = display.get_field("item_text_1").pattern
    assert re.fullmatch(pattern, "{menge} x {artikel}")
    assert not re.fullmatch(pattern, "{unbekannt}")


def test_currency_converter_rates_per_euro_and_surcharge():
    """Einfacher Währungsumrechner: an optional surcharge factor and a rate per currency."""
    converter = get_interface("simple_currency_converter")
    assert converter.get_field("surcharge_factor").section.label_de == "Allgemeiner Aufschlag"
    for code in ("chf", "dkk", "gbp", "nok"):
        rate = converter.get_field(f"rate_{code}")
        assert rate.kind == "number" and rate.section.label_de == "Fremdwährungen"
        assert not rate.required


# --- generic types -------------------------------------------------------------------------

def test_a_type_that_exists_only_for_want_of_a_product_says_it_is_generic():
    """Rule: a group in which no type comes from the manual (source "manual") is one the
    manual names no product for, so each of its types (all source "designed") exists only to
    give the group something to configure. Such a type's German help contains "allgemeine
    Schnittstelle" and its English help "generic interface" (case-insensitive). Designed types
    in a group that also has a manual type are alternatives and are not bound by this."""
    offenders = []
    for group in GROUPS:
        if any(iface.source == "manual" for iface in group.interfaces):
            continue
        for iface in group.interfaces:
            if (GENERIC_DE not in iface.help_de.casefold()
                    or GENERIC_EN not in iface.help_en.casefold()):
                offenders.append(iface.key)
    assert offenders == []


def test_groups_of_the_manual_have_a_manual_type():
    """The groups for which the reference names a product are not left to generic types."""
    for group in ("credit_check", "electronic_cash", "kassensichv", "sms", "assortment_programs",
                  "contact_lens_subscription", "customer_cards", "appointment_reminders",
                  "market_research", "currency_converter", "pos_display", "cash_drawer",
                  "signature_pad", "finanzonline", "ear_mould_ordering", "email",
                  "cash_register", "other_ordering", "accounting_import", "accounting"):
        assert any(iface.source == "manual" for iface in
                   next(g for g in GROUPS if g.key == group).interfaces), group


# --- help names only buttons that exist ----------------------------------------------------

def test_help_names_only_buttons_the_type_has():
    """Rule: for each type, every button label of the known list (all action labels of the
    catalogue plus the buttons the manual documents, see MANUAL_BUTTONS) that its help, its
    group's help or its fields' and tables' help names — quoted in any quote style, or a
    multi-word label as written — is the label of one of the type's own actions, in that
    language (compared without case)."""
    labels = _known_labels()
    offenders = []
    for iface in _interfaces():
        for lang in ("de", "en"):
            own = {action.text("label", lang).casefold() for action in iface.actions}
            for text in _help_texts(iface, lang):
                for label in _buttons_named(text, labels):
                    if label.casefold() not in own:
                        offenders.append((iface.key, lang, label))
    assert offenders == []


def test_the_button_check_catches_a_missing_button():
    """The check above is not vacuous: a help naming 'Informationen anfordern' or Verbindung
    testen is caught, a plain mention of the word 'anmelden' is not."""
    labels = _known_labels()
    assert _buttons_named("Über 'Informationen anfordern' erhältlich.", labels) == {
        "Informationen anfordern"}
    assert "Verbindung testen" in _buttons_named("Dann Verbindung testen.", labels)
    assert _buttons_named("Einmal anmelden, dann weiter.", labels) == set()


# --- connection tests ----------------------------------------------------------------------

def test_every_network_type_declares_verbindung_testen():
    """A type with a url or host field speaks a network protocol: it has the server-side
    'Verbindung testen' (fields.TEST_CONNECTION), besides any test of its own."""
    for iface in _interfaces():
        if any(spec.kind in NETWORK_KINDS for spec in iface.fields):
            assert TEST_CONNECTION in iface.actions, iface.key
    smtp = get_interface("smtp")
    assert [a.label_de for a in smtp.actions] == ["Verbindung testen", "Test-E-Mail senden"]


def test_every_device_type_is_tested_at_its_workstation():
    """COM port, terminal, card reader, pad, drawer, TSE: 'Verbindung testen' runs at the
    workstation and nothing is sent from the server."""
    devices = [iface for iface in _interfaces() if any(
        spec.section is not None and spec.section.key == DEVICE_SECTION
        for spec in iface.fields)]
    keys = {iface.key for iface in devices}
    assert {"line_display_com", "ec_zvt_ethernet", "ec_six_payment", "card_reader_nfc",
            "signotec_signature_pad", "signature_pad_usb", "receipt_printer_drawer",
            "cash_drawer_device", "tse_swissbit"} <= keys
    for iface in devices:
        assert TEST_AT_WORKSTATION in iface.actions, iface.key
        assert TEST_CONNECTION not in iface.actions, iface.key
    assert TEST_AT_WORKSTATION.runs_at == "workstation" and TEST_CONNECTION.runs_at == "server"


# --- Kundenkartenbestellung before 'Informationen anfordern' -------------------------------

def test_card_order_saves_without_contract_and_key(world, make_service):
    """Seed 003: contract and key arrive after 'Informationen anfordern', so the service is
    saved without them (the templates are still needed)."""
    make_service("smtp", name="SMTP")
    add_documents("Karte")
    service = make_service("card_order", {"templates": [{
        "name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "weekly",
        "card_template": "Karte", "card_type": "chip", "card_kind": "customer_card"}]},
        name="Karten", usage_client=True)
    assert service.id and not service.secret_keys


# --- SiNNO-Chat needs SiNNO-App ------------------------------------------------------------

@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)  # German UI, as the messages below are read


SINNO_APP_RAW = {"server": "https://winpro.api.ipro.de/v1", "client_id": "winpro",
                 "company_number": "4711"}


def _chat_form(token, **overrides):
    return {"csrf_token": token, "name": "SiNNO-Chat", "branch_id": "", "usage_server": "y",
            "enabled": "y", "start_date": "", **overrides}


def _count(key):
    return db.session.scalar(db.select(db.func.count(InterfaceService.id))
                             .where(InterfaceService.interface_key == key))


def _refusal():
    return de("%(interface)s works through the connection of a %(required)s service, and no "
              "enabled %(required)s service covers %(scope)s. Set up %(required)s first.",
              interface="SiNNO-Chat", required="SiNNO-App", scope=de("the whole chain"))


def test_sinno_chat_without_sinno_app_is_refused_and_says_why(client, auth, csrf, world,
                                                              make_service):
    """Neu → SiNNO-Chat with no SiNNO-App service: 422, the form again with the reason above
    it, nothing saved; a disabled SiNNO-App does not count."""
    auth.login(world.admin)
    response = client.post("/interfaces/new/sinno_chat", data=_chat_form(csrf()), headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'class="form-errors"' in body and 'id="service-form"' in body
    assert _refusal() in " ".join(body.split()).replace("&#39;", "'")
    assert _count("sinno_chat") == 0

    make_service("sinno_app", SINNO_APP_RAW, name="SiNNO-App", enabled=False)
    again = client.post("/interfaces/new/sinno_chat", data=_chat_form(csrf()), headers=HX)
    assert again.status_code == 422 and _count("sinno_chat") == 0


def test_sinno_chat_is_created_once_sinno_app_is_set_up(client, auth, csrf, world, make_service):
    """With an enabled SiNNO-App service of the chain the chat service is created."""
    make_service("sinno_app", SINNO_APP_RAW, name="SiNNO-App")
    auth.login(world.admin)
    response = client.post("/interfaces/new/sinno_chat", data=_chat_form(csrf()), headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert _count("sinno_chat") == 1


def test_enabling_sinno_chat_without_an_enabled_sinno_app_is_refused(client, auth, csrf, world,
                                                                     make_service):
    """A disabled chat service is not switched on while SiNNO-App is off: 422 with the
    reason beside 'enabled'; it stays off."""
    app_service = make_service("sinno_app", SINNO_APP_RAW, name="SiNNO-App")
    chat = make_service("sinno_chat", {}, name="SiNNO-Chat", enabled=False)
    app_service.enabled = False
    db.session.commit()
    auth.login(world.admin)
    response = client.post(f"/interfaces/{chat.id}",
                           data=_chat_form(csrf(), version=str(chat.version)), headers=HX)
    assert response.status_code == 422
    body = " ".join(response.get_data(as_text=True).split()).replace("&#39;", "'")
    assert re.search(r'id="f-enabled-error"|id="enabled-error"', body), body[:3000]
    assert _refusal() in body
    db.session.expire_all()
    assert not db.session.get(InterfaceService, chat.id).enabled
