"""Numbers and texts from the URL and the query string, parsed in one place so that no input
reaches the database in a shape it refuses: an id beyond the id columns' range, a page number
SQLite cannot bind, a NUL byte PostgreSQL rejects. A bad value is ignored (the default), never
a 500."""
import re

from werkzeug.routing import IntegerConverter

# Ids and versions are INTEGER columns: PostgreSQL's int4. SQLite would take up to 2**63 - 1
# and raise OverflowError beyond; nothing of ours gets near either.
MAX_ID = 2**31 - 1
DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: str.isdigit() accepts '²', which int() refuses
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def to_int(value, minimum=0, maximum=MAX_ID):
    """`value` (a string of ASCII digits, or an int) as an int within [minimum, maximum],
    else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= maximum else None


def to_id(value):
    """A record id (1 … MAX_ID) from `value`, else None."""
    return to_int(value, minimum=1)


def record_id(args, name):
    """The id in query parameter `name`, or None when absent or malformed."""
    return to_id(args.get(name))


def number(args, name, default=0, minimum=0, maximum=MAX_ID):
    """A whole number in query parameter `name`, or `default`."""
    found = to_int(args.get(name), minimum, maximum)
    return default if found is None else found


def page(args):
    """The page of a list (?page=), 1 when absent or malformed."""
    return number(args, "page", default=1, minimum=1)


def text(args, name, max_length=200):
    """A search text (?q=), stripped and cut to `max_length`; one with control characters is
    ignored ('')."""
    value = args.get(name, "")
    if not isinstance(value, str) or CONTROL.search(value):
        return ""
    return value.strip()[:max_length]


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL rule: an id beyond the columns' range does not match (404)
    instead of reaching the database."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app):
    """Replace Flask's `int` converter; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter
