"""Optics: article sync, glass and contact-lens ordering, measurement, assortment programmes,
tracer.

From the manual (amparex-facts.md §3.10): AMPAREX Sortimentsprogramm, Eschenbach Connect,
Luxottica Stars, Sortiment Min/Max-Service; elina by Alcom (amparex-catalogue.md; Benutzer and
Passwort are the manual's, the URL and timeouts our partner block). Designed by us (the manual
names no product): article sync, glass ordering, contact-lens ordering, the generic contact-lens
subscription, measurement, tracer.
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CHAIN, CLIENT, DEVICE, EXPORT, GENERIC_DE, GENERIC_EN,
    LOCAL, OPTIONS, ORDERING, SERVER, TEST_AT_WORKSTATION, TEST_CONNECTION, WORKSTATION, action,
    choice, directory, flag, number, opt, partner_https, serial_or_network, serial_port,
    schedule, supplier, transfer, when,
)
from .schema import Group, InterfaceType

SYNC_CATALOGUE = action("sync", "sync", "Jetzt abgleichen", "Sync now",
                        help_de="Startet den Abgleich sofort statt zum nächsten geplanten Lauf.",
                        help_en="Starts the sync now instead of at the next scheduled run.")

CATALOGUE_FORMATS = (
    opt("fosa", "FOSA"),
    opt("spectaris", "SPECTARIS"),
    opt("csv", "CSV (Semikolon-getrennt)", "CSV (semicolon-separated)"),
)


def _required_supplier():
    return supplier(required=True, section=ORDERING)


# --- Artikelabgleich (designed) ------------------------------------------------------------
ARTICLE_SYNC = Group(
    key="article_sync", area="optics",
    name_de="Artikelabgleich", name_en="Article sync",
    help_de="Gleicht Artikelstammdaten und Preise mit den Katalogen der Lieferanten ab.",
    help_en="Keeps article master data and prices in line with the suppliers' catalogues.",
    interfaces=(
        InterfaceType(
            key="catalogue_sync_ftp", source="designed",
            name_de="Katalogabgleich per (S)FTP", name_en="Catalogue sync via (S)FTP",
            help_de="Holt den Artikelkatalog eines Lieferanten regelmäßig von dessen (S)FTP-Server "
                    "und aktualisiert Artikel und Preise. Format und Kundennummer müssen zur "
                    "Lieferung des Lieferanten passen; neue Artikel werden nur angelegt, wenn "
                    "die Option gesetzt ist." + GENERIC_DE,
            help_en="Fetches a supplier's article catalogue from its (S)FTP server on a schedule "
                    "and updates articles and prices. Format and customer number must match "
                    "what the supplier delivers; new articles are created only when the option "
                    "is set." + GENERIC_EN,
            usages=SERVER, scopes=CHAIN, multiple_per_scope=True, unique_by="supplier",
            fields=(
                _required_supplier(),
                choice("format", "Katalogformat", "Catalogue format", CATALOGUE_FORMATS,
                       default="fosa", required=True, section=EXPORT),
                *transfer(),
                schedule(default="weekly", choices=("daily", "weekly")),
                flag("create_articles", "Neue Artikel anlegen", "Create new articles",
                     section=OPTIONS),
                flag("update_prices", "Preise übernehmen", "Take over prices", default=True,
                     section=OPTIONS),
            ),
            actions=(TEST_CONNECTION, SYNC_CATALOGUE),
            keywords=("Katalog", "catalogue", "FOSA", "SPECTARIS"),
        ),
    ),
)


# --- Glasbestellung, Kontaktlinsen (designed) ----------------------------------------------
def _lens_ordering(key, name_de, name_en, help_de, help_en, extra=(), keywords=()):
    """Ordering lenses from one manufacturer's web interface; one service per supplier."""
    return InterfaceType(
        key=key, source="designed", name_de=name_de, name_en=name_en,
        help_de=help_de + " Je Lieferant ein Service; die Kundennummer kommt aus den "
                          "Stammdaten der Firma (pro Filiale)." + GENERIC_DE,
        help_en=help_en + " One service per supplier; the customer number comes from the "
                          "company's master data (per branch)." + GENERIC_EN,
        usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
        multiple_per_scope=True, unique_by="supplier",
        fields=(_required_supplier(), *partner_https(), *extra),
        actions=(TEST_CONNECTION,), keywords=keywords,
    )


