"""What the change log shows of login locks (registered by create_app): an administrator
lifting one, named by username and address; only administrators read these entries."""
from flask_babel import lazy_gettext as _l

from .models import LoginAttempt


def register(log):
    """Lifted login locks in the change log `log`."""
    log.entity("login_lock", _l("Login lock"), model=LoginAttempt,
               labels={"failures": _l("Failed attempts")}, admin_only=True)
