"""What the change log shows of processes, their templates and ear-mould positions
(registered by create_app): labels, links (a position to its row on the process page), the
codes in words and step lists with the ordering step by its kind."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import PositionForm, TemplateForm
from .labels import process_type_label, side_label, status_label, step_kind_label
from .models import PANEL_KINDS, EarMouldPosition, Process, ProcessTemplate

# What services write for a process: a new one's summary, and its status.
PROCESS_FIELD_LABELS = {
    "title": _l("Title"),
    "process_type": _l("Process type"),
    "customer": _l("Customer"),
    "template": _l("Process template"),
    "steps": _l("Steps"),
    "status": _l("Status"),
}


def register(log):
    """Processes, process templates and ear-mould positions in the change log `log`."""
    log.entity("process", _l("Process"), model=Process,
               link=page("processes.process_get", "process_id"),
               labels=PROCESS_FIELD_LABELS, field_label=_step_label,
               words={"process_type": process_type_label, "status": status_label,
                      "steps": _steps})
    log.entity("ear_mould_position", _l("Ear-mould position"), model=EarMouldPosition,
               detail="process_id", link=_position_link, labels=form_labels(PositionForm),
               words={"side": side_label})
    log.entity("process_template", _l("Process template"), model=ProcessTemplate,
               link=page("processes.template_get", "template_id"),
               labels={**form_labels(TemplateForm), "steps": _l("Steps")},
               words={"process_type": process_type_label, "steps": _steps})


def _position_link(position_id, process_id):
    """A position is a row of its process's page."""
    return url_for("processes.process_get", process_id=process_id,
                   _anchor=f"position-{position_id}")


def _step_label(name):
    """A process's step ticked done or undone, logged as 'step:<name>'."""
    if name.startswith("step:"):
        return _("Step “%(name)s” done", name=name.split(":", 1)[1])
    return None


def _steps(labels):
    """Step lists as services store them ("Name [order_service]"), the ordering step's kind
    in words; None (the common words) for anything else."""
    if not isinstance(labels, list):
        return None
    def words(label):
        for kind in PANEL_KINDS:
            marker = f" [{kind}]"
            if label.endswith(marker):
                return f"{label[:-len(marker)]} ({step_kind_label(kind)})"
        return label
    return ", ".join(words(str(label)) for label in labels)