GLASS_ORDERING = Group(
    key="glass_ordering", area="optics",
    name_de="Glasbestellung", name_en="Lens ordering",
    help_de="Elektronische Bestellung von Brillengläsern beim Glashersteller.",
    help_en="Electronic ordering of spectacle lenses from the lens manufacturer.",
    interfaces=(
        _lens_ordering(
            "glass_order_https", "Glasbestellung über Herstellerschnittstelle (HTTPS)",
            "Lens ordering through a manufacturer interface (HTTPS)",
            "Überträgt Glasbestellungen mit Zentrier- und Formdaten an die Bestellschnittstelle "
            "eines Glasherstellers und holt Auftragsbestätigung und Status ab.",
            "Sends lens orders with centring and shape data to a lens manufacturer's ordering "
            "interface and fetches confirmation and status.",
            extra=(flag("fetch_confirmation", "Auftragsbestätigung abrufen",
                        "Fetch order confirmation", default=True, section=OPTIONS),),
            keywords=("Brillenglas", "Gläser", "lenses"),
        ),
    ),
)

CONTACT_LENS_ORDERING = Group(
    key="contact_lens_ordering",
    name_de="Kontaktlinsenbestellung", name_en="Contact-lens ordering",
    help_de="Elektronische Bestellung von Kontaktlinsen und Pflegemitteln beim Hersteller.",
    help_en="Electronic ordering of contact lenses and care products from the manufacturer.",
    interfaces=(
        _lens_ordering(
            "contact_lens_order_https", "Kontaktlinsenbestellung über Herstellerschnittstelle "
            "(HTTPS)", "Contact-lens ordering through a manufacturer interface (HTTPS)",
            "Übermittelt Kontaktlinsenbestellungen an die Bestellschnittstelle eines "
            "Herstellers und übernimmt die externe Bestellnummer.",
            "Sends contact-lens orders to a manufacturer's ordering interface and takes over the "
            "external order number.",
            keywords=("Kontaktlinsen", "contact lenses"),
        ),
    ),
)

CONTACT_LENS_SUBSCRIPTION = Group(
    key="contact_lens_subscription",
    name_de="Kontaktlinsenabonnement", name_en="Contact-lens subscription",
    help_de="Regelmäßige Lieferung von Kontaktlinsen an Kunden im Abonnement.",
    help_en="Regular delivery of contact lenses to customers on a subscription.",
    interfaces=(
        InterfaceType(
            key="elina_alcom", source="manual",
            name_de="elina (Alcom)", name_en="elina (Alcom)",
            help_de="Anbindung an elina, das Abo-System von Alcom, das Versand und Abrechnung "
                    "der Ersatzlinsen übernimmt. Verträge werden vollständig im elina-Portal "
                    "verwaltet; übergeben werden nur die Kundendaten (Name, E-Mail-Adresse, "
                    "Bankverbindung). Benutzer und Passwort vergibt Alcom. Nur clientseitig. "
                    "Früher hieß der Eintrag 'Kontaktlinsenbestellung' unter 'Sonstige "
                    "Bestellungen'.",
            help_en="Connection to elina, Alcom's subscription system that handles shipping and "
                    "billing of replacement lenses. Contracts are managed entirely in the elina "
                    "portal; only the customer data (name, e-mail address, bank details) are "
                    "passed on. Alcom issues user and password. Client-side only. The entry "
                    "used to be called 'Kontaktlinsenbestellung' under 'Sonstige Bestellungen'.",
            usages=CLIENT, scopes=ANYWHERE,
            fields=partner_https(api_key=False, username_de="Benutzer", username_en="User"),
            actions=(TEST_CONNECTION,),
            keywords=("elina", "Alcom", "Abo", "Kontaktlinsenbestellung", "subscription"),
        ),
        _lens_ordering(
            "contact_lens_subscription_https", "Kontaktlinsen-Abo über Herstellerschnittstelle "
            "(HTTPS)", "Contact-lens subscription through a manufacturer interface (HTTPS)",
            "Legt Abonnements beim Hersteller an, der die Linsen im gewählten Rhythmus an den "
            "Kunden oder die Filiale liefert. Änderungen am Abo werden mit übertragen.",
            "Creates subscriptions at the manufacturer, who delivers the lenses at the chosen "
            "rhythm to the customer or the branch. Changes to a subscription are sent as well.",
            extra=(
                number("interval_weeks", "Standard-Lieferrhythmus (Wochen)",
                       "Default delivery rhythm (weeks)", default=12, min_value=1, max_value=52,
                       required=True, section=OPTIONS),
                choice("ship_to", "Lieferung an", "Deliver to", (
                    opt("customer", "Kunde", "Customer"),
                    opt("branch", "Filiale", "Branch"),
                ), default="customer", required=True, section=OPTIONS),
            ),
            keywords=("Abo", "subscription"),
        ),
    ),
)

