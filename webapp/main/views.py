"""Start page, health check and language switch."""
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, text

from ..companies.models import Company
from ..extensions import db
from ..ordering import services as order_services
from ..ordering.models import CREATED, ERROR
from ..org.models import Branch, Workstation
from ..org.services import get_chain
from ..permissions import is_admin
from ..security import safe_next
from ..users.models import User
from . import bp, readiness
from .navigation import top_bar

bp.app_context_processor(top_bar)


# How many orders in Fehler and still waiting the start page lists; the rest are a link away.
ATTENTION = 5


def _orders_to_watch(actor):
    """Staff and branch managers: their branches' orders in Fehler and those not yet
    Bestellt, newest first (administrators have Verwaltung → Betrieb). A fixed number of
    queries, however many orders there are."""
    if is_admin(actor):
        return None
    return [dict(status=status, heading=heading,
                 orders=order_services.search_orders(status=status, per_page=ATTENTION,
                                                     reader=actor))
            for status, heading in ((ERROR, _l("Orders with status Error")),
                                    (CREATED, _l("Orders not yet ordered")))]


@bp.get("/")
def index():
    """Overview of the chain's master data; for staff and branch managers also their orders
    that need attention."""
    counts = {
        "branches": db.session.scalar(db.select(func.count()).select_from(Branch)),
        "workstations": db.session.scalar(db.select(func.count()).select_from(Workstation)),
        "users": db.session.scalar(db.select(func.count()).select_from(User)),
        "companies": db.session.scalar(db.select(func.count()).select_from(Company)),
    }
    return render_template("main/index.html", chain=get_chain(), counts=counts,
                           watch=_orders_to_watch(current_user))


@bp.get("/health")
def health():
    """Liveness for load balancers: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("Health check failed")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    """Readiness for monitoring: database, Redis, a live worker, the periodic-job ticker and
    overdue outbound work; 503 naming what is wrong (webapp/main/readiness.py)."""
    checks = readiness.ready()
    failed = [check for check in checks if not check.ok]
    for check in failed:
        current_app.logger.warning("Not ready: %s %s", check.name, check.detail)
    body = {"status": "error" if failed else "ok",
            "reason": "; ".join(f"{check.name}: {check.detail}" for check in failed),
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}}
    return jsonify(body), 503 if failed else 200


@bp.post("/language")
def set_language():
    """Switch the UI language; a logged-in user keeps the choice in their profile."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.preferred_language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"), 303)
