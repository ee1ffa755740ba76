"""The interface catalogue: the 47 groups of seed 000, the scope rules of the manual, secrets,
search, and the start-up validation that names every malformed entry."""
import dataclasses
import datetime

import pytest

from webapp.interfaces import catalogue
from webapp.interfaces.catalogue import (
    GROUPS, CatalogueError, get_group, get_interface, group_of, search, validate_catalogue,
)
from webapp.interfaces.catalogue.schema import (
    ActionSpec, Condition, FieldSpec, Group, InterfaceType, Section, TableSpec,
)

SEED_000_GROUPS = [
    "Abrechnungsexport", "Alternative Zahlungsmittel", "Artikelabgleich", "Back-Office",
    "Barcodeleser", "Benachrichtigung", "Bonitätsprüfung", "Bonusprogramm", "Buchhaltung",
    "Buchhaltungsimport", "Datenaustausch mit Lieferant", "Datenaustausch Rechnung",
    "Datenübernahme AMiRO", "Digitaler Kassenbeleg", "Dokumenten-Scanner",
    "Dokumentenverwaltungssystem", "Electronic Cash", "E-Mail", "FinanzOnline", "Fiskaldrucker",
    "Geodienste", "Glasbestellung", "Kartenleser", "Kassenschnittstellen", "Kassenschublade",
    "KassenSichV", "Kontaktlinsenabonnement", "Kontaktlinsenbestellung", "Kundenkarten",
    "Kunden-Terminbenachrichtigung", "LDAP", "Marktforschung", "Messung", "OCR",
    "Otoplastikbestellung", "POS Anzeige", "SMS", "Sonstige Bestellung", "Sortimentsprogramme",
    "Support Dienstleister", "System", "Telefon", "Tracer", "Unterschriftenpad", "Liefer-Hilfe",
    "Währungsumrechner", "Testschnittstellen",
]

EAR_MOULD_NAMES = [
    "Audia Easy Order", "Audia Easy Order Web-Portal", "Dreve SmartOrder", "Egger Bestellsystem",
    "Egger ERP Bestellung", "Hörluchs-Partner Bestell-System", "Kommandozeilenbefehl",
    "Otofaktur Otoport", "Standard Bestellprozess",
]

# Field keys that carry a password, key or token anywhere in the catalogue.
SECRET_KEYS = {"password", "api_key", "token", "contract_key", "bind_password", "signing_secret"}
SECRET_PARTS = ("password", "secret", "token", "api_key", "passwort")


def _all_interfaces():
    return [iface for group in GROUPS for iface in group.interfaces]


def _all_fields():
    for iface in _all_interfaces():
        yield iface, iface.fields
        for table in iface.tables:
            yield iface, table.fields


# --- the real catalogue --------------------------------------------------------------------
def test_load_validates_and_returns_the_groups():
    """load() accepts the shipped catalogue and returns the same groups."""
    assert catalogue.load() is GROUPS
    assert validate_catalogue(GROUPS) is GROUPS


def test_exactly_the_47_groups_of_seed_000_in_order():
    """The groups carry the German names of seed 000, in its order."""
    assert [group.name_de for group in GROUPS] == SEED_000_GROUPS
    assert len(GROUPS) == 47
    assert all(group.name_en.strip() for group in GROUPS)


def test_every_group_has_an_interface_with_fields():
    """No empty group and no group whose interfaces are all field-less."""
    for group in GROUPS:
        assert group.interfaces, group.key
        assert any(iface.fields for iface in group.interfaces), group.key


def test_only_sinno_chat_goes_without_fields():
    """Field-less interfaces are the seed-004 exception and say why."""
    bare = [iface for iface in _all_interfaces() if not iface.fields and not iface.tables]
    assert [iface.key for iface in bare] == ["sinno_chat"]
    assert bare[0].no_fields_reason


def test_the_nine_ear_mould_interfaces_live_only_in_branch_management():
    """Seed 001: nine interfaces, never on a workstation, picked by company, supplier optional."""
    group = get_group("ear_mould_ordering")
    assert group.name_de == "Otoplastikbestellung"
    assert [iface.name_de for iface in group.interfaces] == EAR_MOULD_NAMES
    for iface in group.interfaces:
        assert "workstation" not in iface.scopes, iface.key
        assert set(iface.scopes) == {"chain", "branch"}
        supplier = iface.get_field("supplier")
        assert supplier.kind == "supplier" and not supplier.required
        companies = iface.get_field("companies")
        assert companies.kind == "company" and companies.multiple and companies.required
        assert iface.multiple_per_scope and iface.unique_by == "companies"
        assert iface.source == "manual"


