"""The health board (Schnittstellen → Zustand): per catalogue group and branch, which services
apply there now and how their last connection test went; the trend of test outcomes over 30
days; the notices about failing and recovered services (health_checks.py writes them).

**Cells.** A cell is one group at one branch. For each interface type of the group, the
services that apply are found as the resolver finds them for the branch
(resolver.applying): the branch's own active service, else the chain's; for types with
several services per scope (one per lab, …) each slot the same way. Workstation services are
left out: a branch has many workstations, and the board shows branches. The cell lists the
applying services of all the group's types — problems first, then the branch's before the
chain's — at most CELL_LIMIT of them, the rest as "+N more" linked to the service list
filtered by group and branch. When nothing applies, the cell shows the planned services
(state "planned"), else the disabled ones ("disabled"), else "none".

Each service shows its state, its last finished connection test (passed or failed, with its
age and, when failed, the step and reason), or that it was never tested, or that its type has
no test the server runs; its name links to its editor.

**A problem** is an applying (active) service whose last connection test failed, or an
active server-side service (usage_server) whose test runs on the server and that was never
tested: the nightly run will test it, until then nobody knows whether it works. Planned and
disabled services are never problems: nothing runs them. "Only problems" keeps the groups
and the branches that have at least one problem cell.

**Who sees what.** The columns are the branches the reader reads (administrators: all;
branch managers and staff: their own); the chain's services appear in every column, as they
apply there. Trend and notices cover the same services and branches.

**Queries.** A constant number however many branches, groups and services there are: the
branches, the services (the chain's and the shown branches', one statement), their last
tests, the trend, the notices, the last nightly run, and the chain.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import or_

from ..extensions import db
from ..i18n import ui_language
from ..org import services as org_services
from ..org.services import get_chain
from ..outbound.models import DONE, FAILED, Outbound
from ..probes import REASON_TEXTS, STEP_LABELS
from . import actions, catalogue, resolver, services
from .action_display import age, run_view
from .health_checks import check_time, server_test
from .health_models import FAILING, HealthNotice, HealthRun
from .models import InterfaceService

CELL_LIMIT = 3
TREND_DAYS = 30
NOTICE_DAYS = 30
NOTICE_LIMIT = 20
# Test outcomes of a service on the board.
PASSED, FAILED_TEST, UNTESTED, NO_TEST = "passed", "failed", "untested", "no_test"
NONE = "none"  # a cell's state when no service of the group is set up for the branch


@dataclass
class ServiceView:
    service: InterfaceService
    interface_name: str
    state: str            # services.ACTIVE | PLANNED | DISABLED
    outcome: str          # PASSED | FAILED_TEST | UNTESTED | NO_TEST
    summary: str          # why the last test failed, in words ("" otherwise)
    tested_at: datetime | None
    age: str
    problem: bool
    url: str

    @property
    def name(self):
        return self.service.name

    @property
    def scope(self):
        return self.service.scope


@dataclass
class Cell:
    branch: object
    state: str            # ACTIVE | PLANNED | DISABLED | NONE
    entries: list
    more: int = 0
    more_url: str = ""

    @property
    def problem(self):
        return any(entry.problem for entry in self.entries)


@dataclass
class Row:
    group: object
    name: str
    cells: list

    @property
    def problem(self):
        return any(cell.problem for cell in self.cells)


@dataclass
class TrendDay:
    day: object
    passed: int = 0
    failed: int = 0


@dataclass
class NoticeView:
    kind: str
    text: str
    service_name: str
    url: str | None
    place: str
    created_at: datetime
    age: str


@dataclass
class HealthPage:
    """Everything the board shows, built in one go (the view renders it)."""

    branches: list                  # the columns shown
    branch_choices: list            # every branch the reader reads, for the filter
    group_choices: list             # (key, name) of every group
    group_key: str | None
    branch_id: int | None
    only_problems: bool
    rows: list = field(default_factory=list)
    problems: int = 0               # problem cells, before "only problems" hides any
    trend: list = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)
    check_time: str = ""            # the nightly run's "HH:MM", "" when off
    last_run: str = ""              # when the last nightly run started and how many tests
    today: object = None


def health_page(actor, group_key=None, branch_id=None, only_problems=False, now=None):
    """The board as `actor` may read it, filtered by group key, branch id (ids the actor does
    not read and unknown group keys are ignored) and problems."""
    now = now or datetime.now(timezone.utc)
    lang = ui_language()
    groups = catalogue.load()
    if group_key not in {group.key for group in groups}:
        group_key = None
    readable = org_services.readable_branches(actor)
    if branch_id not in {branch.id for branch in readable}:
        branch_id = None
    chain = get_chain()
    today = services.chain_today(now)
    page = HealthPage(
        branches=[branch for branch in readable if branch_id in (None, branch.id)],
        branch_choices=readable, group_choices=[(g.key, g.text("name", lang)) for g in groups],
        group_key=group_key, branch_id=branch_id, only_problems=only_problems,
        check_time=chain.health_check_time if check_time(chain.health_check_time) else "",
        today=today)
    found = _services(page.branches, group_key)
    page.rows = _Board(found, today, lang).rows(
        [group for group in groups if group_key in (None, group.key)], page.branches,
        keep_empty=group_key is not None)
    page.problems = sum(cell.problem for row in page.rows for cell in row.cells)
    if only_problems:
        _only_problems(page)
    ids = [service.id for service in found]
    page.trend = trend(ids, today, ZoneInfo(chain.timezone or "Europe/Berlin"))
    page.chart = chart(page.trend)
    page.notices = notices(page.branches, readable, group_key, now)
    page.last_run = last_run_label(db.session.scalar(
        db.select(HealthRun).order_by(HealthRun.day.desc()).limit(1)))
    return page


def _services(branches, group_key):
    """The chain's services and those of `branches` (not their workstations'), of known
    interface types, in one statement."""
    query = db.select(InterfaceService).where(
        InterfaceService.workstation_id.is_(None),
        or_(InterfaceService.branch_id.is_(None),
            InterfaceService.branch_id.in_([branch.id for branch in branches])))
    if group_key:
        query = query.where(InterfaceService.group_key == group_key)
    known = {iface.key for _group, iface in catalogue.search("")}
    return [service for service in db.session.scalars(query.order_by(InterfaceService.id))
            if service.interface_key in known]


class _Board:
    """Cells from the loaded services; each service is put into words once, however many
    columns show it."""

    def __init__(self, found, today, lang):
        self.today, self.lang = today, lang
        self.chain = defaultdict(list)    # interface key → chain services
        self.branch = defaultdict(list)   # (interface key, branch id) → branch services
        for service in found:
            if service.branch_id is None:
                self.chain[service.interface_key].append(service)
            else:
                self.branch[(service.interface_key, service.branch_id)].append(service)
        self.keys = {service.interface_key for service in found}
        self.tests = actions.latest_finished_tests([service.id for service in found])
        self.views = {}
        self.testable = {}
        self.words = {"chain": _("Chain")}

    def rows(self, groups, branches, keep_empty):
        rows = []
        for group in groups:
            if not keep_empty and not any(iface.key in self.keys for iface in group.interfaces):
                continue
            rows.append(Row(group, group.text("name", self.lang),
                            [self.cell(group, branch) for branch in branches]))
        return rows

    def cell(self, group, branch):
        applied, planned, disabled = [], [], []
        for interface in group.interfaces:
            found = self.chain[interface.key] + self.branch[(interface.key, branch.id)]
            if not found:
                continue
            hits, inactive, _overridden, _protected_by = resolver.applying(
                interface, found, self.today)
            applied += [self.view(service) for service, _base in hits]
            planned += [self.view(item.service) for item in inactive
                        if item.state == services.PLANNED]
            disabled += [self.view(item.service) for item in inactive
                         if item.state == services.DISABLED]
        for state, entries in ((services.ACTIVE, applied), (services.PLANNED, planned),
                               (services.DISABLED, disabled)):
            if entries:
                break
        else:
            return Cell(branch, NONE, [])
        entries.sort(key=lambda e: (not e.problem, resolver.SCOPE_RANK[e.scope],
                                    e.name.casefold(), e.service.id))
        cell = Cell(branch, state, entries[:CELL_LIMIT], max(0, len(entries) - CELL_LIMIT))
        if cell.more:
            cell.more_url = url_for("interfaces.list_get", group=group.key, branch=branch.id)
        return cell

    def view(self, service):
        found = self.views.get(service.id)
        if found is not None:
            return found
        key = service.interface_key
        if key not in self.testable:
            self.testable[key] = server_test(key)
        state = services.service_state(service, self.today)[0]
        row = self.tests.get(service.id)
        passed = actions.passed(row)
        if row is None:
            outcome = UNTESTED if self.testable[key] else NO_TEST
        else:
            outcome = PASSED if passed else FAILED_TEST
        problem = state == services.ACTIVE and (
            outcome == FAILED_TEST or (outcome == UNTESTED and service.usage_server))
        view = ServiceView(
            service=service,
            interface_name=catalogue.get_interface(key).text("name", self.lang),
            state=state, outcome=outcome,
            summary=run_view(row)["summary"] if outcome == FAILED_TEST else "",
            tested_at=row.finished_at if row is not None else None,
            age=age(row.finished_at) if row is not None else "", problem=problem,
            url=url_for("interfaces.edit_get", service_id=service.id))
        self.views[service.id] = view
        return view


def _only_problems(page):
    """Keep the groups and branches with a problem cell."""
    page.rows = [row for row in page.rows if row.problem]
    keep = [index for index, _branch in enumerate(page.branches)
            if any(row.cells[index].problem for row in page.rows)]
    page.branches = [page.branches[index] for index in keep]
    for row in page.rows:
        row.cells = [row.cells[index] for index in keep]


# --- trend ---------------------------------------------------------------------------------

def trend(service_ids, today, zone, days=TREND_DAYS):
    """Per day of the last `days` (the chain's dates, oldest first): how many connection
    tests of these services passed and failed. A test counts on the day it finished."""
    result = [TrendDay(today - timedelta(days=days - 1 - index)) for index in range(days)]
    if not service_ids:
        return result
    since = datetime.combine(result[0].day, time.min, zone).astimezone(timezone.utc)
    finished = db.session.execute(
        db.select(Outbound.finished_at, Outbound.state)
        .where(Outbound.subject_type == actions.SUBJECT, Outbound.action == actions.TEST,
               Outbound.subject_id.in_(service_ids), Outbound.state.in_((DONE, FAILED)),
               Outbound.finished_at >= since)).all()
    by_day = {item.day: item for item in result}
    for finished_at, state in finished:
        item = by_day.get(finished_at.astimezone(zone).date())
        if item is None:
            continue
        # A connection test ends DONE only when every step passed (actions.passed).
        if state == DONE:
            item.passed += 1
        else:
            item.failed += 1
    return result


# The chart's geometry in SVG user units: one slot per day, the bars' height scaled to the
# busiest day.
SLOT, BAR, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 14, 10, 100, 30, 8, 22


def chart(days):
    """The trend as SVG geometry (stacked bars: passed below, failed above) plus the words
    that describe it; the template only draws it."""
    peak = max((day.passed + day.failed for day in days), default=0)
    scale = PLOT_HEIGHT / peak if peak else 0
    base = TOP + PLOT_HEIGHT
    bars = []
    for index, day in enumerate(days):
        passed, failed = day.passed * scale, day.failed * scale
        label = format_date(day.day, "medium")
        bars.append(dict(
            x=LEFT + index * SLOT + (SLOT - BAR) / 2, width=BAR,
            passed_y=round(base - passed, 1), passed_height=round(passed, 1),
            failed_y=round(base - passed - failed, 1), failed_height=round(failed, 1),
            title=_("%(day)s: %(passed)s passed, %(failed)s failed", day=label,
                    passed=day.passed, failed=day.failed)))
    ticks = [dict(x=LEFT + index * SLOT + SLOT / 2, label=format_date(days[index].day, "d.M."))
             for index in (0, len(days) // 2, len(days) - 1)] if days else []
    passed = sum(day.passed for day in days)
    failed = sum(day.failed for day in days)
    return dict(
        width=LEFT + len(days) * SLOT + 6, height=TOP + PLOT_HEIGHT + BOTTOM, base=base,
        left=LEFT, top=TOP, right=LEFT + len(days) * SLOT, peak=peak, bars=bars, ticks=ticks,
        passed=passed, failed=failed,
        description=_("Connection tests of the last %(days)s days: %(passed)s passed, "
                      "%(failed)s failed; the busiest day had %(peak)s.", days=len(days),
                      passed=passed, failed=failed, peak=peak))


# --- notices -------------------------------------------------------------------------------

def notices(branches, readable, group_key, now, limit=NOTICE_LIMIT):
    """The newest notices of the last NOTICE_DAYS days about the chain's services and those
    of `branches`, in words."""
    query = (db.select(HealthNotice)
             .where(HealthNotice.created_at >= now - timedelta(days=NOTICE_DAYS),
                    or_(HealthNotice.branch_id.is_(None),
                        HealthNotice.branch_id.in_([branch.id for branch in branches])))
             .order_by(HealthNotice.id.desc()).limit(limit))
    if group_key:
        query = query.where(HealthNotice.interface_key.in_(
            catalogue.get_group(group_key).interface_keys))
    names = {branch.id: branch.name for branch in readable}
    found = []
    for notice in db.session.scalars(query):
        if notice.kind == FAILING:
            text = _("%(service)s failed %(count)s connection tests in a row.",
                     service=notice.service_name, count=notice.failures)
            if notice.step:
                text += " " + _("Last failure at step %(step)s: %(reason)s.",
                                step=str(STEP_LABELS.get(notice.step, notice.step)),
                                reason=str(REASON_TEXTS.get(notice.reason, notice.reason)))
        else:
            text = _("%(service)s passes its connection test again.",
                     service=notice.service_name)
        found.append(NoticeView(
            kind=notice.kind, text=text, service_name=notice.service_name,
            url=(url_for("interfaces.edit_get", service_id=notice.service_id)
                 if notice.service_id is not None else None),
            place=names.get(notice.branch_id, "") if notice.branch_id else _("Chain"),
            created_at=notice.created_at, age=age(notice.created_at)))
    return found


def last_run_label(run):
    """When the nightly run started and how many tests, for the board's summary line."""
    if run is None:
        return ""
    return _("%(when)s: %(count)s tests started",
             when=format_datetime(run.started_at, "short"), count=run.tests)

