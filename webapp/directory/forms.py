import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, ValidationError

from ..forms import AppForm, VersionField, strip
from ..permissions import ADMIN, BRANCH_MANAGER, STAFF
from .mapping import lists_to_roles

ATTRIBUTE = Regexp(r"^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)?$",
                   message=_l("An attribute name: letters, digits and hyphens."))
CLAIM = Regexp(r"^[A-Za-z0-9_.:/-]*$", message=_l("A claim name: letters, digits and _ . : / -"))


def lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def pairs(text):
    """'name = CODE' lines → {name: CODE}."""
    result = {}
    for line in lines(text):
        name, _sep, code = line.rpartition("=")
        result[name.strip()] = code.strip().upper()
    return result


class Pairs:
    def __call__(self, form, field):
        for line in lines(field.data):
            name, sep, code = line.rpartition("=")
            if not sep or not name.strip() or not re.fullmatch(r"[A-Za-z0-9_-]{1,10}", code.strip()):
                raise ValidationError(_l("One “group or value = branch short code” per line; "
                                         "not understood: %(line)s", line=line[:80]))


class Placeholder:
    """A search filter in parentheses, containing at least one of `names`."""

    def __init__(self, *names):
        self.names = names

    def __call__(self, form, field):
        text = field.data or ""
        if not text:
            return
        depth = 0
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
        if depth != 0 or not (text.startswith("(") and text.endswith(")")):
            raise ValidationError(_l("An LDAP filter in matching parentheses, e.g. %(example)s",
                                     example="(&(objectClass=inetOrgPerson)(uid={username}))"))
        if not any(name in text for name in self.names):
            raise ValidationError(_l("Must contain %(names)s.", names=" or ".join(self.names)))


class PemCertificate:
    def __call__(self, form, field):
        if not field.data:
            return
        from cryptography import x509

        try:
            x509.load_pem_x509_certificates(field.data.encode())
        except ValueError as error:
            raise ValidationError(_l("Not a certificate in PEM format "
                                     "(-----BEGIN CERTIFICATE----- …).")) from error


class IssuerUrl:
    """https, or plain http on this computer only (a test provider)."""

    def __call__(self, form, field):
        if not field.data:
            return
        from urllib.parse import urlsplit

        parts = urlsplit(field.data)
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
            raise ValidationError(_l("An https:// address (plain http only for localhost)."))


class MappingFields(AppForm):
    """Group (or claim value) → role and → branch, shared by both forms."""

    version = VersionField()
    admin_groups = TextAreaField(_l("Groups for administrators"), filters=[strip],
                                 description=_l("One group per line: its name (cn) or full DN."))
    manager_groups = TextAreaField(_l("Groups for branch managers"), filters=[strip])
    staff_groups = TextAreaField(_l("Groups for staff"), filters=[strip],
                                 description=_l("People in none of these groups cannot log in."))
    branch_map = TextAreaField(_l("Other branch assignments"), filters=[strip],
                               validators=[Length(max=4000), Pairs()],
                               description=_l("One “group or value = branch short code” per line."))

    ROLE_FIELDS = {"admin_groups": ADMIN, "manager_groups": BRANCH_MANAGER, "staff_groups": STAFF}
    SECRET = ""

    def role_map(self):
        return lists_to_roles({role: lines(getattr(self, name).data)
                               for name, role in self.ROLE_FIELDS.items()})

    def settings_data(self):
        """The form as the values the service stores."""
        data = {name: value for name, value in self.data.items()
                if name not in ("csrf_token", "version", *self.ROLE_FIELDS)}
        data["role_map"] = self.role_map()
        data["branch_map"] = pairs(self.branch_map.data)
        return data

    @classmethod
    def from_values(cls, values, **kwargs):
        lists = values["role_lists"]
        data = {name: value for name, value in values.items() if hasattr(cls, name)}
        data.pop(cls.SECRET, None)
        for name, role in cls.ROLE_FIELDS.items():
            data[name] = "\n".join(lists[role])
        data["branch_map"] = "\n".join(f"{k} = {v}" for k, v in sorted((values.get("branch_map") or {}).items()))
        return cls(formdata=None, data=data, **kwargs)


