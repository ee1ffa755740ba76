"""User administration and the user's own account page (being built)."""
from flask import render_template

from . import bp


@bp.get("/users/")
def users():
    return render_template("errors/error.html", title="Users", message="…")


@bp.get("/account")
def account_get():
    return render_template("errors/error.html", title="Account", message="…")
