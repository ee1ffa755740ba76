"""The change log as CSV for German Excel: the screen's words (secrets only as "geändert"),
moments as TT.MM.JJJJ HH:MM in the chain's time zone, the filters and who reads what as on the
screen, every entry streamed in chunks, would-be formulas escaped, the link with the filters."""
import codecs
import csv
import io
from datetime import datetime, timezone

from tests.factories import HX
from webapp import csv_export
from webapp.extensions import db
from webapp.interfaces import services
from webapp.users.models import User

SMTP_RAW = {"host": "mail.example.org", "port": "587", "encryption": "starttls",
            "sender_address": "filiale@example.org", "password": "streng-geheim-1"}


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    text = body[len(codecs.BOM_UTF8):].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=";"))


def at(day, hour=9, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def test_entries_in_the_screens_words_and_no_secret(client, auth, org, app):
    """A service's life in German words; its password only 'geändert', never its value."""
    changed = dict(SMTP_RAW, encryption="tls", password="noch-geheimer-2")
    with app.app_context():
        admin = db.session.get(User, org.admin)
        made = services.create_service(admin, "smtp", dict(name="Mail ST", branch_id=org.st),
                                       dict(SMTP_RAW))
        assert services.update_service(admin, made, {}, changed, made.version)
        db.session.commit()
    auth.login("admin")
    response = client.get("/changelog/export.csv")
    assert b"streng-geheim-1" not in response.data and b"noch-geheimer-2" not in response.data
    rows = read_csv(response)
    assert rows[0] == ["Zeit", "Mitarbeiter", "Typ", "Datensatz", "Filiale", "Änderungstyp",
                       "Änderung"]
    changed, created = rows[1], rows[2]
    assert changed[1:6] == ["Anna Admin", "Schnittstelle (Service)", "Mail ST", "Stuttgart",
                            "Geändert"]
    assert "Verschlüsselung: STARTTLS → SSL/TLS" in changed[6].split("\n")
    assert "Passwort: geändert" in changed[6].split("\n")
    assert created[5] == "Erstellt" and "Passwort: geändert" in created[6]
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="Anderungsprotokoll-')
    assert "filename*=UTF-8''%C3%84nderungsprotokoll-" in response.headers["Content-Disposition"]


def test_moments_in_the_chains_time_zone(client, auth, org, add_entry):
    """08:05 UTC in March is 09:05 in Berlin; 22:30 UTC on 31 March is 00:30 on 1 April."""
    add_entry("company", 1, "Dreve", at=at(2, 8, 5))
    add_entry("company", 2, "Egger", at=at(31, 22, 30))
    auth.login("admin")
    rows = read_csv(client.get("/changelog/export.csv"))
    assert [(row[0], row[3]) for row in rows[1:]] == [("01.04.2026 00:30", "Egger"),
                                                      ("02.03.2026 09:05", "Dreve")]


def test_filters_and_branch_managers_reading(client, auth, org, add_entry):
    """Type, branch and dates narrow it; Maria (Stuttgart) gets her branch's and the
    chain-wide entries, never Ulm's nor the directory settings."""
    add_entry("branch", org.st, "Stuttgart", branch=(org.st, "Stuttgart"), at=at(2))
    add_entry("branch", org.ul, "Ulm", branch=(org.ul, "Ulm"), at=at(3))
    add_entry("company", 1, "Dreve", at=at(4))
    add_entry("ldap_settings", 1, "LDAP", changes=[{"field": "bind_password", "secret": True}],
              at=at(5))
    auth.login("admin")
    names = lambda query: [row[3] for row in  # noqa: E731
                           read_csv(client.get(f"/changelog/export.csv?{query}"))[1:]]
    assert names("") == ["LDAP", "Dreve", "Ulm", "Stuttgart"]
    assert names("type=branch") == ["Ulm", "Stuttgart"]
    assert names(f"branch={org.ul}") == ["Ulm"]
    assert names("from=2026-03-03&to=2026-03-04") == ["Dreve", "Ulm"]
    auth.logout()
    auth.login("maria")
    assert names("") == ["Dreve", "Stuttgart"]
    assert names(f"branch={org.ul}") == []


def test_staff_may_not_export(client, auth, org):
    """As the screen: 403 for staff."""
    auth.login("sam")
    assert client.get("/changelog/export.csv").status_code == 403


def test_every_entry_in_chunks_and_formulas_escaped(client, auth, org, add_entry, monkeypatch):
    """Entries of the same moment across chunk borders come once each; a record named like a
    formula gets an apostrophe."""
    for number in range(5):
        add_entry("company", number + 1, f"Firma {number}", at=at(2))
    add_entry("company", 9, "=cmd|' /C calc'!A0", at=at(1))
    monkeypatch.setattr(csv_export, "CHUNK_SIZE", 2)
    auth.login("admin")
    rows = read_csv(client.get("/changelog/export.csv"))[1:]
    assert [row[3] for row in rows] == [f"Firma {n}" for n in (4, 3, 2, 1, 0)] + [
        "'=cmd|' /C calc'!A0"]


def test_the_link_carries_the_filters(client, auth, org, add_entry):
    """The link sits in the fragment the filters swap."""
    auth.login("admin")
    body = client.get(f"/changelog/?type=company&branch={org.st}&from=2026-03-01",
                      headers=HX).get_data(as_text=True)
    assert (f'href="/changelog/export.csv?type=company&amp;branch={org.st}'
            f'&amp;from=2026-03-01"') in body
    assert "CSV exportieren" in client.get("/changelog/").get_data(as_text=True)


def test_statements_do_not_grow_with_the_entries(client, auth, org, add_entry, count_queries):
    """Words, names and links are read per chunk of entries, not per entry."""
    add_entry("branch", org.st, "Stuttgart", branch=(org.st, "Stuttgart"))
    add_entry("workstation", org.st_till, "ST-KASSE",
              changes=[{"field": "branch_id", "old": org.st, "new": org.ul}])
    auth.login("admin")
    client.get("/changelog/export.csv")
    with count_queries() as few:
        assert client.get("/changelog/export.csv").status_code == 200
    for number in range(15):
        add_entry("branch", org.ul, f"Ulm {number}", branch=(org.ul, "Ulm"))
        add_entry("workstation", org.st_till, "ST-KASSE",
                  changes=[{"field": "branch_id", "old": org.ul, "new": org.st}])
    client.get("/changelog/export.csv")
    with count_queries() as many:
        rows = read_csv(client.get("/changelog/export.csv"))
    assert len(rows) == 33 and many.count == few.count
