"""Real servers for the directory and OpenID Connect tests, started on loopback ports by the
test session: a throwaway slapd (Debian's binary, its own cn=config in a temporary folder,
never /etc/ldap) and oidc-provider-mock as a real HTTP server."""
import base64
import contextlib
import datetime
import hashlib
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SLAPD = os.environ.get("SLAPD", "/usr/sbin/slapd")
SLAPADD = os.environ.get("SLAPADD", "/usr/sbin/slapadd")
BASE = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "adminpw"
SERVICE_DN = f"cn=readonly,{BASE}"
SERVICE_PASSWORD = "readonlypw"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
ROLE_MAP = {"app-admins": "admin", "app-managers": "branch_manager", "app-staff": "staff"}


# oidc-provider-mock 0.3.4 (the last release for Python 3.11) uses Authlib APIs that Authlib
# 1.9 deprecates. The warnings come from the mock's server thread while a test runs, so every
# test module that talks to it carries these marks (warnings are errors otherwise).
OIDC_MOCK_WARNINGS = [
    pytest.mark.filterwarnings(r"ignore:get_jwt_config\(self, grant\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The httpx module is deprecated:DeprecationWarning"),
]


def have_slapd():
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ssha(password):
    """The {SSHA} hash slapd checks simple binds against (what slappasswd produces)."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


# People and groups of the seeded directory. Passwords are "<uid>pw".
PEOPLE_ENTRIES = [
    # uid, cn, sn, mail, phone, extra attributes
    ("alice", "Alice Admin", "Admin", "alice@example.org", "+49 711 1000", {}),
    ("bob", "Bob Berater", "Berater", "bob@example.org", "+49 711 2000", {}),
    ("carla", "Carla Chefin", "Chefin", "carla@example.org", "", {"departmentNumber": ["ES"]}),
    ("dora", "Dora Draussen", "Draussen", "dora@example.org", "", {}),
    # Parentheses and an asterisk in the DN: the group search must escape it.
    ("kim(st)*", "Kim Klammer", "Klammer", "kim@example.org", "", {}),
]
GROUP_ENTRIES = [
    ("app-admins", ["alice"]),
    ("app-managers", ["carla"]),
    ("app-staff", ["bob", "kim(st)*"]),
    ("filiale-ST", ["bob", "kim(st)*"]),
    ("filiale-LB", ["bob"]),
    ("kantine", ["dora", "bob"]),
]


def person_dn(uid):
    from ldap3.utils.dn import escape_rdn

    return f"uid={escape_rdn(uid)},{PEOPLE}"


def _ldif_value(name, value):
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def seed_ldif():
    blocks = [
        f"dn: {BASE}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n"
        "o: Example Hoergeraete GmbH\ndc: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: readonly\nuserPassword: {ssha(SERVICE_PASSWORD)}",
    ]
    for uid, cn, sn, mail, phone, extra in PEOPLE_ENTRIES:
        lines = [_ldif_value("dn", person_dn(uid)), "objectClass: inetOrgPerson",
                 _ldif_value("uid", uid), _ldif_value("cn", cn), f"sn: {sn}", f"mail: {mail}",
                 f"userPassword: {ssha(uid + 'pw')}"]
        if phone:
            lines.append(f"telephoneNumber: {phone}")
        for name, values in extra.items():
            lines += [_ldif_value(name, v) for v in values]
        blocks.append("\n".join(lines))
    for cn, members in GROUP_ENTRIES:
        lines = [f"dn: cn={cn},{GROUPS}", "objectClass: groupOfNames", f"cn: {cn}"]
        lines += [_ldif_value("member", person_dn(uid)) for uid in members]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def config_ldif(directory, tls=None):
    tls_lines = ""
    if tls:
        tls_lines = (f"olcTLSCACertificateFile: {tls['ca']}\n"
                     f"olcTLSCertificateFile: {tls['cert']}\n"
                     f"olcTLSCertificateKeyFile: {tls['key']}\n")
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {directory}/slapd.pid
olcArgsFile: {directory}/slapd.args
{tls_lines}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {BASE}
olcRootDN: {ADMIN_DN}
olcRootPW: {ssha(ADMIN_PASSWORD)}
olcDbDirectory: {directory}/data
olcDbMaxSize: 104857600
olcDbIndex: objectClass eq
olcDbIndex: uid,mail eq
olcDbIndex: member eq
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{SERVICE_DN}" read by users read by * none
"""


