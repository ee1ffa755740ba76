"""German is the default UI language and the catalogue covers every marked string."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "webapp" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2)}


def _extracted(subdir, method):
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / subdir, method_map=[(f"**.{'py' if method == 'python' else 'html'}", method)],
            keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_has_a_german_translation():
    """No marked string is missing from the catalogue, fuzzy or left empty."""
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    marked = _extracted("webapp", "python") | _extracted("templates", "jinja2")
    missing = sorted(marked - translated)
    assert not missing, f"{len(missing)} strings lack a German translation, e.g. {missing[:10]}"


def test_login_page_german_by_default_and_english_selectable(client, auth):
    german = client.get("/login").get_data(as_text=True)
    assert "Anmelden" in german and 'lang="de"' in german
    client.post("/language", data={"lang": "en", "csrf_token": auth.csrf_token()})
    english = client.get("/login").get_data(as_text=True)
    assert "Log in" in english and 'lang="en"' in english


def test_user_preference_decides_language(client, auth, make_user):
    make_user("eve", preferred_language="en")
    auth.login("eve")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
