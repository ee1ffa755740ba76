"""The process page: head, steps and ear-mould positions, and what higher layers add to it
(ordering: the 'Bestellservice' step's panel and the process's orders).

A higher layer registers a part with register_part, wired by the factory at start-up; a part
builds its context once per request, in the view, never from a template. Its templates are
named in that context (`step_panels`: step kind → template, `sections`), so no template here refers to a
layer above."""
from flask import render_template
from flask_login import current_user

from . import services
from .labels import process_type_label, side_label, status_label, step_kind_label
from .models import OPEN

LABELS = dict(process_type_label=process_type_label, step_kind_label=step_kind_label,
              side_label=side_label, status_label=status_label)

# By name, in the order registered; a second app built in the same process re-registers the
# same parts in place.
_parts = {}


def register_part(name, build):
    """`build(process, given)` → what the part adds to the page's context; `given` is the
    page's own context so far, with what the calling view built already (e.g. the panel
    "Bestellen" just answered with). Several parts' `sections` are shown one after the other."""
    _parts[name] = build


def process_context(process, **extra):
    """What the process's own fragments need (steps, positions)."""
    can_work = services.may_work_on(current_user, process)
    context = dict(process=process, can_work=can_work,
                   can_change=can_work and process.status == OPEN,
                   ordered_ids=services.ordered_position_ids(process), **LABELS)
    context.update(extra)
    return context


def page_context(process, **extra):
    """Everything the whole page shows: ours, and each registered part's."""
    context = process_context(process, **extra)
    sections, panels = [], {}
    for build in _parts.values():
        part = dict(build(process, context))
        sections.extend(part.pop("sections", ()))
        panels.update(part.pop("step_panels", {}))
        context.update(part)
    context["sections"], context["step_panels"] = sections, panels
    return context


def render_process_page(process, status=200, **extra):
    return render_template("processes/process.html", **page_context(process, **extra)), status
