"""Login through an OpenID Connect provider (Entra ID, Keycloak, …) with Authlib.

The Authlib client is built lazily from the current settings (which an admin may change at
any time) and cached per app and settings for an hour, so discovery is not fetched on every
login. Authlib keeps state, nonce and the PKCE verifier in the Flask session and checks all
three on the callback; the ID token's signature, issuer, audience and expiry are checked too."""
import functools
import hashlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import probes
from ..outbound_policy import MESSAGES, REASONS, Policy, Refused

WELL_KNOWN = "/.well-known/openid-configuration"
CLIENT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    scopes: str = "openid email profile"
    timeout: int = 10
    # The operator's outbound policy: every request (discovery, keys, token, userinfo) goes
    # only to addresses it allows, checked when connecting.
    outbound: Policy = field(default_factory=Policy)

    @property
    def metadata_url(self):
        url = self.issuer.strip()
        return url if url.endswith(WELL_KNOWN) else url.rstrip("/") + WELL_KNOWN

    @property
    def expected_issuer(self):
        return self.metadata_url[: -len(WELL_KNOWN)].rstrip("/")

    @property
    def scope(self):
        # Without "openid" it is plain OAuth: no ID token and no nonce.
        scopes = self.scopes.split()
        return " ".join(["openid"] + [s for s in scopes if s != "openid"])


class ProviderError(Exception):
    """The provider could not be used; the message is safe for logs."""


class ProviderUnavailable(ProviderError):
    """The provider did not answer (network, timeout, server error)."""


class ProviderMisconfigured(ProviderError):
    """The provider answered, but not as our settings say it should."""


class LoginFailed(Exception):
    """The callback was refused. `kind`: 'denied' (the user cancelled or the provider
    refused), 'state' (state missing, expired or used before) or 'invalid' (anything else)."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def _key(config):
    secret = hashlib.sha256(config.client_secret.encode()).hexdigest()
    return (config.metadata_url, config.client_id, secret, config.scope, config.timeout,
            config.outbound)


def client(config):
    """The Authlib client for `config`, with discovery loaded and the issuer checked."""
    cache = current_app.extensions.setdefault("schnittstellen.oidc_clients", {})
    key = _key(config)
    cached = cache.get(key)
    if cached and time.monotonic() - cached[0] < CLIENT_TTL_SECONDS:
        return cached[1]
    app = FlaskOAuth2App(
        FlaskIntegration("oidc"), name="oidc",
        client_id=config.client_id, client_secret=config.client_secret or None,
        server_metadata_url=config.metadata_url,
        client_kwargs={"scope": config.scope, "code_challenge_method": "S256",
                       "default_timeout": config.timeout},
    )
    app.client_cls = _guarded_session(config.outbound)
    metadata = _load_metadata(app)
    issuer = str(metadata.get("issuer", "")).rstrip("/")
    if issuer != config.expected_issuer:
        raise ProviderMisconfigured(_issuer_mismatch(issuer, config))
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(name):
            raise ProviderMisconfigured(_l("The provider's discovery document has no %(name)s.",
                                           name=name))
    cache.clear()  # settings changed: old clients are of no use any more
    cache[key] = (time.monotonic(), app)
    return app


@functools.lru_cache(maxsize=8)
def _guarded_session(policy):
    """Authlib's requests session, connecting only where `policy` allows."""
    class GuardedSession(OAuth2Session):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            policy.mount(self)
    return GuardedSession


def _load_metadata(app):
    try:
        return app.load_server_metadata()
    except Refused as refused:
        raise ProviderMisconfigured(_not_allowed(refused)) from None
    except requests.HTTPError as error:
        raise ProviderMisconfigured(_http_status(app._server_metadata_url,
                                                 error.response.status_code)) from error
    except requests.RequestException as error:
        raise ProviderUnavailable(_unreachable(app._server_metadata_url, error)) from error
    except ValueError as error:
        raise ProviderMisconfigured(_no_json(app._server_metadata_url)) from error


def authorize_redirect(config, redirect_uri):
    """The redirect to the provider's login page; state, nonce and PKCE verifier go into
    the session."""
    return client(config).authorize_redirect(redirect_uri)


def finish_login(config):
    """Handle the callback request: check state, exchange the code (with the PKCE verifier),
    check the ID token and its nonce. Returns (claims, id_token)."""
    from joserfc.errors import JoseError

    oidc = client(config)
    try:
        token = oidc.authorize_access_token()
    except MismatchingStateError as error:
        raise LoginFailed("state", "state missing, expired or already used") from error
    except OAuthError as error:
        kind = "denied" if error.error in ("access_denied", "login_required",
                                           "consent_required", "interaction_required") else "invalid"
        raise LoginFailed(kind, f"{error.error}: {error.description or ''}".strip()) from error
    except JoseError as error:
        raise LoginFailed("invalid", f"ID token refused: {type(error).__name__} {error}") from error
    except requests.RequestException as error:
        raise ProviderUnavailable(_unreachable(oidc.server_metadata.get("token_endpoint"), error)) from error
    except Refused as refused:
        raise ProviderMisconfigured(_not_allowed(refused)) from None
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise LoginFailed("invalid", "no ID token in the token response")
    if oidc.server_metadata.get("userinfo_endpoint"):
        # Some providers put groups and profile data only into the userinfo response.
        try:
            extra = dict(oidc.userinfo(token=token))
        except (requests.RequestException, OAuthError, ValueError, Refused) as error:
            current_app.logger.warning("OIDC userinfo request failed: %s", type(error).__name__)
        else:
            if extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
    return claims, token.get("id_token")


