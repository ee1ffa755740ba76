"""The global change log escapes every stored text itself (display.escaped) and outputs its
rows with autoescape off: markup in a record's name, an employee's or branch's name, a field's
name, its values or a roll-out's words is shown as text, exactly as markupsafe escapes it."""
from datetime import datetime, timezone

from markupsafe import escape

from webapp.changelog.display import escape_text

HOSTILE = "<b>x</b> & \"q\" 's"


def test_escaped_is_markupsafe_escape():
    """escape_text writes markupsafe's entities, as a plain str."""
    for text in ("", "plain", HOSTILE, "&amp; already", "<<>>''\"\"&&", "ä → ü"):
        assert escape_text(text) == str(escape(text))
        assert type(escape_text(text)) is str


def test_every_text_of_an_entry_is_escaped(client, auth, org, add_entry):
    """No stored text reaches the page as markup, restored and rolled-out entries included."""
    add_entry("company", 7, f"Firma {HOSTILE}", changes=[
        {"field": f"field {HOSTILE}", "old": f"old {HOSTILE}", "new": f"new {HOSTILE}"}],
        branch=(org.st, f"Filiale {HOSTILE}"), user=(None, f"Wer {HOSTILE}"))
    add_entry("company", 7, f"Firma {HOSTILE}", changes=[
        {"field": "rollout", "rollout": 1, "reference": f"ref {HOSTILE}",
         "source": f"source {HOSTILE}"},
        {"field": "restored_from", "entry": 1,
         "at": datetime(2026, 3, 1, 9, tzinfo=timezone.utc).isoformat()}])
    auth.login("admin")
    body = client.get("/changelog/").get_data(as_text=True)
    assert "<b>" not in body
    for text in ("Firma", "field", "old", "new", "Filiale", "Wer", "ref", "source"):
        assert f"{text} {escape(HOSTILE)}" in body
