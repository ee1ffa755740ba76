"""The interface catalogue: the 47 groups of seed 000, their interface types, fields and actions.

Plain data, importable without Flask or a database. `load()` validates it and is meant to be
called once by the app factory, so a malformed entry stops the start with a message naming it;
the lookups validate on first use as well, so nothing ever works on an unchecked catalogue.
Whether an entry comes from the manual or was designed by us is its `source` ("manual" /
"designed"), with the reasoning in each data module's docstring.
"""
import functools
import unicodedata

from .data_accounting import ACCOUNTING, ACCOUNTING_IMPORT, BILLING_EXPORT, INVOICE_DATA_EXCHANGE
from .data_acoustics import EAR_MOULD_ORDERING
from .data_communication import (
    APPOINTMENT_REMINDERS, CUSTOMER_CARDS, EMAIL, MARKET_RESEARCH, NOTIFICATION, SMS, TELEPHONE,
)
from .data_devices import BARCODE_READER, CARD_READER, DOCUMENT_SCANNER, OCR, SIGNATURE_PAD
from .data_optics import (
    ARTICLE_SYNC, ASSORTMENT_PROGRAMS, CONTACT_LENS_ORDERING, CONTACT_LENS_SUBSCRIPTION,
    GLASS_ORDERING, MEASUREMENT, TRACER,
)
from .data_ordering import DELIVERY_HELP, OTHER_ORDERING, SUPPLIER_DATA_EXCHANGE
from .data_payment import (
    ALTERNATIVE_PAYMENTS, BONUS_PROGRAM, CASH_DRAWER, CASH_REGISTER, CREDIT_CHECK,
    DIGITAL_RECEIPT, ELECTRONIC_CASH, FINANZONLINE, FISCAL_PRINTER, KASSENSICHV, POS_DISPLAY,
)
from .data_system import (
    AMIRO_MIGRATION, BACK_OFFICE, CURRENCY_CONVERTER, DOCUMENT_MANAGEMENT, GEO_SERVICES, LDAP,
    SUPPORT_PROVIDERS, SYSTEM, TEST_INTERFACES,
)
from .schema import (  # noqa: F401  (re-exported for callers)
    ACTION_KINDS, FIELD_KINDS, SCOPES, USAGES, ActionSpec, FieldSpec, Group, InterfaceType,
)
from .validate import CatalogueError, validate_catalogue  # noqa: F401

# In the order of seed 000's list ("Unterstützte Schnittstellen").
GROUPS = (
    BILLING_EXPORT,             # Abrechnungsexport
    ALTERNATIVE_PAYMENTS,       # Alternative Zahlungsmittel
    ARTICLE_SYNC,               # Artikelabgleich
    BACK_OFFICE,                # Back-Office
    BARCODE_READER,             # Barcodeleser
    NOTIFICATION,               # Benachrichtigung
    CREDIT_CHECK,               # Bonitätsprüfung
    BONUS_PROGRAM,              # Bonusprogramm
    ACCOUNTING,                 # Buchhaltung
    ACCOUNTING_IMPORT,          # Buchhaltungsimport
    SUPPLIER_DATA_EXCHANGE,     # Datenaustausch mit Lieferant
    INVOICE_DATA_EXCHANGE,      # Datenaustausch Rechnung
    AMIRO_MIGRATION,            # Datenübernahme AMiRO
    DIGITAL_RECEIPT,            # Digitaler Kassenbeleg
    DOCUMENT_SCANNER,           # Dokumenten-Scanner
    DOCUMENT_MANAGEMENT,        # Dokumentenverwaltungssystem
    ELECTRONIC_CASH,            # Electronic Cash
    EMAIL,                      # E-Mail
    FINANZONLINE,               # FinanzOnline
    FISCAL_PRINTER,             # Fiskaldrucker
    GEO_SERVICES,               # Geodienste
    GLASS_ORDERING,             # Glasbestellung
    CARD_READER,                # Kartenleser
    CASH_REGISTER,              # Kassenschnittstellen
    CASH_DRAWER,                # Kassenschublade
    KASSENSICHV,                # KassenSichV
    CONTACT_LENS_SUBSCRIPTION,  # Kontaktlinsenabonnement
    CONTACT_LENS_ORDERING,      # Kontaktlinsenbestellung
    CUSTOMER_CARDS,             # Kundenkarten
    APPOINTMENT_REMINDERS,      # Kunden-Terminbenachrichtigung
    LDAP,                       # LDAP
    MARKET_RESEARCH,            # Marktforschung
    MEASUREMENT,                # Messung
    OCR,                        # OCR
    EAR_MOULD_ORDERING,         # Otoplastikbestellung
    POS_DISPLAY,                # POS Anzeige
    SMS,                        # SMS
    OTHER_ORDERING,             # Sonstige Bestellung
    ASSORTMENT_PROGRAMS,        # Sortimentsprogramme
    SUPPORT_PROVIDERS,          # Support Dienstleister
    SYSTEM,                     # System
    TELEPHONE,                  # Telefon
    TRACER,                     # Tracer
    SIGNATURE_PAD,              # Unterschriftenpad
    DELIVERY_HELP,              # Liefer-Hilfe
    CURRENCY_CONVERTER,         # Währungsumrechner
    TEST_INTERFACES,            # Testschnittstellen
)

