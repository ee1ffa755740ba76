"""Pruning the change log works through a large backlog in small transactions."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from webapp.changelog import services as changelog
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db


def test_backlog_is_deleted_chunk_by_chunk(app, count_queries):
    """10 expired entries with chunks of 3: four DELETEs, each committed; the recent stay."""
    now = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
    with app.app_context():
        db.session.execute(insert(ChangeLogEntry), [
            {"at": now - timedelta(days=days), "user_name": "Anna", "entity_type": "branch",
             "entity_id": number, "action": "update", "changes": []}
            for number, days in enumerate([4 * 365] * 10 + [30, 2 * 365])])
        db.session.commit()
        with count_queries() as counter:
            assert changelog.prune(now=now, chunk_size=3) == 10
        assert sorted(db.session.scalars(db.select(ChangeLogEntry.entity_id))) == [10, 11]
    # per chunk: select ids, delete (the commit is not a statement); then the empty select
    assert counter.count == 4 * 2 + 1
