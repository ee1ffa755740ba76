"""Field input: raw form strings become typed values, with a message beside each bad field."""
import datetime

from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from tests.translated import de
from webapp.interfaces import values
from webapp.interfaces.catalogue import get_interface

SMTP = get_interface("smtp")
SMSAPI = get_interface("smsapi")


def parse(key, raw, **options):
    return values.parse(get_interface(key), raw, **options)


def test_typed_values_from_strings(world):
    """Numbers, choices, e-mails and empty optional fields come back typed (None = empty)."""
    result = parse("smtp", {"host": " mail.example.org ", "port": "465", "encryption": "tls",
                            "sender_address": "a@example.org", "timeout": ""})
    assert not result.errors
    assert result.values["host"] == "mail.example.org" and result.values["port"] == 465
    assert result.values["timeout"] is None and result.values["reply_to"] is None
    assert "password" not in result.values


def test_required_and_formats(world):
    """Missing required fields, bad numbers, addresses and choices are all reported at once."""
    result = parse("smtp", {"port": "0", "encryption": "ssl3", "sender_address": "a@b",
                            "timeout": "abc"})
    assert result.errors == {
        "host": "This field is required.",
        "port": "Enter a number from 1 to 65535.",
        "encryption": "Not a valid choice.",
        "timeout": "Enter a number.",
        "sender_address": "Enter a valid e-mail address.",
    }


def test_number_range_and_german_decimal_comma():
    """A decimal comma is accepted; integers stay integers."""
    spec = get_interface("smtp").get_field("timeout")
    assert values.parse_value(spec, "45") == (45, None)
    assert values.parse_value(spec, "1,5") == (1.5, None)
    assert values.parse_value(spec, "301") == (None, "Enter a number from 1 to 300.")
    assert values.parse_value(spec, "nan") == (None, "Enter a number.")


def test_max_length_and_pattern(world):
    """The TSE drive letter must look like 'E:'; text longer than max_length is refused."""
    assert parse("tse_swissbit", {"drive_letter": "E:"}).values == {"drive_letter": "E:"}
    assert parse("tse_swissbit", {"drive_letter": "E"}).errors == {
        "drive_letter": "The value does not have the expected format (see the help)."}
    long = parse("tse_swissbit", {"drive_letter": "EEE"}).errors["drive_letter"]
    assert long == "Enter at most 2 characters."


def test_urls_must_be_absolute(world):
    """A relative address or one with spaces is refused (in the app: its outbound policy is
    checked too)."""
    spec = get_interface("dreve_smartorder").get_field("base_url")
    message = "Enter a full address such as https://example.org."
    assert values.parse_value(spec, "https://order.example.org/api") == (
        "https://order.example.org/api", None)
    assert values.parse_value(spec, "order.example.org/api") == (None, message)
    assert values.parse_value(spec, "https://order example.org") == (None, message)


def test_dates_iso_or_german(world):
    """Date inputs post ISO; typed-in German dates work as well."""
    spec = get_interface("caldav_service_account").get_field("valid_from")
    assert values.parse_value(spec, "2026-04-01") == (datetime.date(2026, 4, 1), None)
    assert values.parse_value(spec, "01.04.2026") == (datetime.date(2026, 4, 1), None)
    assert values.parse_value(spec, "April") == (None, "Enter a date such as 31.12.2025.")


def test_hidden_fields_are_not_required_and_not_kept(world):
    """SMSAPI with a token needs no username/password; the hidden username is dropped."""
    result = parse("smsapi", {"base_url": "https://api.smsapi.com", "auth_mode": "token",
                              "token": "t", "username": "left over"})
    assert not result.errors
    assert result.values["username"] is None and result.secrets == {"token": "t"}
    other = parse("smsapi", {"base_url": "https://api.smsapi.com",
                             "auth_mode": "user_password"})
    assert set(other.errors) == {"username", "password"}


