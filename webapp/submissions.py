"""One-time submission tokens: a form that creates a record a person would not want twice
(a card order, a SiNNO answer, an article order) carries a random token, made when the form
is rendered (forms.SubmissionField); no server state is kept for it then. The post stores the
token with the record's id in form_submissions, in the same transaction as the record: a
second post of the same form (a double click, a resent request) finds it and is answered
with the first record, and of two concurrent posts the unique column lets one through."""
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .errors import DomainError
from .extensions import db
from .forms import DAMAGED
from .models_base import UTC, utcnow

# A form left open longer than this may be posted once more (then it creates a record).
KEEP_DAYS = 30


class FormSubmission(db.Model):
    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The record's table, and its id (set once the record exists, in the same transaction).
    what: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, nullable=False,
                                                 index=True)


def _held(token):
    return db.session.scalar(db.select(FormSubmission).where(FormSubmission.token == token))


def once(token, model, create):
    """Run `create()` (returns a new `model` record) once per submission token. Returns
    (record, True) for the first post, or (the first post's record, False) for another post
    of the same form — that record may be None if it was deleted since. Call it before the
    request writes anything: a post that loses the race to a concurrent one rolls the
    session back (PostgreSQL aborts the transaction on the unique violation). A token used
    for another kind of record is a damaged form (DomainError)."""
    what = model.__tablename__
    held = _held(token)
    if held is None:
        claim = FormSubmission(token=token, what=what, created_at=utcnow())
        db.session.add(claim)
        try:
            # Not in a SAVEPOINT: pysqlite would commit the claim on its release. The
            # concurrent post's INSERT waits for its transaction, then fails here.
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            held = _held(token)
            if held is None:
                raise
    if held is not None:
        if held.what != what:
            raise DomainError(DAMAGED)
        record = db.session.get(model, held.record_id) if held.record_id is not None else None
        return record, False
    record = create()
    claim.record_id = record.id
    db.session.flush()
    return record, True


def prune(older_than_days=KEEP_DAYS):
    """Drop tokens of forms posted long ago (the daily maintenance job); the caller
    commits. Returns how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    return db.session.execute(
        delete(FormSubmission).where(FormSubmission.created_at < cutoff)).rowcount
