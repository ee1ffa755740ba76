"""The editor's actions in words: per declared action its button state, why it cannot run,
the last result with its age; per run its steps, outcome, who and how long. Used by the
editor (views._editor) and the action routes (action_views)."""
from flask import url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from ..i18n import ui_language
from ..models_base import utcnow
from ..probes import FAILED, OK, REASON_TEXTS, SKIPPED, STEP_LABELS
from . import actions


def action_items(service, interface, station):
    """What the editor shows per declared action (one query for all of them)."""
    if service is None:
        return []
    latest = actions.latest_runs([service.id])
    return [action_item(service, interface, spec, station, latest.get((service.id, spec.key)))
            for spec in interface.actions]


def action_item(service, interface, spec, station, latest):
    lang = ui_language()
    found = actions.availability(interface, spec)
    runner = actions.runner_for(interface, spec)
    args = dict(service_id=service.id, action_key=spec.key)
    if station is not None:
        args["station_id"] = station.id
    return dict(
        key=spec.key, label=spec.text("label", lang), help=spec.text("help", lang),
        # A runner with a preview asks on the server (its preview shows the warning), so the
        # browser's own dialog would ask a second time.
        confirm="" if runner is not None and runner.preview is not None
        else spec.text("confirm", lang),
        where=found.where, reason=found.reason,
        runnable=found.runnable and actions.may_run(current_user, service),
        running=actions.is_running(latest),
        last=run_view(latest) if latest is not None else None,
        run_url=url_for("interfaces.action_post", **args),
        status_url=url_for("interfaces.action_status_get", **args),
        history_url=url_for("interfaces.action_history_get", **args),
        panel=_panel(service, interface, spec),
    )


def _panel(service, interface, spec):
    """What a domain above shows beside its action's status (e.g. the registration's state),
    as {"template": …, **its context}, or None."""
    runner = actions.runner_for(interface, spec)
    shown = runner.panel(current_user, service, spec.key) if runner and runner.panel else None
    if shown is None:
        return None
    template, context = shown
    return dict(context, template=template)


def run_view(row):
    """One run in words: outcome, the steps, when, who, how long."""
    progress = row.progress or {}
    steps = [dict(label=STEP_LABELS.get(step["step"], step["step"]), state=step["state"],
                  reason=str(REASON_TEXTS.get(step.get("reason"), "")),
                  detail=step.get("detail", ""))
             for step in progress.get("steps", [])]
    failed = next((step for step in steps if step["state"] == FAILED), None)
    if actions.is_running(row):
        outcome, summary = "running", _("Running …")
    elif actions.passed(row) and progress.get("sent_to"):
        outcome = "ok"
        summary = _("Test e-mail sent to %(address)s.", address=progress["sent_to"])
    elif actions.passed(row):
        outcome, summary = "ok", _("Passed: every step succeeded.")
    elif failed is not None:
        outcome = "failed"
        summary = _("Failed at step %(step)s: %(reason)s", step=failed["label"],
                    reason=failed["reason"])
    else:
        outcome = "failed"
        problem = progress.get("error") or row.last_error
        if row.action == actions.SEND_TEST_EMAIL and problem:
            summary = _("Not sent: %(message)s", message=problem)
        else:
            summary = problem or _("Failed.")
    summary = actions.run_summary(row) or summary
    finished = row.finished_at
    return dict(
        id=row.id, outcome=outcome, summary=summary, steps=steps, by=row.requested_by,
        started_at=row.created_at, finished_at=finished,
        age=age(finished),
        duration=_seconds(row.duration), attempts=row.attempts,
        ok_state=OK, skipped_state=SKIPPED, failed_state=FAILED,
    )


def age(moment):
    """How long ago, in words ("vor 5 Minuten"); "" for None."""
    if moment is None:
        return ""
    ago = utcnow() - moment
    if ago.total_seconds() < 60:
        return _("just now")
    return format_timedelta(-ago, add_direction=True)


def _seconds(value):
    if value is None:
        return ""
    return _("%(seconds)s s", seconds=f"{value:.1f}".replace(".", "," if ui_language() == "de"
                                                            else "."))
