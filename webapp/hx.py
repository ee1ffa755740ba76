"""htmx conventions on top of htmx-flask's `request.htmx`: the fragment decision,
`Vary: HX-Request`, redirects that work for htmx requests, and event triggers."""
import json

from flask import Response, redirect as flask_redirect, request


def wants_fragment():
    """True when an htmx request asks for a piece of a page. Boosted navigation and history
    restores want the full page."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def redirect(location):
    """A 303 for ordinary requests; for htmx requests a 204 with HX-Redirect, because htmx
    would follow a 3xx inside the XHR and swap a whole page into a fragment."""
    if request.htmx:
        return Response(status=204, headers={"HX-Redirect": location})
    return flask_redirect(location, 303)


def trigger(response, *events, **events_with_detail):
    """Add client events to HX-Trigger, merging with any already set."""
    existing = response.headers.get("HX-Trigger")
    payload = {}
    if existing:
        try:
            payload = json.loads(existing)
        except ValueError:
            payload = {name.strip(): None for name in existing.split(",")}
    for name in events:
        payload.setdefault(name, None)
    payload.update(events_with_detail)
    response.headers["HX-Trigger"] = json.dumps(payload)
    return response


def _vary(response):
    # The same URL answers with a page or a fragment, so caches must key on HX-Request.
    response.vary.add("HX-Request")
    return response


def init_app(app):
    app.after_request(_vary)
    app.jinja_env.globals["wants_fragment"] = wants_fragment