def test_ear_mould_partner_and_command_line_fields():
    """Partner interfaces need URL, login and timeouts; the command line its program details."""
    for key in ("audia_easy_order", "dreve_smartorder", "egger_order_system", "egger_erp_order",
                "hoerluchs_partner_order", "otofaktur_otoport"):
        iface = get_interface(key)
        assert {"base_url", "username", "password", "connect_timeout", "read_timeout"} <= {
            f.key for f in iface.fields}, key
    command = get_interface("ear_mould_command")
    assert {"program", "arguments", "working_dir", "timeout"} <= {f.key for f in command.fields}
    assert {c[0] for c in command.get_field("output_format").choices} == {"json", "xml"}
    standard = get_interface("ear_mould_standard_order")
    assert {c[0] for c in standard.get_field("delivery").choices} == {"email", "print_fax"}


def test_tse_only_on_a_workstation():
    """KassenSichV-Swissbit is set up on the computer holding the USB stick."""
    tse = get_interface("tse_swissbit")
    assert group_of("tse_swissbit").name_de == "KassenSichV"
    assert tse.scopes == ("workstation",)
    assert tse.usages == ("client",)
    assert tse.get_field("drive_letter").required


def test_appointment_reminders_are_chain_wide_and_server_side():
    """Reminders cover the whole chain; exceptions go through the branch-code filter."""
    reminders = get_interface("appointment_reminders")
    assert reminders.scopes == ("chain",)
    assert reminders.branch_restrictable is False
    assert reminders.usages == ("server",)
    assert reminders.get_field("branch_code_filter").label_de == "Filialkürzel Filter"
    assert "smtp" in reminders.requires
    assert get_interface("assortment_min_max").branch_restrictable is False


def test_scope_and_usage_rules_from_the_facts():
    """EC terminal client-only, payment export on a workstation, SMSAPI auth mode and CalDAV
    username fixed after the first save, e-mail order once per company or generic."""
    assert get_interface("ec_zvt_ethernet").usages == ("client",)
    assert get_interface("ec_six_payment").usages == ("client",)
    payment_export = get_interface("payment_export")
    assert payment_export.scopes == ("workstation",)
    assert payment_export.get_field("directory").kind == "path"
    smsapi = get_interface("smsapi")
    assert smsapi.fixed_after_save == ("auth_mode",)
    assert smsapi.get_field("token").shown_if == Condition("auth_mode", ("token",))
    caldav = get_interface("caldav_service_account")
    assert caldav.fixed_after_save == ("username",) and caldav.unique_by == "username"
    email_order = get_interface("email_order")
    assert email_order.multiple_per_scope and email_order.unique_by == "company"
    assert not email_order.get_field("company").required  # empty = the generic service


def test_sinno_defaults_and_actions():
    """Seed 004: preset server and client ID, company number, log in and out (and, as a
    network interface, Verbindung testen); chat syncs and needs the app service first."""
    app = get_interface("sinno_app")
    assert app.get_field("server").default == "https://winpro.api.ipro.de/v1"
    assert app.get_field("client_id").default == "winpro"
    assert app.get_field("company_number").required
    assert [(a.kind, a.label_de) for a in app.actions] == [
        ("test", "Verbindung testen"), ("login", "Anmelden"), ("logout", "Abmelden")]
    assert app.actions[2].confirm_de  # logging out cuts every customer off
    assert set(app.usages) == {"server", "client"}
    chat = get_interface("sinno_chat")
    assert chat.usages == ("server",) and chat.actions[0].kind == "sync"
    assert chat.prerequisites == ("sinno_app",)


def test_audoora_registration_actions():
    """Seed 002: register once, refresh after new branches or employees, fetch the list of
    partner companies; client-side."""
    audoora = get_interface("audoora_order")
    assert [(a.kind, a.label_de) for a in audoora.actions] == [
        ("test", "Verbindung testen"),
        ("register", "Jetzt registrieren"),
        ("refresh_registration", "Registrierung aktualisieren"),
        ("request_info", "Partnerliste abrufen"),
    ]
    assert audoora.usages == ("client",)


