"""Audoora, the ordering portal spanning many partner companies (issue 12): the chain's
registration with the portal and its refresh, run as outbound work from the service
editor's actions (interfaces.actions.register_runner). Protocol: docs/partners/audoora.md."""
from flask import Blueprint

# Routes are attached by .views (ordering through Audoora: "Bestellen", the cart).
bp = Blueprint("audoora", __name__)
