"""Login through the staff directory (LDAP) and an identity provider (OpenID Connect): one
settings row per kind (id 1), edited in the admin screen. Until an admin saves them, the
bootstrap values from instance config / environment apply (see services)."""
from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, Tracked


class LdapSettings(Tracked, db.Model):
    __tablename__ = "ldap_settings"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str] = mapped_column(String(255), default="")
    start_tls: Mapped[bool] = mapped_column(Boolean, default=False)
    # PEM text of the CA that signed the server's certificate; empty = the system's CAs.
    ca_cert: Mapped[str] = mapped_column(Text, default="")
    bind_dn: Mapped[str] = mapped_column(String(255), default="")
    # Deferred: reading the row never decrypts it; only a bind does.
    bind_password: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    user_base: Mapped[str] = mapped_column(String(255), default="")
    user_filter: Mapped[str] = mapped_column(String(255), default="")
    group_base: Mapped[str] = mapped_column(String(255), default="")
    group_filter: Mapped[str] = mapped_column(String(255), default="")
    attr_name: Mapped[str] = mapped_column(String(64), default="cn")
    attr_email: Mapped[str] = mapped_column(String(64), default="mail")
    attr_phone: Mapped[str] = mapped_column(String(64), default="telephoneNumber")
    # {group cn or DN (lower case): role}
    role_map: Mapped[dict] = mapped_column(JSON, default=dict)
    # Groups named <prefix><short code> give that branch; attribute values are short codes;
    # branch_map translates other group names or values: {name (lower case): short code}.
    branch_group_prefix: Mapped[str] = mapped_column(String(64), default="")
    branch_attribute: Mapped[str] = mapped_column(String(64), default="")
    branch_map: Mapped[dict] = mapped_column(JSON, default=dict)
    connect_timeout: Mapped[int] = mapped_column(Integer, default=5)
    read_timeout: Mapped[int] = mapped_column(Integer, default=10)

    def __str__(self):
        return "LDAP"


class OidcSettings(Tracked, db.Model):
    __tablename__ = "oidc_settings"
    __table_args__ = IDS_NEVER_REUSED
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown on the login button: "Log in with <provider_name>".
    provider_name: Mapped[str] = mapped_column(String(60), default="")
    # The issuer URL, or the full URL of its /.well-known/openid-configuration.
    issuer: Mapped[str] = mapped_column(String(255), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    client_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    scopes: Mapped[str] = mapped_column(String(255), default="openid email profile")
    username_claim: Mapped[str] = mapped_column(String(64), default="preferred_username")
    role_claim: Mapped[str] = mapped_column(String(64), default="")
    role_map: Mapped[dict] = mapped_column(JSON, default=dict)
    branch_claim: Mapped[str] = mapped_column(String(64), default="")
    branch_prefix: Mapped[str] = mapped_column(String(64), default="")
    branch_map: Mapped[dict] = mapped_column(JSON, default=dict)
    # Off: only users an admin created or the directory knows may log in.
    create_unknown_users: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout: Mapped[int] = mapped_column(Integer, default=10)

    def __str__(self):
        return "OpenID Connect"
