"""Konfiguration exportieren / importieren: the interface configuration of the chain, a branch
or a workstation as a JSON file without any secret, and its import (administrators), which
shows what it will create or change before it saves anything (transfer.py has the rules)."""
import json

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx
from ..csv_export import disposition
from ..org import services as org_services
from ..permissions import is_admin, reads_branch
from . import services, transfer
from .blueprint import bp
from .models import BRANCH, CHAIN, WORKSTATION

FRAGMENT = "interfaces/_import.html"


# --- export ------------------------------------------------------------------------------

@bp.get("/interfaces/configuration.json")
def export_chain_get():
    """The chain's own services (everyone reads them)."""
    return _download(transfer.Place(CHAIN))


@bp.get("/branches/<int:branch_id>/configuration.json")
def export_branch_get(branch_id):
    """A branch's own services, for whoever reads the branch (as its effective
    configuration); 404 otherwise."""
    branch = org_services.get_branch(branch_id)
    if branch is None or not reads_branch(current_user, branch.id):
        abort(404)
    return _download(transfer.Place(BRANCH, branch=branch))


@bp.get("/workstations/<int:station_id>/configuration.json")
def export_workstation_get(station_id):
    """A workstation's own services (its settings), for whoever reads its branch."""
    station = org_services.get_workstation(current_user, station_id)
    if station is None:
        abort(404)
    return _download(transfer.Place(WORKSTATION, branch=station.branch, workstation=station))


def _download(place):
    content = transfer.export_configuration(place)
    body = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    name = transfer.export_filename(place, services.chain_today())
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": disposition(name),
                             "Cache-Control": "no-store"})


# --- import ------------------------------------------------------------------------------

@bp.get("/interfaces/import")
def import_get():
    """The upload form (administrators)."""
    _require_admin()
    return _render()


@bp.post("/interfaces/import")
def import_post():
    """The uploaded file's preview: per service create / update (with its differences) /
    skip (with the reason), and the secrets to enter afterwards. Nothing is saved. A file
    that does not fit is refused beside the upload field (422)."""
    _require_admin()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render(problems=[_("Choose the configuration file to import.")], status=422)
    try:
        content = transfer.read_file(upload.read())
        steps = transfer.plan_import(current_user, content)
    except transfer.Refused as refused:
        return _render(problems=refused.reasons, status=422)
    return _render(steps=steps, filename=upload.filename,
                   configuration=json.dumps(content, ensure_ascii=False))


@bp.post("/interfaces/import/confirm")
def import_confirm_post():
    """'Importieren': the previewed file saved in one transaction; a refusal (the data
    changed since the preview) saves nothing and says why (422)."""
    _require_admin()
    try:
        content = transfer.read_file(request.form.get("configuration", ""))
        steps = transfer.apply_import(current_user, content)
    except transfer.Refused as refused:
        return _render(problems=refused.reasons, status=422)
    return _render(steps=steps, done=True)


def _require_admin():
    if not is_admin(current_user):
        abort(403)


def _render(status=200, **context):
    context.setdefault("problems", [])
    context.setdefault("steps", None)
    context.setdefault("done", False)
    context["action_labels"] = {transfer.CREATE: _("New"), transfer.UPDATE: _("Update"),
                                transfer.SKIP: _("Skip")}
    context["list_url"] = url_for("interfaces.list_get")
    if hx.wants_fragment():
        return render_template(FRAGMENT, **context), status
    return render_template("interfaces/import.html", **context), status