def make_tls_files(directory, hostnames=("localhost",), ips=("127.0.0.1",)):
    """A throwaway CA and a server certificate it signed, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test CA")).issuer_name(name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder().subject_name(name(hostnames[0])).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    files["key"].chmod(0o600)
    return {k: str(v) for k, v in files.items()}


class Slapd:
    """One slapd process with the seeded directory. `start()` loads cn=config and the data
    offline with slapadd, then runs slapd in the foreground so its PID is ours to stop."""

    def __init__(self, directory, tls=True):
        self.directory = Path(directory)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.tls = None
        self.process = None
        self._log = None

    @property
    def url(self):
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self):
        return f"ldaps://localhost:{self.tls_port}"

    def start(self):
        if self.directory.exists():
            shutil.rmtree(self.directory)
        (self.directory / "slapd.d").mkdir(parents=True)
        (self.directory / "data").mkdir()
        if self.tls_port:
            self.tls = make_tls_files(self.directory / "tls")
        (self.directory / "config.ldif").write_text(config_ldif(self.directory, self.tls))
        (self.directory / "data.ldif").write_text(seed_ldif())
        for number, name in (("0", "config.ldif"), ("1", "data.ldif")):
            subprocess.run([SLAPADD, "-q", "-n", number, "-F", str(self.directory / "slapd.d"),
                            "-l", str(self.directory / name)], check=True, capture_output=True)
        self.launch()
        return self

    def launch(self):
        """Run slapd on the already loaded database (also used to restart after stop())."""
        urls = [f"ldap://127.0.0.1:{self.port}/"]
        if self.tls_port:
            urls.append(f"ldaps://127.0.0.1:{self.tls_port}/")
        self._log = open(self.directory / "slapd.log", "ab")
        self.process = subprocess.Popen(
            [SLAPD, "-F", str(self.directory / "slapd.d"), "-h", " ".join(urls), "-d", "0"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("slapd exited: " + (self.directory / "slapd.log").read_text()[-2000:])
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not start listening")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if self._log:
            self._log.close()
            self._log = None

    @contextlib.contextmanager
    def admin(self):
        """A bound connection as the directory's root DN, for tests that change entries.
        (ldap3's own `with` leaves an auto-bound connection open, hence this one.)"""
        import ldap3

        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=5)
        connection = ldap3.Connection(server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, receive_timeout=5)
        try:
            yield connection
        finally:
            connection.unbind()


@contextlib.contextmanager
def oidc_provider(**options):
    """oidc-provider-mock on a free loopback port. Its issuer is taken from the request's host,
    so everything (browser, app, test) must call it as `localhost`, never 127.0.0.1."""
    import warnings

    import authlib.deprecate  # noqa: F401  (installs its "always" filter before ours)

    with warnings.catch_warnings():
        # Its imports of deprecated Authlib modules warn once, at import time.
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    # The mock serves plain http on loopback; Authlib's server side refuses that otherwise.
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        with oidc_provider_mock.run_server_in_thread(**options) as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


def ldap_bootstrap(slapd, **overrides):
    """Instance configuration for LDAP login against `slapd`."""
    config = {
        "LDAP_URL": slapd.url,
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_USER_BASE": PEOPLE,
        "LDAP_GROUP_BASE": GROUPS,
        "LDAP_GROUP_ROLE_MAP": dict(ROLE_MAP),
        "LDAP_BRANCH_GROUP_PREFIX": "filiale-",
        "LDAP_BRANCH_ATTRIBUTE": "departmentNumber",
        "LDAP_CONNECT_TIMEOUT": 2,
        "LDAP_READ_TIMEOUT": 3,
    }
    config.update(overrides)
    return config


