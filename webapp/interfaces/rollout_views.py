"""Auf Filialen übertragen: choose branches and fields, see per branch what will happen,
roll out, and follow the roll-out (administrators only; rollouts.py has the rules). The
choice, the preview table and "Übertragen" are one form: a new preview keeps what was typed
into the table."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx
from ..errors import DomainError, PermissionDenied
from ..i18n import ui_language
from ..org import services as org_services
from ..permissions import is_admin
from . import catalogue, rollouts, services
from .blueprint import bp
from .rollout_models import CREATE, SKIP, UPDATE

PAGE = "interfaces/rollout.html"
FORM = "interfaces/_rollout_form.html"
CHECK = "interfaces/_rollout_check.html"
STATUS = "interfaces/_rollout_status.html"


@bp.get("/interfaces/<int:service_id>/rollout")
def rollout_form_get(service_id):
    """The choice of branches and fields; the preview follows on "Vorschau anzeigen"."""
    source, interface = _source(service_id)
    return _render(source, interface, rollouts.default_choice(interface))


@bp.post("/interfaces/<int:service_id>/rollout/preview")
def rollout_preview_post(service_id):
    """What the roll-out would do per branch; nothing is saved. A choice that names no branch
    is refused beside its field (422)."""
    source, interface = _source(service_id)
    choice = rollouts.choice_from(request.form, interface)
    try:
        # The table is shown anew, without the secrets typed into it: the preview must not
        # count on them.
        preview = rollouts.preview(current_user, source, choice, request.form,
                                   keep_secrets=False)
    except rollouts.RolloutRefused as error:
        return _render(source, interface, choice, refused=error, status=422)
    return _render(source, interface, choice, preview=preview)


@bp.post("/interfaces/<int:service_id>/rollout/check")
def rollout_check_post(service_id):
    """A value typed into the preview table: each branch's action and reason, and the
    summary, again (out-of-band swaps; the inputs stay as typed, secrets included)."""
    source, interface = _source(service_id)
    choice = rollouts.choice_from(request.form, interface)
    try:
        preview = rollouts.preview(current_user, source, choice, request.form)
    except rollouts.RolloutRefused as error:
        return _render(source, interface, choice, refused=error, status=422)
    return render_template(CHECK, **_context(source, interface, choice, preview))


@bp.post("/interfaces/<int:service_id>/rollout")
def rollout_post(service_id):
    """Übertragen: the roll-out is stored as previewed and a worker applies it; the page of
    its progress follows. A preview that no longer holds is shown anew (409), as is one in
    which every branch is skipped (422)."""
    source, interface = _source(service_id)
    choice = rollouts.choice_from(request.form, interface)
    try:
        rollout = rollouts.start(current_user, source, choice, request.form)
    except rollouts.RolloutRefused as error:
        status = 409 if isinstance(error, rollouts.PreviewChanged) else 422
        return _render(source, interface, choice, preview=error.preview, refused=error,
                       status=status)
    return hx.redirect(url_for("interfaces.rollout_get", rollout_id=rollout.id))


def _source(service_id):
    """The service to roll out, for an administrator (403 for others, 404 for a service the
    user cannot see); one that cannot be rolled out is refused with its reason (403)."""
    if not is_admin(current_user):
        abort(403)
    source = services.get_service(service_id, reader=current_user)
    if source is None:
        abort(404)
    reason = rollouts.refusal(current_user, source)
    if reason is not None:
        abort(403, description=str(reason))
    return source, catalogue.get_interface(source.interface_key)


def _render(source, interface, choice, preview=None, refused=None, status=200):
    context = _context(source, interface, choice, preview, refused)
    if hx.wants_fragment() and request.method == "POST":
        return render_template(FORM, **context), status
    return render_template(PAGE, **context), status


def _context(source, interface, choice, preview, refused=None):
    return dict(
        source=source, interface=interface, choice=choice, preview=preview,
        refused=refused, options=rollouts.carry_options(interface),
        branches=org_services.all_branches(),
        organisations=org_services.list_organisations(),
        action_labels={CREATE: _("New"), UPDATE: _("Update"), SKIP: _("Skip")},
        actions=rollouts.actions_of(preview) if preview is not None else "",
        lang=ui_language(),
    )


# --- the roll-out's progress ---------------------------------------------------------------

@bp.get("/interfaces/rollouts/")
def rollouts_get():
    """The latest roll-outs with their progress (administrators)."""
    _require_admin()
    return render_template("interfaces/rollouts.html", found=rollouts.recent(),
                           state_labels=_state_labels())


@bp.get("/interfaces/rollouts/<int:rollout_id>")
def rollout_get(rollout_id):
    """One roll-out: per branch what was done, its progress while it runs (htmx polls the
    status part), Fortsetzen / Abbrechen after a stop."""
    _require_admin()
    rollout = _rollout(rollout_id)
    if hx.wants_fragment():
        return render_template(STATUS, **_status(rollout))
    return render_template("interfaces/rollout_status.html", **_status(rollout))


@bp.post("/interfaces/rollouts/<int:rollout_id>/resume")
def rollout_resume_post(rollout_id):
    """Fortsetzen: the failed branch again (or, with skip=y, skipped), then the rest."""
    return _after_stop(rollout_id, lambda rollout: rollouts.resume(
        current_user, rollout, skip_failed=request.form.get("skip") == "y"))


@bp.post("/interfaces/rollouts/<int:rollout_id>/cancel")
def rollout_cancel_post(rollout_id):
    """Abbrechen: the branches not done yet stay as they are."""
    return _after_stop(rollout_id, lambda rollout: rollouts.cancel(current_user, rollout))


def _after_stop(rollout_id, change):
    _require_admin()
    rollout = _rollout(rollout_id)
    try:
        change(rollout)
    except (DomainError, PermissionDenied) as error:
        context = _status(rollout)
        context["problem"] = str(getattr(error, "message", None) or error)
        if hx.wants_fragment():
            return render_template(STATUS, **context), 409
        return render_template("interfaces/rollout_status.html", **context), 409
    return hx.redirect(url_for("interfaces.rollout_get", rollout_id=rollout.id))


def _require_admin():
    if not is_admin(current_user):
        abort(403)


def _rollout(rollout_id):
    rollout = rollouts.get_rollout(rollout_id)
    if rollout is None:
        abort(404)
    return rollout


def _status(rollout):
    counts = rollouts.progress(rollout)
    total = len(rollout.steps)
    finished = total - counts["pending"]
    return dict(rollout=rollout, counts=counts, total=total, finished=finished,
                stalled=rollouts.is_stalled(rollout), problem=None,
                state_labels=_state_labels(),
                step_labels={"pending": _("Waiting"), "done": _("Done"),
                             "failed": _("Failed"), "skipped": _("Skipped"),
                             "cancelled": _("Cancelled")},
                action_labels={CREATE: _("New"), UPDATE: _("Update"), SKIP: _("Skip")})


def _state_labels():
    return {"running": _("Running"), "stopped": _("Stopped"), "done": _("Done"),
            "cancelled": _("Cancelled")}
