"""Companies (being built)."""
from flask import render_template

from . import bp


@bp.get("/companies/")
def companies():
    return render_template("errors/error.html", title="Companies", message="…")
