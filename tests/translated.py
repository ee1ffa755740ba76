"""German UI text for assertions: tests look for what a German user really sees."""
from pathlib import Path

from babel.support import Translations
from markupsafe import escape

_CATALOGUE = Translations.load(str(Path(__file__).resolve().parent.parent / "webapp" / "translations"),
                               ["de"])


def de(msgid, **values):
    """The German translation of `msgid`, with %(name)s values filled in."""
    text = _CATALOGUE.gettext(msgid)
    return text % values if values else text


def de_html(msgid, **values):
    """As `de`, escaped as Jinja renders it into a page, encoded for response.data."""
    return str(escape(de(msgid, **values))).encode()
