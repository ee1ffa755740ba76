"""Housekeeping jobs: the change log keeps three years of history, pruned daily; old login
sessions go with the daily login-attempt pruning."""
from datetime import datetime, timedelta, timezone

from jobs.maintenance import prune_change_log, prune_login_attempts
from webapp.schedule import PERIODIC
from webapp.changelog import services as changelog
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.users.models import LoginSession


def entry(at):
    return ChangeLogEntry(at=at, user_name="Anna", entity_type="interface_service",
                          entity_id=1, action="update")


def test_prune_change_log_drops_entries_older_than_three_years(app):
    """The job deletes what is older than three years and keeps the rest."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        db.session.add_all([entry(now - timedelta(days=days)) for days in (1500, 1100, 1090, 0)])
        db.session.commit()
        assert prune_change_log() == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry)) == 2


def test_cutoff_is_three_calendar_years(app):
    """One day either side of the three-year boundary, also from a 29 February."""
    leap = datetime(2028, 2, 29, 12, tzinfo=timezone.utc)
    with app.app_context():
        db.session.add_all([entry(datetime(2025, 2, 27, 12, tzinfo=timezone.utc)),
                            entry(datetime(2025, 3, 1, 12, tzinfo=timezone.utc))])
        db.session.commit()
        assert changelog.prune(now=leap) == 1
        (kept,) = db.session.scalars(db.select(ChangeLogEntry)).all()
        assert kept.at.date().isoformat() == "2025-03-01"


def test_prune_change_log_is_scheduled_daily():
    """The worker's ticker runs it once a day."""
    (job,) = [job for job in PERIODIC if job.func == "jobs.maintenance.prune_change_log"]
    assert job.interval == 24 * 3600


def test_daily_login_pruning_drops_old_sessions(app, make_user):
    """The daily login-attempt job also deletes sessions ended or unused for 30 days and
    keeps live and recently ended ones."""
    user_id = make_user("berta")
    now = datetime.now(timezone.utc)
    with app.app_context():
        db.session.add_all([
            LoginSession(user_id=user_id, token_hash=f"{number:064x}", created_at=created,
                         last_seen_at=seen, ended_at=ended)
            for number, (created, seen, ended) in enumerate((
                (now - timedelta(days=40), now - timedelta(days=40), now - timedelta(days=39)),
                (now - timedelta(days=50), now - timedelta(days=45), None),
                (now - timedelta(days=2), now - timedelta(days=2), now - timedelta(days=1)),
                (now, now, None)))])
        db.session.commit()
        prune_login_attempts()
        kept = db.session.scalars(db.select(LoginSession.token_hash)
                                  .order_by(LoginSession.token_hash)).all()
    assert kept == [f"{2:064x}", f"{3:064x}"]