# --- Messung, Tracer (designed) ------------------------------------------------------------
MEASUREMENT = Group(
    key="measurement", area="optics",
    name_de="Messung", name_en="Measurement",
    help_de="Übernahme von Messwerten aus Refraktions- und Messgeräten.",
    help_en="Import of readings from refraction and measuring devices.",
    interfaces=(
        InterfaceType(
            key="measuring_device", source="designed",
            name_de="Messgerät (Austauschverzeichnis oder seriell)",
            name_en="Measuring device (exchange folder or serial)",
            help_de="Übernimmt die Messwerte eines Geräts am Arbeitsplatz in die Refraktion des "
                    "Kunden, entweder aus den Dateien, die das Gerät in ein Verzeichnis schreibt, "
                    "oder direkt über die serielle Schnittstelle. Das Gerät muss am jeweiligen "
                    "Rechner erreichbar sein." + GENERIC_DE,
            help_en="Takes the readings of a device at the workstation into the customer's "
                    "refraction, either from the files the device writes to a folder or directly "
                    "over the serial port. The device must be reachable from that computer."
                    + GENERIC_EN,
            usages=CLIENT, scopes=LOCAL,
            fields=(
                choice("device_type", "Gerätetyp", "Device type", (
                    opt("autorefractor", "Autorefraktometer", "Autorefractor"),
                    opt("lensmeter", "Scheitelbrechwertmesser", "Lensmeter"),
                    opt("phoropter", "Refraktionseinheit (Phoropter)",
                        "Refraction unit (phoropter)"),
                    opt("tonometer", "Tonometer"),
                ), default="autorefractor", required=True, section=DEVICE),
                choice("connection", "Anschluss", "Connection", (
                    opt("directory", "Austauschverzeichnis", "Exchange folder"),
                    opt("serial", "Seriell / USB (COM-Port)", "Serial / USB (COM port)"),
                ), default="directory", required=True, section=DEVICE),
                directory("import_dir", "Austauschverzeichnis", "Exchange folder",
                          section=DEVICE, shown_if=when("connection", "directory")),
                *serial_port(shown_if=when("connection", "serial")),
                flag("delete_after_import", "Dateien nach Übernahme löschen",
                     "Delete files after import", default=True, section=OPTIONS,
                     shown_if=when("connection", "directory")),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Refraktion", "Autorefraktometer", "Phoropter"),
        ),
    ),
)

TRACER = Group(
    key="tracer", area="optics",
    name_de="Tracer", name_en="Tracer",
    help_de="Anbindung von Tracern, die Fassungs- und Formscheibendaten abtasten.",
    help_en="Connection of tracers that scan frame and pattern shapes.",
    interfaces=(
        InterfaceType(
            key="tracer_oma", source="designed",
            name_de="Tracer (OMA/VCA)", name_en="Tracer (OMA/VCA)",
            help_de="Liest die Formdaten eines Tracers im OMA/VCA-Format über die serielle "
                    "Schnittstelle oder das Netzwerk und übernimmt sie in die Glasbestellung. "
                    "Nur am Rechner einrichten, an dem der Tracer angeschlossen ist."
                    + GENERIC_DE,
            help_en="Reads a tracer's shape data in OMA/VCA format over the serial port or the "
                    "network and takes it into the lens order. Set it up only on the computer "
                    "the tracer is attached to." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                *serial_or_network(),
                flag("auto_import", "Formdaten automatisch übernehmen",
                     "Take over shape data automatically", default=True, section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("OMA", "VCA", "Formscheibe", "Fassung"),
        ),
    ),
)


# --- Sortimentsprogramme (manual) ----------------------------------------------------------
def _ftp_programme(key, name, help_de, help_en, keywords):
    """A supplier's assortment programme exchanging catalogue, delivery notes and stock
    movements over FTP; the FTP login comes from the supplier."""
    return InterfaceType(
        key=key, source="manual", name_de=name, name_en=name,
        help_de=help_de + " Wöchentlich wird der Katalog abgeglichen, täglich werden "
                          "Lieferscheine abgeholt (danach auf dem Server gelöscht) und nachts "
                          "die Lagerbewegungen hochgeladen.",
        help_en=help_en + " The catalogue is synced weekly, delivery notes are fetched daily "
                          "(then deleted on the server) and stock movements are uploaded "
                          "nightly.",
        usages=SERVER, scopes=CHAIN, multiple_per_scope=True, unique_by="supplier",
        fields=(_required_supplier(), *transfer(default_protocol="ftp")),
        actions=(TEST_CONNECTION, SYNC_CATALOGUE), keywords=keywords,
    )


ASSORTMENT_PROGRAMS = Group(
    key="assortment_programs",
    name_de="Sortimentsprogramme", name_en="Assortment programmes",
    help_de="Sortimentsprogramme von Lieferanten: Katalog, Lieferscheine und Lagerbewegungen "
            "werden automatisch ausgetauscht.",
    help_en="Suppliers' assortment programmes: catalogue, delivery notes and stock movements "
            "are exchanged automatically.",
    interfaces=(
        InterfaceType(
            key="amparex_assortment_program", source="manual",
            name_de="AMPAREX Sortimentsprogramm", name_en="AMPAREX assortment programme",
            help_de="Tauscht Katalog, Lieferscheine und Lagerbewegungen mit einem Lieferanten "
                    "über FTP aus. Für die ganze Filialkette gilt ein FTP-Benutzer mit Lese- und "
                    "Schreibrecht im Wurzelverzeichnis; die Verzeichnisstruktur ist fest. Am "
                    "Lieferanten müssen Importformat (FOSA oder SPECTARIS) und Kundennummer "
                    "hinterlegt sein; danach einmal den Optik-Katalog abgleichen.",
            help_en="Exchanges catalogue, delivery notes and stock movements with a supplier over "
                    "FTP. One FTP user with read and write access at the root serves the whole "
                    "chain; the folder layout is fixed. The supplier needs its import format "
                    "(FOSA or SPECTARIS) and customer number; then sync the optics catalogue "
                    "once.",
            usages=SERVER, scopes=CHAIN, multiple_per_scope=True, unique_by="supplier",
            fields=(
                _required_supplier(),
                *transfer(default_protocol="ftp", remote_dir=False),
                choice("format", "Importformat", "Import format", CATALOGUE_FORMATS[:2],
                       default="fosa", required=True, section=EXPORT),
            ),
            actions=(TEST_CONNECTION, SYNC_CATALOGUE),
            keywords=("Sortiment", "FTP", "FOSA", "SPECTARIS"),
        ),
        _ftp_programme(
            "eschenbach_connect", "Eschenbach Connect",
            "Sortimentsprogramm von Eschenbach (ESB). FTP-Benutzer und Passwort stellt "
            "Eschenbach bereit.",
            "Eschenbach's assortment programme (ESB). Eschenbach provides the FTP user and "
            "password.",
            ("ESB", "Eschenbach"),
        ),
        _ftp_programme(
            "luxottica_stars", "Luxottica Stars",
            "Sortimentsprogramm von Luxottica (LUX). FTP-Benutzer und Passwort stellt "
            "Luxottica bereit.",
            "Luxottica's assortment programme (LUX). Luxottica provides the FTP user and "
            "password.",
            ("LUX", "Luxottica"),
        ),
        InterfaceType(
            key="assortment_min_max", source="manual",
            name_de="Sortiment Min/Max-Service", name_en="Assortment min/max service",
            help_de="Prüft in festen Abständen den Bestand gegen die Mindest- und Höchstmengen "
                    "der Sortimentsprogramme und legt offene Bestellungen oder Bestellwünsche an. "
                    "Gilt immer für alle Filialen; einschränken lässt er sich nur im "
                    "Sortimentsprogramm, das 'Automatisch ausführen' gesetzt haben muss.",
            help_en="Checks stock against the minimum and maximum quantities of the assortment "
                    "programmes at fixed intervals and creates open orders or order wishes. It "
                    "always covers every branch; restrict it in the assortment programme, which "
                    "must have 'run automatically' set.",
            usages=BOTH, scopes=CHAIN,
            fields=(
                number("interval_minutes", "Intervall (Minuten)", "Interval (minutes)",
                       default=30, min_value=15, max_value=1440, required=True,
                       section=OPTIONS),
                choice("result", "Ergebnis", "Result", (
                    opt("order_wishes", "Bestellwünsche anlegen", "Create order wishes"),
                    opt("open_orders", "Offene Bestellungen anlegen", "Create open orders"),
                ), default="order_wishes", required=True, section=OPTIONS),
            ),
            keywords=("Mindestbestand", "Nachbestellung", "reorder"),
        ),
    ),
)
