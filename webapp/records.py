"""Saving master-data records: optimistic locking, change-log entries for real changes only,
and unique-constraint races turned into a message beside the field."""
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import String, bindparam, func, literal_column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .changelog import services as changelog
from .errors import Conflict, DomainError
from .extensions import db
from .forms import DAMAGED
from .models_base import fold_text  # noqa: F401 - the searches' fold, here with its SQL
from .params import to_int


def check_version(record, version):
    """Refuse to save over a change made after the form was loaded. `version` None is not
    checked (callers without a form); an empty or malformed one is a damaged form."""
    if version is None:
        return
    loaded = to_int(version)
    if loaded is None:
        raise DomainError(DAMAGED)
    if loaded != record.version:
        when = format_datetime(record.updated_at, "short") if record.updated_at else "?"
        raise Conflict(_l(
            "%(who)s saved this record at %(when)s, after you opened it. "
            "Reload to see their changes; your input is still in the form.",
            who=record.updated_by or "?", when=when,
        ))


def save_changes(actor, record, fields, data, version, entity_type, branch=None,
                 extra_before=None, extra_after=None, secret_fields=(), restored_from=None):
    """Apply `data` to `record`; write a change-log entry and bump the version only when
    something changed (secret fields are logged as 'changed', never with a value).
    `restored_from`: the change-log entry whose state this save restores (named in the new
    entry). Returns True when something was saved."""
    check_version(record, version)
    before = changelog.snapshot(record, fields)
    if extra_before:
        before.update(extra_before)
    for name in fields:
        if name in data:
            setattr(record, name, data[name])
    after = changelog.snapshot(record, fields)
    if extra_after:
        after.update(extra_after)
    changes = changelog.diff(before, after, secret_fields=secret_fields)
    if not changes:
        return False
    if restored_from is not None:
        changes.insert(0, changelog.restored_from(restored_from))
    record.version += 1
    record.updated_by = actor.name
    changelog.record(actor, "update", entity_type, record, changes, branch=branch)
    flush_unique(record)
    return True


