"""The shape of the catalogue: groups → interface types → field specs and actions.

Everything here is frozen data. Keys (groups, interfaces, fields, choice values, actions) are
stored in the database once services exist, so they are ASCII slugs that are never renamed;
labels and help texts may change freely. The rules between the parts are checked by
`validate.validate_catalogue`, not here, so that a broken entry is reported with its path.
"""
from dataclasses import dataclass, field
from typing import Any

FIELD_KINDS = (
    "text", "number", "bool", "choice", "date", "path", "url", "email", "secret",
    "company", "supplier", "document_template", "host", "program", "certificate",
)
# Kinds whose value is a string typed by the user (max_length and pattern apply to these).
# "certificate": PEM text of one or more X.509 certificates (e.g. the CA a directory's server
# certificate comes from), the only kind that spans several lines.
STRING_KINDS = ("text", "path", "url", "email", "secret", "host", "certificate")
# Kinds that decide where the server connects (an address, a host name) or what it runs (one
# of the operator's ALLOWED_PROGRAMS, never a typed path): only administrators change them.
ADMIN_KINDS = ("url", "host", "program")
# Kinds that point at master data (a company row or a document template); never a default.
REFERENCE_KINDS = ("company", "supplier", "document_template")

USAGES = ("server", "client")  # Verwendung: Serverseitig / Clientseitig
SCOPES = ("chain", "branch", "workstation")
ACTION_KINDS = (
    "test", "register", "refresh_registration", "login", "logout", "request_info", "sync",
)
# Where an action runs: on the server (it talks to the partner from there) or at the
# workstation whose client holds the device (COM port, terminal, card reader, pad, drawer); the
# server sends nothing for those and the UI says the test runs at the workstation.
RUNS_AT = ("server", "workstation")
# A type with a field in this section is a device at a workstation (fields.DEVICE, "Gerät").
DEVICE_SECTION = "device"
# Kinds that make the server speak a network protocol (an address it connects to).
NETWORK_KINDS = ("url", "host")
# Product area, from the page-title suffix of seed 000 ("| Akustik Schnittstellen", …).
AREAS = ("general", "acoustics", "optics", "therapy")
# Where an interface's definition comes from: the manual (seeds, amparex-facts.md) or our design.
SOURCES = ("manual", "designed")


class _Localised:
    """`obj.text("label", "en")` → `obj.label_en`; German for any other language."""

    def text(self, base, lang="de"):
        return getattr(self, f"{base}_{'en' if lang == 'en' else 'de'}")


@dataclass(frozen=True)
class Section(_Localised):
    """A heading under which a form groups its fields ("Zugangsdaten", "Verbindungsdetails")."""

    key: str
    label_de: str
    label_en: str


@dataclass(frozen=True)
class Condition:
    """Show a field (and apply its `required`) only while another field has one of `values`.
    The other field is a choice or bool field declared earlier in the same list."""

    field: str
    values: tuple


@dataclass(frozen=True)
class FieldSpec(_Localised):
    key: str
    kind: str
    label_de: str
    label_en: str
    required: bool = False
    default: Any = None
    help_de: str = field(default="", repr=False)
    help_en: str = field(default="", repr=False)
    choices: tuple = ()  # ((value, label_de, label_en), …), exactly for kind "choice"
    min_value: int | float | None = None  # number only
    max_value: int | float | None = None
    max_length: int | None = None  # string kinds only
    pattern: str | None = None  # regular expression a string value must match in full
    multiple: bool = False  # company / supplier: several may be chosen
    section: Section | None = None
    shown_if: Condition | None = None
    # Only administrators change it (interfaces.services.locked_fields): always for
    # ADMIN_KINDS, and set on fields that go with one (a host's port, a program's arguments).
    admin_only: bool = False
    # document_template only: the kind of template (documents.models.KINDS) its search
    # dialog offers first; empty = every kind.
    document_kind: str = ""

    def __post_init__(self):
        if self.kind in ADMIN_KINDS:
            object.__setattr__(self, "admin_only", True)

    @property
    def is_secret(self):
        return self.kind == "secret"

    def choice_label(self, value, lang="de"):
        for choice_value, label_de, label_en in self.choices:
            if choice_value == value:
                return label_en if lang == "en" else label_de
        return value


@dataclass(frozen=True)
class TableSpec(_Localised):
    """Repeating records inside one service, e.g. the card templates (Vorlagen) of a card order."""

    key: str
    label_de: str
    label_en: str
    fields: tuple
    min_rows: int = 0
    max_rows: int | None = None
    help_de: str = ""
    help_en: str = ""


@dataclass(frozen=True)
class ActionSpec(_Localised):
    """A button on the service form that makes the app talk to the partner, or (runs_at
    "workstation") that has the workstation's client check its device."""

    key: str
    kind: str
    label_de: str
    label_en: str
    help_de: str = ""
    help_en: str = ""
    confirm_de: str = ""  # asked before running, for actions that are hard to undo
    confirm_en: str = ""
    runs_at: str = "server"  # ∈ RUNS_AT; "workstation": a device test the server cannot run


@dataclass(frozen=True)
class InterfaceType(_Localised):
    key: str
    name_de: str
    name_en: str
    help_de: str = field(repr=False)  # what F1 and the help button show
    help_en: str = field(repr=False)
    usages: tuple  # ⊆ USAGES
    scopes: tuple  # ⊆ SCOPES
    source: str  # ∈ SOURCES
    fields: tuple = field(default=(), repr=False)
    default_usages: tuple = ()  # empty → every allowed usage
    multiple_per_scope: bool = False
    # With multiple_per_scope: at most one service per value of this field in a scope; an
    # empty value counts as one value (the generic service, e.g. e-mail order without Firma).
    # For a multiple company field: no company may be assigned to two services.
    unique_by: str | None = None
    fixed_after_save: tuple = ()  # field keys that cannot change after the first save
    actions: tuple = field(default=(), repr=False)
    tables: tuple = field(default=(), repr=False)
    requires: tuple = ()  # interface keys of services that must exist for this one to work
    # The part of `requires` that is enforced: a service of this type is refused (created or
    # enabled) while no enabled service of each of these covers its scope (the chain, its
    # branch or its workstation). The rest of `requires` only guards deletion.
    prerequisites: tuple = ()
    keywords: tuple = ()  # extra search terms (protocols, device names, abbreviations)
    no_fields_reason: str = ""  # why an interface legitimately has nothing to configure

    def __post_init__(self):
        if not self.default_usages:
            object.__setattr__(self, "default_usages", tuple(self.usages))

    @property
    def branch_restrictable(self):
        """Whether a service may be limited to one branch (the "Filiale" field). Derived from
        the scopes so the two can never disagree: chain-only types always cover every branch."""
        return "branch" in self.scopes

    @property
    def secret_fields(self):
        return tuple(f for f in self.fields if f.is_secret)

    def get_field(self, key):
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(f"interface {self.key!r} has no field {key!r}")


@dataclass(frozen=True)
class Group(_Localised):
    key: str
    name_de: str
    name_en: str
    help_de: str = field(repr=False)
    help_en: str = field(repr=False)
    interfaces: tuple = field(repr=False)
    area: str = "general"

    @property
    def interface_keys(self):
        return tuple(iface.key for iface in self.interfaces)