def test_card_order_templates():
    """Seed 003: a card contract key, 'request information', at least one card template.
    Contract and key arrive after 'Informationen anfordern', so neither is required."""
    cards = get_interface("card_order")
    assert group_of("card_order").name_de == "Kundenkarten"
    assert cards.get_field("contract_key").kind == "secret"
    assert not cards.get_field("contract_key").required
    assert not cards.get_field("contract_number").required
    assert [action.kind for action in cards.actions] == ["test", "request_info"]
    assert cards.get_field("base_url").kind == "url"  # the provider's (docs/partners/cards.md)
    (templates,) = cards.tables
    assert templates.min_rows == 1
    kinds = {f.key: f.kind for f in templates.fields}
    assert kinds["card_template"] == kinds["cover_letter"] == "document_template"
    assert kinds["validity_required"] == kinds["gift_box"] == kinds["roller_clip"] == "bool"
    assert kinds["card_type"] == kinds["card_kind"] == kinds["ship_to"] == "choice"


def test_secrets_are_secret_fields_without_defaults():
    """Passwords, API keys and tokens are kind secret; no secret ships a default."""
    for iface, fields in _all_fields():
        for spec in fields:
            looks_secret = spec.key in SECRET_KEYS or any(p in spec.key for p in SECRET_PARTS)
            if looks_secret:
                assert spec.kind == "secret", f"{iface.key}.{spec.key}"
            if spec.kind == "secret":
                assert spec.default is None, f"{iface.key}.{spec.key}"
                assert iface.unique_by != spec.key


def test_every_interface_has_german_and_english_help():
    """The F1 help exists in both languages and is more than a label."""
    for iface in _all_interfaces():
        assert len(iface.help_de) > 60 and len(iface.help_en) > 60, iface.key


def test_sources_mark_manual_and_designed_interfaces():
    """Interfaces named by the seeds or the facts are 'manual'; the rest 'designed'."""
    manual = {i.key for i in _all_interfaces() if i.source == "manual"}
    assert {"audoora_order", "sinno_app", "sinno_chat", "card_order", "smtp",
            "imap_delivery_notes", "email_order", "spryng_rest", "smsapi", "ec_zvt_ethernet",
            "ec_six_payment", "tse_swissbit", "bonima_check_pool", "ksv1870",
            "appointment_reminders", "payment_export", "direct_debit_export",
            "gfk_market_research", "simple_currency_converter", "line_display_com",
            "receipt_printer_drawer", "elina_alcom", "signotec_signature_pad",
            "settlement_import", "finanzonline_rksv"} <= manual
    for key in ("geocoding_http", "ecb_reference_rates", "echo_test", "ldap_directory"):
        assert get_interface(key).source == "designed"