def flush_unique(record, conflict=None):
    """Flush; if a unique column was taken meanwhile (services check first, the database
    decides under races), roll the unit of work back and name the field instead of failing —
    or say `conflict` where the unique columns are no fields the user sees."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        if conflict is not None:
            raise DomainError(conflict) from error
        message = str(error.orig).lower()
        table = record.__table__
        for column in table.columns:
            if column.unique and (f"{table.name}.{column.name}" in message
                                  or f"uq_{table.name}_{column.name}" in message):
                raise DomainError(_l("This value is already in use."), field=column.name) from error
        raise DomainError(_l("The record could not be saved because it conflicts with another.")) from error


# --- searching German text ------------------------------------------------------------------
# Every list's search matches ignoring case, umlauts and ß included: "öko" finds "Öko-Akustik",
# "strasse" finds "Straße". SQLite's lower() folds ASCII only, so SQLite gets a Python function
# (registered on each connection by the factory); PostgreSQL's lower() depends on the
# cluster's locale (C folds ASCII only), so the letters of German and its neighbours are
# translated explicitly. Both fold the same way as fold_text() folds the search words.
_UPPER = "ÄÖÜÀÁÂÃÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕØÙÚÛÝŒẞ"
_LOWER = "äöüàáâãåæçèéêëìíîïñòóôõøùúûýœß"
assert len(_UPPER) == len(_LOWER)


class folded_for_like(FunctionElement):  # noqa: N801 - used like a SQL function
    """SQL: a text column folded like fold_text(), where only a case-insensitive LIKE
    compares the result (contains, and the change log's search of its JSON). SQLite's LIKE
    already ignores ASCII case, so it calls the Python fold() only for a value with a
    character outside printable ASCII: per row and column that call was most of a list
    search's time (issue 15). PostgreSQL folds an ASCII value with lower() alone."""
    type = String()
    name = "fold_like"
    inherit_cache = True


@compiles(folded_for_like)
def _fold_like_sqlite(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {column} GLOB '*[^ -~]*' THEN fold({column}) ELSE {column} END"


@compiles(folded_for_like, "postgresql")
def _fold_like_postgresql(element, compiler, **kw):
    # translate() over the list of letters costs about ten times lower(); a value whose
    # bytes are its characters (ASCII) folds with lower() alone.
    column = compiler.process(element.clauses, **kw)
    full = f"replace(translate(lower({column}), '{_UPPER}', '{_LOWER}'), 'ß', 'ss')"
    return (f"CASE WHEN octet_length({column}) = char_length({column}) THEN lower({column}) "
            f"ELSE {full} END")


# The characters outside ASCII whose fold_text() holds an ASCII letter (checked in tests).
_FOLDED_INTO_ASCII = (("ß", "s"), ("ẞ", "s"), ("İ", "i"), ("\u212a", "k"))  # Kelvin sign


class folded_for_ascii_like(FunctionElement):  # noqa: N801 - used like a SQL function
    """folded_for_like() for words that are ASCII once folded, given the characters (SQL
    string literals) that fold into ASCII letters of the words. For such words a value
    matches folded exactly when it matches as it is (SQLite's LIKE ignores ASCII case),
    unless it holds one of those characters: SQLite calls the Python fold() only then
    (instr() is about ten times cheaper per row than the GLOB that finds every value
    outside ASCII, a fifth of the interface names). PostgreSQL folds as folded_for_like."""
    type = String()
    name = "fold_ascii_like"
    inherit_cache = True


@compiles(folded_for_ascii_like)
def _fold_ascii_like_sqlite(element, compiler, **kw):
    column, *specials = element.clauses
    column = compiler.process(column, **kw)
    if not specials:
        return column
    holds = " OR ".join(f"instr({column}, {compiler.process(c, **kw)})" for c in specials)
    return f"CASE WHEN {holds} THEN fold({column}) ELSE {column} END"


@compiles(folded_for_ascii_like, "postgresql")
def _fold_ascii_like_postgresql(element, compiler, **kw):
    return _fold_like_postgresql(folded_for_like(element.clauses.clauses[0]), compiler, **kw)


def register_search_functions(dbapi_connection):
    """SQLite: fold() for folded_for_like(); called for every new connection."""
    dbapi_connection.create_function("fold", 1, fold_text, deterministic=True)


def contains(column, text):
    """`column` contains `text`, ignoring case (umlauts and ß too), % and _ taken literally."""
    return contains_pattern(column, like_shape(text), like_pattern(fold_text(text)))


def like_shape(text):
    """What of `text` shapes contains()'s SQL, hashable: for words that are ASCII once
    folded, the characters that fold into their letters; None for other words."""
    folded = fold_text(text)
    if not folded.isascii():
        return None
    # Only these characters fold into ASCII letters, so only a value holding one of those
    # the words ask for can match the words folded and not as it is.
    return "".join(special for special, letter in _FOLDED_INTO_ASCII if letter in folded)


def contains_pattern(column, shape, pattern):
    """contains() for any text of this like_shape(), with `pattern` for
    like_pattern(fold_text(text)): a bind parameter in a statement built once per shape and
    run with many texts (issue 15)."""
    if shape is None:
        column = folded_for_like(column)
    else:
        column = folded_for_ascii_like(column, *(literal_column(f"'{c}'") for c in shape))
    return column.like(pattern, escape="\\")


def contains_folded(folded, pattern):
    """`folded`, a column stored as fold_text() folds (InterfaceService.search_name), holds
    `pattern` (like_pattern(fold_text(text)), or a bind parameter for it): contains()
    without folding every row per query."""
    return folded.like(pattern, escape="\\")


def like_pattern(text):
    """A LIKE pattern (use with escape="\\") finding `text` anywhere, with %, _ and \\ in
    it taken literally: searching for '%' must not match everything."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def read(statement, params=None):
    """The result of `statement`, a SELECT of columns (not entities), on the session's
    connection. For pages' statements built once with parameters: run through the session,
    such a statement cost twice as much in the ORM's layers as in the database (issue 15).
    Pending changes are flushed first, as the session's own execute would."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, params or {})


# A page's size and start as parameters: one statement built once serves every page (a
# statement's .limit() per request is a new statement whose cache key SQLAlchemy builds
# anew, issue 15).
_PAGE_LIMIT, _PAGE_OFFSET = bindparam("page_limit"), bindparam("page_offset")


def paged(statement):
    """`statement` for page_of(): its page's rows by parameters."""
    return statement.limit(_PAGE_LIMIT).offset(_PAGE_OFFSET)


class _StatementPagination(Pagination):
    """A page of the rows of a statement made by paged(), with its parameters."""

    def _query_items(self):
        params = {**self._query_args["params"], "page_limit": self.per_page,
                  "page_offset": self._query_offset}
        return read(self._query_args["statement"], params).all()


def page_of(statement, count, params, page, per_page):
    """A page (Flask-SQLAlchemy's Pagination) of the rows of `statement`, made by paged(),
    and the total from `count`, both run by read() with `params`: lists show a few columns
    per row, whose rows cost a fraction of an entity each, and count without the joins
    they show (counting through them took longer than reading the page, issue 15)."""
    pagination = _StatementPagination(statement=statement, params=params, page=page,
                                      per_page=per_page, max_per_page=None, error_out=False,
                                      count=False)
    pagination.total = read(count, params).scalar()
    return pagination


def taken(model, field, value, exclude_id=None):
    """Whether another record already uses `value` in `field` (case-insensitive)."""
    query = db.select(model.id).where(func.lower(getattr(model, field)) == value.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None