def test_companies_must_exist_and_suppliers_be_suppliers(world):
    """Company fields take existing ids; supplier fields only companies marked as suppliers."""
    raw = {"companies": [str(world.dreve.id), "999"], "base_url": "https://o.example.org",
           "username": "u", "password": "p", "supplier": str(world.hoerluchs.id)}
    errors = parse("dreve_smartorder", raw).errors
    assert errors == {"companies": "Choose an existing company.",
                      "supplier": "Choose a company that is marked as a supplier."}
    ok = parse("dreve_smartorder", {**raw, "companies": [str(world.dreve.id)] * 2,
                                    "supplier": str(world.wholesaler.id)})
    assert not ok.errors
    assert ok.values["companies"] == [world.dreve.id]
    assert ok.values["supplier"] == world.wholesaler.id
    form = MultiDict([("companies", str(world.egger.id)), ("companies", str(world.dreve.id))])
    assert values._getter(form)("companies", True) == [str(world.egger.id), str(world.dreve.id)]
    assert parse("dreve_smartorder", {**raw, "companies": "x"}).errors["companies"] == \
        "Choose a company from the list."


def test_booleans_and_partial_input(world):
    """A missing checkbox is False; in partial (workstation) mode empty means 'inherit'."""
    spec = get_interface("caldav_service_account").get_field("confirmed")
    assert values.parse_value(spec, None) == (False, None)
    assert values.parse_value(spec, "y") == (True, None)
    assert values.parse_value(spec, "n", partial=True) == (False, None)
    assert values.parse_value(spec, "", partial=True) == (None, None)
    assert values.parse_value(spec, "vielleicht")[1] == "Choose yes or no."
    assert not parse("smtp", {}, partial=True).errors


def test_secrets_replace_keep_clear(world):
    """A new value replaces, empty keeps (a stored required secret is fine), -clear clears."""
    raw = {"base_url": "https://api.smsapi.com", "auth_mode": "token"}
    assert parse("smsapi", raw).errors == {"token": "This field is required."}
    assert not parse("smsapi", raw, secrets_set={"token"}).errors
    cleared = parse("smsapi", {**raw, "token-clear": "y"}, secrets_set={"token"})
    assert cleared.secrets == {"token": None} and "token" in cleared.errors


def test_table_rows_from_form_names(world):
    """Rows come from '<table>-<n>-<field>' inputs; blank rows are dropped; a bad cell is
    reported under its input name; the minimum number of rows is enforced; a flag hidden by
    its condition (the roller clip of a customer card) is stored off."""
    raw = {"contract_number": "K-1", "contract_key": "k",
           "templates-0-name": "BASIS", "templates-0-ship_to": "customer",
           "templates-0-shipping_interval": "weekly", "templates-0-card_template": "Karte",
           "templates-0-card_type": "chip", "templates-0-card_kind": "customer_card",
           "templates-1-name": "", "templates-1-comment": ""}
    result = parse("card_order", raw)
    assert result.errors == {"templates-0-cover_letter": "This field is required."}
    raw["templates-0-cover_letter"] = "Anschreiben"
    result = parse("card_order", raw)
    assert not result.errors
    (row,) = result.values["templates"]
    assert row["name"] == "BASIS" and row["gift_box"] is False and row["roller_clip"] is False
    no_rows = parse("card_order", {"contract_number": "K-1", "contract_key": "k"})
    assert no_rows.errors == {"templates": "At least 1 row(s) are needed."}


def test_storage_and_form_round_trip(world):
    """Typed → stored JSON → typed is lossless, and form_data feeds parse back."""
    iface = get_interface("caldav_service_account")
    typed = parse("caldav_service_account", {"username": "k", "password": "p",
                                              "valid_from": "2026-04-01", "confirmed": "y"}).values
    stored = values.to_storage(iface, typed)
    assert stored["valid_from"] == "2026-04-01"
    assert values.from_storage(iface, stored) == typed
    again = values.parse(iface, values.form_data(iface, typed), secrets_set={"password"})
    assert again.values == typed and not again.errors
    assert values.form_data(SMTP)["port"] == "587"


def test_messages_are_translated(world):
    """The German UI gets German messages for the same input."""
    with force_locale("de"):
        errors = parse("smtp", {"port": "x"}).errors
        assert str(errors["port"]) == de("Enter a number.")
        assert str(errors["host"]) == de("This field is required.")
