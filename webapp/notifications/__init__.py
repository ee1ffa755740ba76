"""The app's own notification area: per user, a list of what happened for them (a customer
wrote in the SiNNO chat, …), a badge with the unread count in the navigation, and marking
read. The domains that notify register how their kind reads (register_kind)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
