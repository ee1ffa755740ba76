"""The programs the operator lets the server run (ALLOWED_PROGRAMS in the instance
configuration): an absolute path and a label each. A service picks one of them, never types a
path, and the worker checks again before it runs one (docs/partners/command-line.md).

Kernel: it imports no domain.
"""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Program:
    path: str
    label: str


def allowed(config):
    """The allowed programs of a Flask config, in the operator's order; ValueError naming the
    entry when one is malformed. Entries are {"path": …, "label": …}; the label defaults to
    the file name."""
    entries = config.get("ALLOWED_PROGRAMS") or ()
    if isinstance(entries, (str, dict)):
        raise ValueError("ALLOWED_PROGRAMS is a list of {\"path\": …, \"label\": …} "
                         "(a JSON list in the environment variable)")
    found = []
    for entry in entries:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not os.path.isabs(path):
            raise ValueError(f"ALLOWED_PROGRAMS: {entry!r} does not name an absolute path")
        label = str(entry.get("label") or os.path.basename(path))
        found.append(Program(path=path, label=label))
    return tuple(found)


def allowed_paths(config):
    """Just the paths, for the check at run time."""
    return tuple(program.path for program in allowed(config))


def init_app(app):
    """Stop the start with a clear message when the setting is malformed."""
    allowed(app.config)
