"""Outbound jobs of every kind (webapp/outbound/). Each takes a row id only and reloads its
state: the row decides what to do, so a job that runs twice, late, or after a Redis flush
does no harm. Orders have their own job name (jobs.orders.submit) for the same engine."""
import os
import socket

from webapp.outbound import engine

from . import app_context


def run(outbound_id):
    """Claim the row and take its work one step further."""
    with app_context():
        return engine.deliver(outbound_id, worker=f"{socket.gethostname()}:{os.getpid()}")


def reconcile():
    """Periodic: re-enqueue due rows of every kind that have no live job (lost jobs, dead
    workers)."""
    with app_context():
        return engine.reconcile()
