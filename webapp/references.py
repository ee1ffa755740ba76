"""'What still refers to this record?' — asked by the domain that owns the record before it
deletes it, answered by the domains above it, which the owner must not import (STYLE 13).

The factory registers at start-up, per kind of record ("branch", "workstation", "company",
"customer", "interface_service", "document_template"), each higher domain's finder:
`finder(record)` returns human-readable strings naming what of that domain's tables still
refers to the record, [] when nothing does. The owner lists the answers in its refusal, in the order registered."""

# kind → {name: finder}, in the order registered; by name, so that a second app built in the
# same process re-registers the same finders in place.
_finders = {}


def register(kind, name, finder):
    """Let `finder(record)` answer for records of `kind`."""
    _finders.setdefault(kind, {})[name] = finder


def referring(kind, record):
    """What the registered domains say still refers to `record`, in registration order."""
    return [found for finder in _finders.get(kind, {}).values() for found in finder(record)]


def first_ten(names):
    """Names for a refusal, cut after ten: a record may be referred to thousands of times."""
    return ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
