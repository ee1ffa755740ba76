"""Order delivery jobs. Each takes ids only and reloads its state: the outbound row decides
what to do (webapp/ordering/pipeline.py), so a job that runs twice, late, or after a Redis
flush does no harm."""
import os
import socket

from webapp.ordering import pipeline

from . import app_context


def submit(outbound_id):
    """Claim the outbound row and take the order one step towards the partner."""
    with app_context():
        return pipeline.deliver(outbound_id, worker=f"{socket.gethostname()}:{os.getpid()}")


def reconcile():
    """Re-enqueue due rows that have no live job (lost jobs, dead workers): of every kind,
    as the periodic jobs.outbound.reconcile does."""
    with app_context():
        return pipeline.reconcile()


def refresh_statuses():
    """Periodic: ask the partners for the status of orders they have; returns how many
    answered."""
    with app_context():
        return sum(1 for order_id in pipeline.orders_to_refresh()
                   if pipeline.refresh_status(order_id) is not None)


def refresh_status(order_id):
    """'Status abfragen' for one order."""
    with app_context():
        return pipeline.refresh_status(order_id)