_index = None  # (groups by key, (group, interface) by interface key), built after validation


def load():
    """Validate the catalogue (CatalogueError names every bad entry) and return GROUPS."""
    global _index
    if _index is None:
        validate_catalogue(GROUPS)
        _index = (
            {group.key: group for group in GROUPS},
            {iface.key: (group, iface) for group in GROUPS for iface in group.interfaces},
        )
    return GROUPS


def _indexes():
    load()
    return _index


def get_group(key):
    """The group with this key; KeyError if there is none."""
    try:
        return _indexes()[0][key]
    except KeyError:
        raise KeyError(f"unknown interface group {key!r}") from None


def group_position(key):
    """The group's place in the catalogue's order (0 first); after every group for a key the
    catalogue does not have (a removed group)."""
    positions = _positions()
    return positions.get(key, len(positions))


@functools.cache
def _positions():
    return {group.key: position for position, group in enumerate(load())}


def get_interface(key):
    """The interface type with this key; KeyError if there is none (e.g. a removed type)."""
    return _entry(key)[1]


def group_of(interface_key):
    """The group an interface type belongs to."""
    return _entry(interface_key)[0]


def _entry(key):
    try:
        return _indexes()[1][key]
    except KeyError:
        raise KeyError(f"unknown interface type {key!r}") from None


def search(text, group_key=None):
    """(group, interface) pairs whose group or interface name (German or English) or keywords
    contain `text`, ignoring case and umlaut spelling ("hörluchs" = "hoerluchs"), in catalogue
    order. Empty text lists everything; `group_key` limits the search to one group.

    Remembered per (text, group): the catalogue is code and does not change while the
    process runs, and every list request searches it (issue 15)."""
    return list(_search(text or "", group_key or None))


@functools.lru_cache(maxsize=1024)
def _search(text, group_key):
    groups = (get_group(group_key),) if group_key else load()
    needle = _fold(text or "")
    hits = []
    for group in groups:
        group_match = _matches(needle, (group.name_de, group.name_en))
        for iface in group.interfaces:
            if group_match or _matches(needle, (iface.name_de, iface.name_en, *iface.keywords)):
                hits.append((group, iface))
    return tuple(hits)


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _matches(needle, texts):
    return any(needle in _fold(text) for text in texts)


def _fold(value):
    value = unicodedata.normalize("NFC", value.strip()).casefold().translate(_UMLAUTS)
    return " ".join(value.split())
