"""Schnittstellen → Zustand: the health board (health.py builds it). Filters by group,
branch and "only problems" replace the board below them and keep the URL in step."""
from flask import render_template, request
from flask_login import current_user

from .. import hx, params
from . import health
from .blueprint import bp


@bp.get("/interfaces/health")
def health_get():
    """The groups × branches board with the last test of each applying service, the notices
    and the 30-day trend; htmx filter requests get the board alone."""
    args = request.args
    page = health.health_page(current_user, group_key=args.get("group") or None,
                              branch_id=params.to_id(args.get("branch")),
                              only_problems=args.get("problems") == "1")
    if hx.wants_fragment():
        return render_template("interfaces/_health_board.html", page=page)
    return render_template("interfaces/health.html", page=page)
