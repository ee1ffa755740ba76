"""/directory/ was the settings screen of directory login and single sign-on. Both are
interface services now (Schnittstellen → LDAP and System); old bookmarks and links land on
the services list searched for them."""
from flask import redirect, url_for

from . import bp
from .settings import KEYWORD


@bp.get("/")
def settings_get():
    """The login services in Schnittstellen (the interfaces list asks for a login)."""
    return redirect(url_for("interfaces.list_get", q=KEYWORD), 302)