def logout_url(config, id_token, post_logout_redirect_uri):
    """The provider's end-session URL (RP-initiated logout), or None when it has none."""
    try:
        oidc = client(config)
    except ProviderError:
        return None
    if not oidc.server_metadata.get("end_session_endpoint"):
        return None
    return oidc.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri,
                                  id_token_hint=id_token, client_id=config.client_id)["url"]


def _issuer_mismatch(issuer, config):
    return _l("The provider calls itself %(issuer)s, but the settings say %(expected)s. Use "
              "exactly the provider's issuer URL (also localhost vs. 127.0.0.1).",
              issuer=issuer or "—", expected=config.expected_issuer)


def _http_status(url, status):
    return _l("%(url)s answered HTTP %(status)s; expected the provider's discovery document.",
              url=url, status=status)


def _not_allowed(refused):
    return _l("Not connected to %(where)s: %(reason)s", where=refused.target,
              reason=REASONS[refused.reason])


def _unreachable(url, error):
    return _l("%(url)s cannot be reached (%(error)s). Check the address and that this server "
              "may connect to it.", url=url, error=type(error).__name__)


def _no_json(url):
    return _l("%(url)s did not return a discovery document (no JSON).", url=url)


# --- "Verbindung testen" --------------------------------------------------------------------

def probe(issuer, client_id, scopes, policy, timeout=10, report=None):
    """The connection test of a provider, step by step like every probe (webapp/probes):
    RESOLVE → CONNECT → TLS (plain http only where the operator allows it) of the discovery
    address; AUTH is skipped (the client secret is only ever sent with a person's login);
    REQUEST fetches the discovery document and the signing keys and checks what the login
    relies on: the issuer exactly as configured, the endpoints, at least one key, PKCE S256.
    Returns the probe Result."""
    config = OidcConfig(issuer=issuer or "", client_id=client_id or "", scopes=scopes or "",
                        timeout=timeout, outbound=policy)
    url = config.metadata_url

    def steps(run):
        with run.step(probes.RESOLVE) as step:
            parts, port = _parse_url(url)
            try:
                policy.check_url(url)
                found = policy.resolve(parts.hostname, port)
            except Refused as error:
                raise probes.StepFailed(probes.NOT_ALLOWED, MESSAGES[error.reason].format(
                    target=parts.hostname)) from None
            step.detail = ", ".join(dict.fromkeys(address[0] for *_kind, address in found))
        with run.step(probes.CONNECT) as step:
            sock = policy.connect(parts.hostname, port, timeout)
            step.detail = probes.peer(sock)
        with sock:
            if parts.scheme == "https":
                with run.step(probes.TLS) as step:
                    context = probes.tls_context(policy.ca_file)
                    with context.wrap_socket(sock, server_hostname=parts.hostname) as tls:
                        step.detail = probes.tls_detail(tls)
            else:
                run.skip(probes.TLS, "plain http, allowed for this host by the operator")
        run.skip(probes.AUTH, "the client secret is only sent when a person logs in")
        with run.step(probes.REQUEST) as step:
            step.detail = _discovery(config, policy, timeout)
    return probes.Probe(report).run(steps)


def _parse_url(url):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise probes.StepFailed(probes.INVALID, "the issuer's port is not valid") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise probes.StepFailed(probes.INVALID, "the issuer is not an https:// URL with a host")
    return parts, port or (443 if parts.scheme == "https" else 80)


def _discovery(config, policy, timeout):
    """What the discovery document and the keys say, in one line; StepFailed when the login
    could not work with them."""
    def get(url, what):
        try:
            with policy.session() as session:
                response = session.get(url, timeout=(timeout, timeout))
        except Refused as error:
            raise probes.refused_request(error, what) from None
        except requests.Timeout:
            raise probes.StepFailed(probes.TIMEOUT, f"{what}: no answer within {timeout} s") from None
        except requests.RequestException as error:
            raise probes.StepFailed(probes.UNREACHABLE,
                                    f"{what}: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise probes.StepFailed(probes.SERVER_ERROR, f"{what}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise probes.StepFailed(probes.BAD_ANSWER, f"{what}: HTTP {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise probes.StepFailed(probes.BAD_ANSWER, f"{what}: not a JSON object")
        return document

    metadata = get(config.metadata_url, "discovery document")
    issuer = str(metadata.get("issuer", "")).rstrip("/")
    if issuer != config.expected_issuer:
        raise probes.StepFailed(probes.BAD_ANSWER, f"the provider calls itself {issuer or '-'}, "
                                f"the settings say {config.expected_issuer}")
    missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not metadata.get(name)]
    if missing:
        raise probes.StepFailed(probes.BAD_ANSWER,
                                "the discovery document lacks " + ", ".join(missing))
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise probes.StepFailed(probes.BAD_ANSWER, "the provider does not offer PKCE with S256")
    keys = get(metadata["jwks_uri"], "signing keys").get("keys")
    if not isinstance(keys, list) or not keys:
        raise probes.StepFailed(probes.BAD_ANSWER, "the provider publishes no signing key")
    supported = set(metadata.get("scopes_supported") or ())
    unknown = [s for s in config.scope.split() if supported and s not in supported]
    notes = [f"issuer {issuer}", f"{len(keys)} signing key(s)"]
    if unknown:
        notes.append("scopes it does not list: " + ", ".join(unknown))
    notes.append("logout ends the provider's session too" if metadata.get("end_session_endpoint")
                 else "no end-session endpoint: logout ends only the session here")
    return "; ".join(notes)
