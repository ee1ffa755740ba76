"""Reading the global change log (Änderungsprotokoll): filters, and who may read which entries.
Writing entries is changelog.services' job."""
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, and_, bindparam, cast, func, or_

from ..changelog import registry
from ..changelog.models import ChangeLogEntry
from ..errors import PermissionDenied
from ..extensions import db
from ..org.models import Branch
from ..org.services import chain_timezone
from ..permissions import ADMIN, BRANCH_MANAGER, is_admin
from ..records import (contains_pattern, fold_text, folded_for_like, like_pattern, like_shape,
                       paged, read)
from ..users.models import User

CHAIN_WIDE = "chain"  # the branch filter's value for entries without a branch


@dataclass(frozen=True)
class EntryFilter:
    """What the global change log is filtered by; empty values filter nothing.
    `branch` is a branch id or CHAIN_WIDE; dates are days in the chain's time zone."""

    q: str = ""
    entity_type: str = ""
    branch: int | str | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str = ""


def sees_everything(actor):
    """Administrators read every entry; branch managers those of their branches and the
    chain-wide ones (see search_entries)."""
    return is_admin(actor)


def may_read_log(actor):
    """Administrators and branch managers read the global change log; staff do not."""
    return actor.role in (ADMIN, BRANCH_MANAGER)


def visible_entity_types(actor):
    """The entity types whose entries `actor` may read, in the order the filter offers them
    (the order their packages registered them)."""
    log = registry.current()
    hidden = () if is_admin(actor) else log.admin_only()
    return tuple(t for t in log.keys() if t not in hidden)


def filter_choices(actor):
    """(branches, employees) the filter offers: every branch for administrators, their own
    for branch managers; every user as (id, name) — entries name users of all branches."""
    branches = read(_BRANCH_CHOICES).all() if is_admin(actor) else list(actor.branches)
    return branches, read(_USER_CHOICES).all()


# The filter's statements, built once: building them took as long as running them, and
# running them through the session's ORM layers as long again (records.read, issue 15).
_BRANCH = Branch.__table__.c
_USER = User.__table__.c
_BRANCH_CHOICES = db.select(_BRANCH.id, _BRANCH.name).order_by(func.lower(_BRANCH.name))
_USER_CHOICES = db.select(_USER.id, _USER.name).order_by(func.lower(_USER.name), _USER.id)


def search_entries(actor, filters, page=1, per_page=25):
    """A page of change-log entries, newest first, that `actor` may read and `filters` select.

    Administrators read everything. Branch managers read the entries of their branches
    (services of those branches and their workstations, the branches, their workstations,
    customer numbers there, their customers, processes and ear-mould positions) plus the
    chain-wide ones (chain services, users, companies, chain settings, process templates,
    deleted branches), except the directory settings, which only administrators see. Staff
    get PermissionDenied. The entries are the table's rows, read as ChangeLogEntry reads
    (entry.at, entry.changes …): a page only shows them, and entities cost a third more."""
    shape, values = _criteria(actor, filters)
    statement = _PAGES.get(shape)
    if statement is None:
        statement = _PAGES[shape] = paged(_NEWEST_FIRST.where(*_conditions(shape)))
    # Not counted: counting every entry the filters select reads the whole log (millions of
    # entries after a few years: a sequential scan per page on PostgreSQL), so a page only
    # looks one entry past its end to know whether there is more (issue 15).
    page = max(page, 1)
    rows = read(statement, dict(values, page_limit=per_page + 1,
                                page_offset=(page - 1) * per_page)).all()
    return Page(items=rows[:per_page], page=page, per_page=per_page,
                has_next=len(rows) > per_page)


def entries_query(actor, filters):
    """The statement of the entries `actor` may read and `filters` select, unordered (see
    search_entries); the CSV export runs it whole. PermissionDenied for staff."""
    shape, values = _criteria(actor, filters)
    return db.select(ChangeLogEntry).where(*_conditions(shape)).params(values)


# The table's columns: conditions on them serve the entities of entries_query and the rows
# of a page alike.
_ENTRY = ChangeLogEntry.__table__.c
# A page's statement without its conditions, built once (issue 15).
_NEWEST_FIRST = (db.select(ChangeLogEntry.__table__)
                 .order_by(_ENTRY.at.desc(), _ENTRY.id.desc()))
