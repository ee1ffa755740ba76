"""Fixtures for the change log: two branches, users of every role, and entries written at
known times (German UI, the default)."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db


@pytest.fixture
def org(app, make_branch, make_workstation, make_user):
    """Branches Stuttgart and Ulm, a till in Stuttgart, and users of every role (Maria manages
    Stuttgart); ids only."""
    st = make_branch("Stuttgart", "ST")
    ul = make_branch("Ulm", "UL")
    return SimpleNamespace(
        st=st, ul=ul, st_till=make_workstation("ST-KASSE", st),
        admin=make_user("admin", role="admin", name="Anna Admin"),
        manager=make_user("maria", role="branch_manager", name="Maria Manager", branch_ids=[st]),
        staff=make_user("sam", role="staff", name="Sam Staff", branch_ids=[st]),
    )


@pytest.fixture
def add_entry(app):
    """add_entry(entity_type, entity_id, label, action="update", changes=(), branch=None
    (id, name), at=…, user=(id, name)) → the entry's id."""
    def add(entity_type, entity_id, label, action="update", changes=(), branch=None,
            at=None, user=(None, "Anna Admin")):
        with app.app_context():
            entry = ChangeLogEntry(
                at=at or datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc),
                user_id=user[0], user_name=user[1], entity_type=entity_type,
                entity_id=entity_id, entity_label=label, action=action,
                branch_id=branch[0] if branch else None, branch_name=branch[1] if branch else "",
                changes=list(changes))
            db.session.add(entry)
            db.session.commit()
            return entry.id
    return add