class LdapSettingsForm(MappingFields):
    SECRET = "bind_password"

    enabled = BooleanField(_l("Staff can log in with their directory password"))
    url = StringField(_l("Server URL"), filters=[strip],
                      validators=[Length(max=255),
                                  Regexp(r"^(ldaps?://[A-Za-z0-9.\[\]:_-]+/?)?$", flags=re.I,
                                         message=_l("ldap://host:389 or ldaps://host:636"))],
                      description=_l("ldap://host:389 (with StartTLS) or ldaps://host:636"))
    start_tls = BooleanField(_l("Encrypt with StartTLS (ldap:// only)"))
    ca_cert = TextAreaField(_l("CA certificate (PEM)"), filters=[strip],
                            validators=[Length(max=20000), PemCertificate()],
                            description=_l("The authority that signed the server's certificate. "
                                           "Empty: the system's trusted authorities."))
    bind_dn = StringField(_l("Service account (bind DN)"), filters=[strip], validators=[Length(max=255)],
                          description=_l("Empty: search anonymously."))
    bind_password = PasswordField(_l("New password of the service account"), validators=[Length(max=256)],
                                  description=_l("Leave empty to keep the stored password."))
    clear_bind_password = BooleanField(_l("Remove the stored password"))
    user_base = StringField(_l("User search base"), filters=[strip], validators=[Length(max=255)],
                            description=_l("e.g. ou=people,dc=example,dc=org"))
    user_filter = StringField(_l("User filter"), filters=[strip],
                              validators=[Length(max=255), Placeholder("{username}")],
                              description=_l("{username} is replaced by the escaped username. Active "
                                             "Directory: (&(objectClass=user)(sAMAccountName={username}))"))
    group_base = StringField(_l("Group search base"), filters=[strip], validators=[Length(max=255)],
                             description=_l("Empty: use only the user's memberOf attribute."))
    group_filter = StringField(_l("Group filter"), filters=[strip],
                               validators=[Length(max=255), Placeholder("{dn}", "{username}")],
                               description=_l("{dn} is the user's DN, {username} the username."))
    attr_name = StringField(_l("Attribute with the name"), filters=[strip],
                            validators=[DataRequired(), Length(max=64), ATTRIBUTE])
    attr_email = StringField(_l("Attribute with the e-mail address"), filters=[strip],
                             validators=[Length(max=64), ATTRIBUTE])
    attr_phone = StringField(_l("Attribute with the phone number"), filters=[strip],
                             validators=[Length(max=64), ATTRIBUTE])
    branch_group_prefix = StringField(_l("Branch groups start with"), filters=[strip],
                                      validators=[Length(max=64)],
                                      description=_l("e.g. filiale- : the group filiale-ST gives the "
                                                     "branch with short code ST."))
    branch_attribute = StringField(_l("Attribute with branch short codes"), filters=[strip],
                                   validators=[Length(max=64), ATTRIBUTE],
                                   description=_l("e.g. departmentNumber"))
    connect_timeout = IntegerField(_l("Connect timeout (seconds)"), default=5,
                                   validators=[DataRequired(), NumberRange(1, 60)])
    read_timeout = IntegerField(_l("Read timeout (seconds)"), default=10,
                                validators=[DataRequired(), NumberRange(1, 120)])
    test_username = StringField(_l("Username to test with"), filters=[strip], validators=[Length(max=64)],
                                description=_l("Optional: looks the person up and shows their groups, "
                                               "role and branches. No password needed."))

    def settings_data(self):
        data = super().settings_data()
        data.pop("test_username", None)
        return data


class OidcSettingsForm(MappingFields):
    SECRET = "client_secret"

    enabled = BooleanField(_l("Staff can log in through the identity provider"))
    provider_name = StringField(_l("Provider name on the login button"), filters=[strip],
                                validators=[Length(max=60)], description=_l("e.g. Microsoft, Keycloak"))
    issuer = StringField(_l("Issuer URL"), filters=[strip], validators=[Length(max=255), IssuerUrl()],
                         description=_l("The provider's issuer, or its "
                                        "…/.well-known/openid-configuration address."))
    client_id = StringField(_l("Client ID"), filters=[strip], validators=[Length(max=255)])
    client_secret = PasswordField(_l("New client secret"), validators=[Length(max=512)],
                                  description=_l("Leave empty to keep the stored secret."))
    clear_client_secret = BooleanField(_l("Remove the stored secret"))
    scopes = StringField(_l("Scopes"), filters=[strip], default="openid email profile",
                         validators=[Length(max=255), Regexp(r"^[\x21\x23-\x5b\x5d-\x7e ]*$")])
    username_claim = StringField(_l("Claim with the username"), filters=[strip],
                                 validators=[DataRequired(), Length(max=64), CLAIM],
                                 description=_l("Matched with the usernames here, e.g. preferred_username."))
    role_claim = StringField(_l("Claim with groups or roles"), filters=[strip],
                             validators=[Length(max=64), CLAIM],
                             description=_l("e.g. groups or roles. Empty: roles are set here, "
                                            "not by the provider."))
    branch_claim = StringField(_l("Claim with branches"), filters=[strip], validators=[Length(max=64), CLAIM],
                               description=_l("Values are branch short codes (or groups, when it is the "
                                              "same claim as for roles). Empty: branches are set here."))
    branch_prefix = StringField(_l("Branch values start with"), filters=[strip], validators=[Length(max=64)])
    create_unknown_users = BooleanField(_l("Create unknown users on their first login"),
                                        description=_l("Off: only people an administrator created here "
                                                       "or the directory knows may log in."))
    timeout = IntegerField(_l("Timeout (seconds)"), default=10,
                           validators=[DataRequired(), NumberRange(1, 60)])