# A page's statement per shape of the filters (_criteria), its values bound when it runs:
# building the statement took as long as running it, a text search's twice (issue 15). The
# shapes are few: which filters are set, and a text's kind (_text_criteria).
_PAGES = {}


def _criteria(actor, filters):
    """(shape, values) of what `actor` may read and `filters` select: the shape says which
    conditions apply (_conditions builds them), the values are their bound parameters.
    PermissionDenied for staff."""
    if not may_read_log(actor):
        raise PermissionDenied(_l("Only administrators and branch managers may read the "
                                  "change log."))
    values = {}
    admin_only = None
    if not is_admin(actor):
        admin_only = tuple(registry.current().admin_only())
        values["branch_ids"] = list(actor.branch_ids)
    if filters.entity_type:
        values["entity_type"] = filters.entity_type
    if filters.action:
        values["action"] = filters.action
    if filters.branch == CHAIN_WIDE:
        branch = CHAIN_WIDE
    elif filters.branch is not None:
        branch = "id"
        values["branch"] = filters.branch
    else:
        branch = None
    if filters.user_id is not None:
        values["user_id"] = filters.user_id
    if filters.date_from or filters.date_to:
        zone = ZoneInfo(chain_timezone())
        if filters.date_from:
            values["date_from"] = _day_start(filters.date_from, zone)
        if filters.date_to:
            values["date_to"] = _day_start(filters.date_to + timedelta(days=1), zone)
    text = _text_criteria(filters.q, values) if filters.q.strip() else None
    shape = (admin_only, "entity_type" in values, "action" in values, branch,
             "user_id" in values, "date_from" in values, "date_to" in values, text)
    return shape, values


def _conditions(shape):
    """The conditions of a shape of _criteria, with bound parameters for its values."""
    admin_only, entity_type, action, branch, user_id, date_from, date_to, text = shape
    Entry = _ENTRY
    conditions = []
    if admin_only is not None:
        conditions.append(or_(Entry.branch_id.in_(bindparam("branch_ids", expanding=True)),
                              and_(Entry.branch_id.is_(None),
                                   Entry.entity_type.not_in(admin_only))))
    if entity_type:
        conditions.append(Entry.entity_type == bindparam("entity_type"))
    if action:
        conditions.append(Entry.action == bindparam("action"))
    if branch == CHAIN_WIDE:
        conditions.append(Entry.branch_id.is_(None))
    elif branch is not None:
        conditions.append(Entry.branch_id == bindparam("branch"))
    if user_id:
        conditions.append(Entry.user_id == bindparam("user_id"))
    if date_from:
        conditions.append(Entry.at >= bindparam("date_from"))
    if date_to:
        conditions.append(Entry.at < bindparam("date_to"))
    if text is not None:
        conditions.append(_text_matches(*text))
    return conditions


@dataclass
class Page:
    """One page of entries, not counted (see search_entries)."""

    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self):
        return self.page > 1


def _day_start(day, zone):
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def _text_criteria(q, values):
    """The shape of a text search for `q` (_text_matches), its patterns put into `values`:
    the record's name or the stored changes contain `q`, ignoring case (umlauts and ß too).
    The JSON text holds non-ASCII letters as \\u escapes, whose case folding cannot reach,
    so the escaped forms of the usual spellings are searched as well."""
    needle = " ".join(q.split())
    spellings = {needle, needle.lower(), needle.upper(), needle.capitalize(), needle.title()}
    spellings |= {word.replace("ss", "ß") for word in spellings}
    patterns = sorted({like_pattern(fold_text(json.dumps(word)[1:-1])) for word in spellings})
    values["label"] = like_pattern(fold_text(needle))
    values.update((f"change_{index}", pattern) for index, pattern in enumerate(patterns))
    return like_shape(needle), len(patterns)


def _text_matches(label_shape, patterns):
    """The condition of a text search's shape (_text_criteria), its patterns bound."""
    changes = folded_for_like(cast(_ENTRY.changes, Text))
    return or_(contains_pattern(_ENTRY.entity_label, label_shape, bindparam("label")),
               *(changes.like(bindparam(f"change_{index}"), escape="\\")
                 for index in range(patterns)))
