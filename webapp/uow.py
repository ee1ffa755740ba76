"""One unit of work per request. Services add and flush; the request commits once, when the
view answered with success (status below 400), and rolls back otherwise: a refused form
(422/409), a permission error (403) or a crash (500) leaves nothing half saved.

Background jobs and CLI commands have no request: they own their transactions and commit
themselves (the delivery pipeline commits per step on purpose, see webapp/ordering/pipeline.py)."""
from .extensions import db


def _finish(response):
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def init_app(app):
    app.after_request(_finish)
