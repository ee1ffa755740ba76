"""What the change log shows of the directory settings that were saved at /directory/ before
they became interface services (registered by create_app). Their tables are gone; the
entries stay readable by these labels (the old screen's), and only administrators read them.
Changes since the move are entries of the services themselves."""
from flask_babel import lazy_gettext as _l

LDAP_LABELS = {
    "enabled": _l("Staff can log in with their directory password"),
    "url": _l("Server URL"),
    "start_tls": _l("Encrypt with StartTLS (ldap:// only)"),
    "ca_cert": _l("CA certificate (PEM)"),
    "bind_dn": _l("Service account (bind DN)"),
    "bind_password": _l("Password of the service account"),
    "user_base": _l("User search base"),
    "user_filter": _l("User filter"),
    "group_base": _l("Group search base"),
    "group_filter": _l("Group filter"),
    "attr_name": _l("Attribute with the name"),
    "attr_email": _l("Attribute with the e-mail address"),
    "attr_phone": _l("Attribute with the phone number"),
    "role_map": _l("Groups and their roles"),
    "branch_group_prefix": _l("Branch groups start with"),
    "branch_attribute": _l("Attribute with branch short codes"),
    "branch_map": _l("Other branch assignments"),
    "connect_timeout": _l("Connect timeout (seconds)"),
    "read_timeout": _l("Read timeout (seconds)"),
}
OIDC_LABELS = {
    "enabled": _l("Staff can log in through the identity provider"),
    "provider_name": _l("Provider name on the login button"),
    "issuer": _l("Issuer URL"),
    "client_id": _l("Client ID"),
    "client_secret": _l("Client secret"),
    "scopes": _l("Scopes"),
    "username_claim": _l("Claim with the username"),
    "role_claim": _l("Claim with groups or roles"),
    "role_map": _l("Groups and their roles"),
    "branch_claim": _l("Claim with branches"),
    "branch_prefix": _l("Branch values start with"),
    "branch_map": _l("Other branch assignments"),
    "create_unknown_users": _l("Create unknown users on their first login"),
    "timeout": _l("Timeout (seconds)"),
}


def register(log):
    """The former LDAP and OpenID Connect settings in the change log `log`."""
    log.entity("ldap_settings", _l("Directory (LDAP)"), labels=LDAP_LABELS, admin_only=True)
    log.entity("oidc_settings", _l("Single sign-on (OpenID Connect)"), labels=OIDC_LABELS,
               admin_only=True)
