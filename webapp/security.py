"""Security baseline: response headers, login-required default, safe redirect targets, error
pages and fragments."""
import logging
from urllib.parse import urlsplit

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import logs
from .errors import PermissionDenied
from .extensions import login_manager
from .hx import wants_fragment
from .params import CONTROL

log = logging.getLogger(__name__)

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
])

# Endpoints reachable without a login; everything else requires one.
PUBLIC_ENDPOINTS = {
    "static", "auth.login_get", "auth.login_post", "main.health", "main.ready", "main.set_language",
    # OpenID Connect: the redirect to the provider and the provider's redirect back.
    "auth.oidc_login", "auth.oidc_callback",
}


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    logs.note_user(current_user.username)
    return None


def _unauthorized():
    target = url_for("auth.login_get", next=_safe_current_path())
    if request.htmx:
        # htmx handles HX-Redirect before deciding whether to swap a 401.
        return "", 401, {"HX-Redirect": target}
    from flask import redirect

    return redirect(target)


def _safe_current_path():
    path = request.full_path if request.query_string else request.path
    return path if request.method == "GET" else None


def safe_next(target):
    """Only paths of this application: no scheme, no host, no protocol-relative '//', no
    control character (a line break in the Location header was a 500; urlsplit drops
    tabs and line breaks, so '/\\n/host' would read as '//host')."""
    if not target:
        return None
    target = target.strip()
    if CONTROL.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target


def error_response(status, title, message):
    """Render an error as a page, or as a fragment for htmx requests."""
    if wants_fragment():
        # Into the page's message area, not into whatever the request targeted.
        headers = {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
        return render_template("errors/_error.html", title=title, message=message), status, headers
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _handle_csrf(error):
    log.warning("CSRF check failed for %s %s: %s", request.method, request.path, error.description)
    if request.htmx:
        # A fresh page load brings a fresh token.
        return "", 403, {"HX-Refresh": "true"}
    return error_response(403, _("Request refused"),
                          _("The form has expired or was not sent from this application. "
                            "Please reload the page and try again."))


def _handle_permission(error):
    return error_response(403, _("Not allowed"), str(error) or _("You may not do this."))


TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    413: lambda: _("Request too large"),
    429: lambda: _("Too many requests"),
}


def _handle_http(error):
    title = TITLES.get(error.code, lambda: error.name)()
    messages = {
        404: _("The page or record does not exist (any more)."),
        403: _("You may not do this."),
        405: _("This action is not available here."),
    }
    return error_response(error.code, title, messages.get(error.code, _("The request could not be processed.")))


def _handle_unexpected(error):
    if isinstance(error, HTTPException):
        return _handle_http(error)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, _("Something went wrong"),
                          _("The error has been logged. Please try again; if it keeps happening, "
                            "tell your administrator."))


def init_app(app):
    app.after_request(_headers)
    app.before_request(_require_login)
    login_manager.unauthorized_handler(_unauthorized)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(PermissionDenied, _handle_permission)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