def test_catalogue_entries_are_frozen():
    """Catalogue data cannot be changed at run time."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_interface("smtp").scopes = ("workstation",)


# --- lookups and search ------------------------------------------------------------------
def test_lookups_raise_key_error_for_unknown_keys():
    """A key stored for a removed interface fails loudly, not with None."""
    assert get_interface("dreve_smartorder").name_de == "Dreve SmartOrder"
    with pytest.raises(KeyError, match="no_such_type"):
        get_interface("no_such_type")
    with pytest.raises(KeyError, match="no_such_group"):
        get_group("no_such_group")


def test_search_finds_interfaces_by_name_case_insensitively():
    """'dreve', 'TSE' and 'Swissbit' find their interfaces, whatever the case."""
    assert [i.key for _, i in search("dreve")] == ["dreve_smartorder"]
    assert [i.key for _, i in search("DREVE")] == ["dreve_smartorder"]
    assert [i.key for _, i in search("TSE")] == ["tse_swissbit"]
    assert [i.key for _, i in search("swissbit")] == ["tse_swissbit"]
    group, iface = search("Swissbit")[0]
    assert group.key == "kassensichv" and iface.key == "tse_swissbit"


def test_search_matches_group_names_in_both_languages_and_umlaut_spellings():
    """A group name lists all its interfaces; 'hoerluchs' matches 'Hörluchs'."""
    assert len(search("otoplastikbestellung")) == 9
    assert len(search("Ear-mould ordering")) == 9
    assert [i.key for _, i in search("hoerluchs")] == ["hoerluchs_partner_order"]
    assert [i.key for _, i in search("Währungs")] == ["simple_currency_converter",
                                                      "ecb_reference_rates"]


def test_search_within_one_group_and_with_empty_text():
    """group_key limits the search; empty text lists everything in catalogue order."""
    hits = search("", group_key="sms")
    assert [i.key for _, i in hits] == ["spryng_rest", "smsapi"]
    assert search("dreve", group_key="sms") == []
    assert len(search("")) == len(_all_interfaces())
    with pytest.raises(KeyError):
        search("x", group_key="nope")


# --- validation of malformed entries -------------------------------------------------------
def _field(**changes):
    values = dict(key="host", kind="text", label_de="Server", label_en="Server")
    return FieldSpec(**{**values, **changes})


def _iface(**changes):
    values = dict(key="demo", name_de="Demo", name_en="Demo", help_de="Hilfe.",
                  help_en="Help.", usages=("server",), scopes=("chain",), source="designed",
                  fields=(_field(),))
    return InterfaceType(**{**values, **changes})


def _group(*interfaces, **changes):
    values = dict(key="demo_group", name_de="Demo", name_en="Demo", help_de="Hilfe.",
                  help_en="Help.", interfaces=interfaces or (_iface(),))
    return Group(**{**values, **changes})


def _with_fields(*fields, **changes):
    return (_group(_iface(fields=fields, **changes)),)


def test_a_minimal_catalogue_is_valid():
    """The builders below produce a valid catalogue; each case breaks exactly one thing."""
    assert validate_catalogue((_group(),))


def test_network_and_device_interfaces_with_their_tests_are_valid():
    """A url field with a server-side test, a device field with a workstation test, and a
    prerequisite that is among requires pass the start-up check."""
    server_test = ActionSpec("test", "test", "Verbindung testen", "Test connection")
    station_test = ActionSpec("test", "test", "Verbindung testen", "Test connection",
                              runs_at="workstation")
    assert validate_catalogue((_group(
        _iface(fields=(_field(kind="url"),), actions=(server_test,)),
        _iface(key="pad", usages=("client",), actions=(station_test,),
               fields=(_field(section=Section("device", "Gerät", "Device")),)),
        _iface(key="chat", requires=("demo",), prerequisites=("demo",)),
    ),))


CHOICE = _field(key="mode", kind="choice", choices=(("a", "A", "A"), ("b", "B", "B")),
                default="a")
BROKEN = {
    "duplicate group": (
        lambda: (_group(), _group(_iface(key="other"))),
        ["group 'demo_group'", "duplicate group key"]),
    "duplicate interface across groups": (
        lambda: (_group(), _group(key="second")),
        ["group 'second' / interface 'demo'", "duplicate interface key"]),
    "duplicate field": (
        lambda: _with_fields(_field(), _field()),
        ["interface 'demo' / field 'host'", "duplicate field key"]),
    "non-ASCII key": (
        lambda: _with_fields(_field(key="größe")),
        ["field 'größe'", "ASCII slug"]),
    "unknown kind": (
        lambda: _with_fields(_field(kind="textarea")),
        ["field 'host'", "kind 'textarea'"]),
    "choice without choices": (
        lambda: _with_fields(_field(kind="choice")),
        ["field 'host'", "non-empty tuple of choices"]),
    "choices on a text field": (
        lambda: _with_fields(_field(choices=(("a", "A", "A"),))),
        ["field 'host'", "only allowed on choice fields"]),
    "malformed choice": (
        lambda: _with_fields(_field(kind="choice", choices=(("a", "A"),))),
        ["field 'host'", "is not (value, label_de, label_en)"]),
    "default not among choices": (
        lambda: _with_fields(dataclasses.replace(CHOICE, default="c")),
        ["field 'mode'", "not among the choices"]),
    "number default of wrong type": (
        lambda: _with_fields(_field(kind="number", default="10")),
        ["field 'host'", "is not a number"]),
    "bool default of wrong type": (
        lambda: _with_fields(_field(kind="bool", default="yes")),
        ["field 'host'", "is not a bool"]),
    "date default of wrong type": (
        lambda: _with_fields(_field(kind="date", default="2025-01-01")),
        ["field 'host'", "is not a datetime.date"]),
    "relative url default": (
        lambda: _with_fields(_field(kind="url", default="example.org/api")),
        ["field 'host'", "not an absolute URL"]),
    "email default": (
        lambda: _with_fields(_field(kind="email", default="nobody")),
        ["field 'host'", "not an e-mail address"]),
    "secret default": (
        lambda: _with_fields(_field(kind="secret", default="hunter2")),
        ["field 'host'", "secrets never have a default"]),
    "company default": (
        lambda: _with_fields(_field(kind="company", default=1)),
        ["field 'host'", "reference fields"]),
    "min above max": (
        lambda: _with_fields(_field(kind="number", min_value=10, max_value=1)),
        ["field 'host'", "min_value 10 > max_value 1"]),
    "default above max": (
        lambda: _with_fields(_field(kind="number", max_value=5, default=6)),
        ["field 'host'", "above max_value"]),
    "min/max on a text field": (
        lambda: _with_fields(_field(min_value=1)),
        ["field 'host'", "only allowed on number fields"]),
    "text default longer than max_length": (
        lambda: _with_fields(_field(max_length=3, default="abcd")),
        ["field 'host'", "longer than max_length"]),
    "pattern that does not compile": (
        lambda: _with_fields(_field(pattern="[")),
        ["field 'host'", "pattern does not compile"]),
    "multiple on a text field": (
        lambda: _with_fields(_field(multiple=True)),
        ["field 'host'", "multiple is only allowed"]),
    "empty German label": (
        lambda: _with_fields(_field(label_de=" ")),
        ["field 'host'", "label_de is empty"]),
    "empty English label": (
        lambda: _with_fields(_field(label_en="")),
        ["field 'host'", "label_en is empty"]),
    "help in one language only": (
        lambda: _with_fields(_field(help_de="Nur deutsch.")),
        ["field 'host'", "help_de and help_en"]),
    "section without labels": (
        lambda: _with_fields(_field(section=Section("connection", "", "Connection"))),
        ["field 'host' / section", "label_de is empty"]),
    "shown_if on an unknown field": (
        lambda: _with_fields(_field(shown_if=Condition("mode", ("a",)))),
        ["field 'host'", "shown_if refers to unknown field 'mode'"]),
    "shown_if with a value the field lacks": (
        lambda: _with_fields(CHOICE, _field(shown_if=Condition("mode", ("z",)))),
        ["field 'host'", "shown_if value 'z'"]),
    "empty interface help": (
        lambda: (_group(_iface(help_en="")),),
        ["interface 'demo'", "help_en is empty"]),
    "empty usages": (
        lambda: (_group(_iface(usages=(), default_usages=("server",))),),
        ["interface 'demo'", "usages must be a non-empty tuple"]),
    "unknown usage": (
        lambda: (_group(_iface(usages=("cloud",))),),
        ["interface 'demo'", "usages value 'cloud'"]),
    "unknown scope": (
        lambda: (_group(_iface(scopes=("region",))),),
        ["interface 'demo'", "scopes value 'region'"]),
    "empty scopes": (
        lambda: (_group(_iface(scopes=())),),
        ["interface 'demo'", "scopes must be a non-empty tuple"]),
    "default usage not allowed": (
        lambda: (_group(_iface(default_usages=("client",))),),
        ["interface 'demo'", "default_usages"]),
    "unknown source": (
        lambda: (_group(_iface(source="guess")),),
        ["interface 'demo'", "source 'guess'"]),
    "unique_by names an unknown field": (
        lambda: (_group(_iface(multiple_per_scope=True, unique_by="company")),),
        ["interface 'demo'", "unique_by names unknown field 'company'"]),
    "unique_by without multiple_per_scope": (
        lambda: (_group(_iface(unique_by="host")),),
        ["interface 'demo'", "unique_by needs multiple_per_scope"]),
    "fixed_after_save names an unknown field": (
        lambda: (_group(_iface(fixed_after_save=("auth_mode",))),),
        ["interface 'demo'", "fixed_after_save names unknown field 'auth_mode'"]),
    "interface without fields or reason": (
        lambda: (_group(_iface(key="bare", fields=()), _iface()),),
        ["interface 'bare'", "no fields and no no_fields_reason"]),
    "fields and a no_fields_reason": (
        lambda: (_group(_iface(no_fields_reason="none needed")),),
        ["interface 'demo'", "also a no_fields_reason"]),
    "requires an unknown interface": (
        lambda: (_group(_iface(requires=("smtp",))),),
        ["interface 'demo'", "requires unknown interface 'smtp'"]),
    "action of unknown kind": (
        lambda: (_group(_iface(actions=(ActionSpec("go", "launch", "Los", "Go"),))),),
        ["interface 'demo' / action 'go'", "kind 'launch'"]),
    "duplicate action": (
        lambda: (_group(_iface(actions=(ActionSpec("t", "test", "T", "T"),) * 2)),),
        ["interface 'demo' / action 't'", "duplicate action key"]),
    "table named like a field": (
        lambda: (_group(_iface(tables=(TableSpec("host", "Zeilen", "Rows", (_field(),)),))),),
        ["interface 'demo' / table 'host'", "duplicate table key"]),
    "table without fields": (
        lambda: (_group(_iface(tables=(TableSpec("rows", "Zeilen", "Rows", ()),))),),
        ["interface 'demo' / table 'rows'", "has no fields"]),
    "table field malformed": (
        lambda: (_group(_iface(tables=(
            TableSpec("rows", "Zeilen", "Rows", (_field(kind="number", default="x"),)),))),),
        ["interface 'demo' / table 'rows' / field 'host'", "is not a number"]),
    "group without interfaces": (
        lambda: (_group(), Group("empty", "Leer", "Empty", "Hilfe.", "Help.", ())),
        ["group 'empty'", "has no interfaces"]),
    "prerequisite outside requires": (
        lambda: (_group(_iface(prerequisites=("demo",))),),
        ["interface 'demo'", "prerequisite 'demo' is not among requires"]),
    "action running at an unknown place": (
        lambda: (_group(_iface(actions=(ActionSpec("t", "test", "T", "T", runs_at="cloud"),))),),
        ["interface 'demo' / action 't'", "runs_at 'cloud'"]),
    "workstation action on a server-only type": (
        lambda: (_group(_iface(actions=(
            ActionSpec("t", "test", "T", "T", runs_at="workstation"),))),),
        ["interface 'demo' / action 't'", "not client-side"]),
    "url field without a connection test": (
        lambda: _with_fields(_field(key="base_url", kind="url")),
        ["interface 'demo'", "field 'base_url' makes it speak a network protocol"]),
    "host field tested only at the workstation": (
        lambda: _with_fields(_field(kind="host"), usages=("client",), actions=(
            ActionSpec("t", "test", "T", "T", runs_at="workstation"),)),
        ["interface 'demo'", "field 'host' makes it speak a network protocol"]),
    "device field without a workstation test": (
        lambda: _with_fields(_field(section=Section("device", "Gerät", "Device")),
                             usages=("client",), actions=(ActionSpec("t", "test", "T", "T"),)),
        ["interface 'demo'", "field 'host' is a device setting"]),
    "group without an interface with fields": (
        lambda: (_group(_iface(fields=(), no_fields_reason="nothing to set")),),
        ["group 'demo_group'", "no interface with fields"]),
    "unknown area": (
        lambda: (_group(area="dental"),),
        ["group 'demo_group'", "area 'dental'"]),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_validation_names_the_malformed_entry(case):
    """Each kind of malformation raises CatalogueError naming group/interface/field."""
    build, expected = BROKEN[case]
    with pytest.raises(CatalogueError) as caught:
        validate_catalogue(build())
    message = str(caught.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_validation_reports_every_problem_at_once():
    """One run lists all bad entries, so a broken catalogue is fixed in one go."""
    broken = _with_fields(_field(kind="textarea"), _field(key="port", kind="number",
                                                           default="x"))
    with pytest.raises(CatalogueError) as caught:
        validate_catalogue(broken)
    assert len(caught.value.problems) == 2


def test_a_valid_date_default_is_accepted():
    """date fields take datetime.date defaults (and not datetimes)."""
    assert validate_catalogue(_with_fields(_field(kind="date", default=datetime.date(2025, 1, 1))))
    with pytest.raises(CatalogueError):
        validate_catalogue(_with_fields(_field(kind="date",
                                               default=datetime.datetime(2025, 1, 1))))


def test_load_stops_on_a_malformed_catalogue(monkeypatch):
    """The start-up hook refuses a broken catalogue and names the entry."""
    monkeypatch.setattr(catalogue, "GROUPS", _with_fields(_field(kind="textarea")))
    monkeypatch.setattr(catalogue, "_index", None)
    with pytest.raises(CatalogueError, match="field 'host'"):
        catalogue.load()
