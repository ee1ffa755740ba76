"""The change log screen (Änderungsprotokoll, /changelog/): every entry a user may read,
filtered by type, branch, employee, days, change type and text. It lists users and branches,
so it sits above them; the entries, their writing and their words stay in webapp.changelog,
below every domain. The blueprint keeps the name "changelog", and with it its URLs."""
from flask import Blueprint

bp = Blueprint("changelog", __name__)