def remove_from_group(slapd, dn, group):
    import ldap3

    with slapd.admin() as connection:
        assert connection.modify(f"cn={group},{GROUPS}", {"member": [(ldap3.MODIFY_DELETE, [dn])]})


def delete_entry(slapd, dn):
    with slapd.admin() as connection:
        assert connection.delete(dn)


def oidc_bootstrap(issuer, **overrides):
    config = {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": "schnittstellen",
        "OIDC_CLIENT_SECRET": "client-secret-for-tests",
        "OIDC_PROVIDER_NAME": "Testprovider",
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLE_MAP": dict(ROLE_MAP),
        "OIDC_BRANCH_CLAIM": "groups",
        "OIDC_BRANCH_PREFIX": "filiale-",
        "OIDC_TIMEOUT": 5,
    }
    config.update(overrides)
    return config


@contextlib.contextmanager
def json_server(routes):
    """A tiny HTTP server on a free loopback port answering GET path → JSON document (a
    provider that misbehaves). Yields its base URL, as localhost."""
    import json
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    @Request.application
    def application(request):
        if request.path not in routes:
            return Response("not found", status=404)
        return Response(json.dumps(routes[request.path]), content_type="application/json")

    server = make_server("localhost", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- the login services (Schnittstellen → LDAP / System) -----------------------------------

def set_login_service(app, kind, config, enabled=None):
    """Make the chain's login service of `kind` ("ldap_directory", "openid_connect") hold
    what the instance configuration `config` (LDAP_* / OIDC_* keys, as ldap_bootstrap and
    oidc_bootstrap give them) would, saved as an administrator saves it in Schnittstellen;
    without its address (LDAP_URL / OIDC_ISSUER) there is no service. Returns its id."""
    from types import SimpleNamespace

    from webapp.directory import settings
    from webapp.extensions import db
    from webapp.interfaces import catalogue, values
    from webapp.interfaces import services as interface_services
    from webapp.interfaces.models import InterfaceService

    actor = SimpleNamespace(id=None, name="Test", role="admin")
    with app.app_context():
        source = settings.bootstrap(kind, config)
        interface = catalogue.get_interface(kind)
        service = db.session.scalar(db.select(InterfaceService)
                                    .where(InterfaceService.interface_key == kind))
        main = "server_url" if kind == settings.LDAP else "issuer"
        if not source.values.get(main):
            if service is not None:
                db.session.delete(service)
                db.session.commit()
            return None
        typed = {spec.key: source.value(spec.key) for spec in interface.fields}
        typed.update({table.key: source.values.get(table.key) for table in interface.tables})
        raw = values.form_data(interface, typed)
        secret = settings.SECRET[kind]
        raw[secret] = source.secret(secret) or ""
        raw[secret + values.CLEAR_SUFFIX] = "" if raw[secret] else "y"
        data = {"name": interface.name_de,
                "enabled": source.enabled if enabled is None else enabled}
        if service is None:
            service = interface_services.create_service(actor, kind, data, raw)
        else:
            interface_services.update_service(actor, service, data, raw, service.version)
        db.session.commit()
        return service.id


def ldap_raw(slapd, **changes):
    """The LDAP service's form input for the session's slapd, as an administrator types it."""
    raw = {"server_url": slapd.url, "bind_dn": SERVICE_DN, "bind_password": SERVICE_PASSWORD,
           "base_dn": PEOPLE, "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
           "group_base_dn": GROUPS, "branch_group_prefix": "filiale-",
           "branch_attribute": "departmentNumber", "connect_timeout": "2", "timeout": "3",
           "role_map": [{"group": group, "role": role} for group, role in ROLE_MAP.items()]}
    raw.update(changes)
    return raw


def oidc_raw(issuer, **changes):
    """The OpenID Connect service's form input for oidc-provider-mock at `issuer`."""
    raw = {"issuer": issuer, "client_id": "schnittstellen", "client_secret": "s3cret",
           "provider_name": "Testprovider", "role_claim": "groups", "branch_claim": "groups",
           "branch_prefix": "filiale-", "timeout": "5",
           "role_map": [{"group": group, "role": role} for group, role in ROLE_MAP.items()]}
    raw.update(changes)
    return raw
