"""Ordering and logistics: data exchange with suppliers, other ordering (Audoora, Sivantos),
delivery help.

From the manual: Audoora Bestellung (seed 002), Sivantos Bestellung (amparex-facts.md §6; its
order modes beyond "Zentrale Bestellung → Dezentrale Lieferung" are our completion of a table the
excerpt cut off). Designed by us: supplier data exchange over (S)FTP, shipment tracking link,
shipping-label service.
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CLIENT, CONNECTION, CREDENTIALS, EXPORT, GENERIC_DE,
    GENERIC_EN, OPTIONS, ORDERING, SERVER, TEST_CONNECTION, action, base_url, choice, email, flag,
    login, number, opt, partner_https, schedule, supplier, text, transfer,
)
from .schema import Group, InterfaceType

SUPPLIER_DATA_EXCHANGE = Group(
    key="supplier_data_exchange",
    name_de="Datenaustausch mit Lieferant", name_en="Data exchange with suppliers",
    help_de="Dateibasierter Austausch von Bestellungen und Lieferscheinen mit Lieferanten.",
    help_en="File-based exchange of orders and delivery notes with suppliers.",
    interfaces=(
        InterfaceType(
            key="supplier_file_exchange", source="designed",
            name_de="Bestell- und Lieferscheinaustausch per (S)FTP",
            name_en="Order and delivery-note exchange via (S)FTP",
            help_de="Legt Bestellungen als Datei im Ausgangsverzeichnis des Lieferanten ab und "
                    "holt dessen Lieferscheine aus dem Eingangsverzeichnis. Format und "
                    "Verzeichnisse mit dem Lieferanten abstimmen; abgeholte Lieferscheine werden "
                    "auf dem Server gelöscht." + GENERIC_DE,
            help_en="Puts orders as files into the supplier's outgoing folder and fetches its "
                    "delivery notes from the incoming folder. Agree format and folders with the "
                    "supplier; fetched delivery notes are deleted on the server." + GENERIC_EN,
            usages=SERVER, scopes=BRANCH_MANAGEMENT, multiple_per_scope=True,
            unique_by="supplier",
            fields=(
                supplier(required=True, section=ORDERING),
                choice("format", "Dateiformat", "File format", (
                    opt("fosa", "FOSA"), opt("spectaris", "SPECTARIS"),
                    opt("csv", "CSV (Semikolon-getrennt)", "CSV (semicolon-separated)"),
                ), default="csv", required=True, section=EXPORT),
                *transfer(remote_dir=False),
                text("orders_dir", "Verzeichnis für Bestellungen", "Folder for orders",
                     default="/out", required=True, max_length=255, section=EXPORT),
                text("delivery_notes_dir", "Verzeichnis für Lieferscheine",
                     "Folder for delivery notes", default="/in", required=True, max_length=255,
                     section=EXPORT),
                schedule(default="hourly", choices=("every_15_minutes", "hourly", "daily")),
            ),
            actions=(TEST_CONNECTION, action("sync", "sync", "Jetzt austauschen", "Exchange now")),
            keywords=("FTP", "Lieferschein", "delivery note"),
        ),
    ),
)

OTHER_ORDERING = Group(
    key="other_ordering",
    name_de="Sonstige Bestellung", name_en="Other ordering",
    help_de="Bestellschnittstellen für Hörsysteme und Zubehör, die keiner eigenen Gruppe "
            "angehören, z. B. Bestellportale mehrerer Hersteller.",
    help_en="Ordering interfaces for hearing systems and accessories that have no group of "
            "their own, e.g. portals serving several manufacturers.",
    interfaces=(
        InterfaceType(
            key="audoora_order", source="manual",
            name_de="Audoora Bestellung", name_en="Audoora ordering",
            help_de="Bestellt über Audoora, ein herstellerübergreifendes Bestellportal der "
                    "Hörakustik, bei allen teilnehmenden Partnerfirmen; einzelne "
                    "Herstellerschnittstellen entfallen. Einmal registrieren und danach bei "
                    "jeder neuen Filiale oder neuen Mitarbeitern die Registrierung aktualisieren. "
                    "Übertragen werden Benutzer (Name, E-Mail, Filiale, Telefon, "
                    "Admin-Kennzeichen), Filialen mit Adresse und die Kundennummern bei den "
                    "Partnerfirmen. An jeder Partnerfirma muss die Bestellform 'Schnittstelle' "
                    "mit Kundennummer eingestellt sein; eine herstellerspezifische Schnittstelle "
                    "hat Vorrang. Ein unvollständiger Warenkorb bleibt 6 Stunden erhalten.",
            help_en="Orders through Audoora, a hearing-care ordering portal spanning "
                    "manufacturers, from every participating partner company; separate vendor "
                    "interfaces are not needed. Register once, then refresh the registration "
                    "whenever a branch or employees are added. Users (name, e-mail, branch, "
                    "phone, admin flag), branches with addresses and the customer numbers at the "
                    "partners are transmitted. Each partner company needs order form 'interface' "
                    "with a customer number; a vendor-specific interface takes precedence. An "
                    "incomplete cart is kept for 6 hours.",
            usages=CLIENT, scopes=ANYWHERE,
            fields=(
                base_url(),
                email("registration_email", "E-Mail-Adresse der Registrierung",
                      "Registration e-mail address", required=True, section=CREDENTIALS,
                      help_de="Eine gültige, von der Filiale abrufbare Adresse.",
                      help_en="A valid address the branch can read."),
                *login(),
            ),
            actions=(
                TEST_CONNECTION,
                action("register", "register", "Jetzt registrieren", "Register now",
                       help_de="Öffnet die Registrierung bei Audoora und überträgt danach die "
                               "Filialen.",
                       help_en="Opens the Audoora registration and then transmits the branches."),
                action("refresh_registration", "refresh_registration",
                       "Registrierung aktualisieren", "Refresh registration",
                       help_de="Überträgt neue Filialen und Mitarbeiter an Audoora.",
                       help_en="Sends new branches and employees to Audoora."),
                action("request_info", "load_partners", "Partnerliste abrufen",
                       "Fetch partner list",
                       help_de="Holt die Liste der Partnerfirmen von Audoora und prüft je "
                               "Firma Bestellform 'Schnittstelle' und Kundennummern; geschieht "
                               "auch nach jeder Registrierung.",
                       help_en="Fetches Audoora's list of partner companies and checks each "
                               "company's order form 'interface' and customer numbers; also "
                               "done after every registration."),
            ),
            keywords=("Audoora", "Warenkorb", "Hörsysteme", "cart"),
        ),
        InterfaceType(
            key="sivantos_order", source="manual",
            name_de="Sivantos Bestellung", name_en="Sivantos ordering",
            help_de="Bestellt Hörsysteme elektronisch bei AudioService oder Sivantos (Signia) "
                    "und erhält die externe Bestellnummer zurück. Nicht für Otoplastiken. An der "
                    "Firma die Bestellform 'Externe Schnittstelle' und je Filiale die "
                    "Kundennummer hinterlegen; der Herstellerkatalog muss vorhanden sein.",
            help_en="Orders hearing systems electronically from AudioService or Sivantos "
                    "(Signia) and receives the external order number. Not for ear moulds. Set "
                    "the company's order form to 'external interface' and its customer number "
                    "per branch; the manufacturer catalogue must be present.",
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            multiple_per_scope=True, unique_by="supplier",
            fields=(
                supplier(required=True, section=ORDERING),
                choice("order_mode", "Bestellmodus", "Order mode", (
                    opt("central_order_branch_delivery",
                        "Zentrale Bestellung → Dezentrale Lieferung",
                        "Central order → delivery to branches"),
                    opt("branch_order_branch_delivery",
                        "Dezentrale Bestellung → Dezentrale Lieferung",
                        "Branch order → delivery to branches"),
                    opt("central_order_central_delivery",
                        "Zentrale Bestellung → Zentrale Lieferung",
                        "Central order → delivery to head office"),
                ), default="branch_order_branch_delivery", required=True, section=ORDERING,
                    help_de="Die Lieferadresse kommt immer aus der Bestellposition.",
                    help_en="The delivery address always comes from the order line."),
                *partner_https(),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("AudioService", "Signia", "Hörsysteme"),
        ),
    ),
)

DELIVERY_HELP = Group(
    key="delivery_help",
    name_de="Liefer-Hilfe", name_en="Delivery help",
    help_de="Hilfen für den Versand an Kunden und Filialen: Versandetiketten und "
            "Sendungsverfolgung.",
    help_en="Help with shipping to customers and branches: shipping labels and tracking.",
    interfaces=(
        InterfaceType(
            key="shipment_tracking_link", source="designed",
            name_de="Sendungsverfolgung (Link-Vorlage)",
            name_en="Shipment tracking (link template)",
            help_de="Macht Sendungsnummern in Bestellungen und Lieferscheinen anklickbar: der "
                    "Platzhalter {sendungsnummer} in der Vorlage wird ersetzt und die Seite des "
                    "Paketdienstes im Browser geöffnet." + GENERIC_DE,
            help_en="Makes tracking numbers in orders and delivery notes clickable: the "
                    "placeholder {sendungsnummer} in the template is replaced and the carrier's "
                    "page opens in the browser." + GENERIC_EN,
            usages=CLIENT, scopes=ANYWHERE, multiple_per_scope=True, unique_by="carrier",
            fields=(
                text("carrier", "Paketdienst", "Carrier", required=True, max_length=80,
                     section=CONNECTION),
                text("tracking_url", "Link-Vorlage", "Link template", required=True,
                     max_length=500, pattern=r"https?://\S*\{sendungsnummer\}\S*",
                     section=CONNECTION,
                     help_de="Vollständige Adresse mit dem Platzhalter {sendungsnummer}.",
                     help_en="Full address containing the placeholder {sendungsnummer}."),
            ),
            keywords=("Tracking", "Paket", "parcel"),
        ),
        InterfaceType(
            key="shipping_label_service", source="designed",
            name_de="Versandetiketten-Dienst (HTTPS)", name_en="Shipping-label service (HTTPS)",
            help_de="Erstellt Versandetiketten bei einem Paketdienst über dessen Web-API und "
                    "übernimmt die Sendungsnummer. Absender ist die Adresse der versendenden "
                    "Filiale." + GENERIC_DE,
            help_en="Creates shipping labels at a carrier through its web API and takes over "
                    "the tracking number. The sender is the shipping branch's address."
                    + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *partner_https(),
                text("account_number", "Kundennummer beim Paketdienst",
                     "Account number at the carrier", required=True, max_length=40,
                     section=CREDENTIALS),
                number("default_weight_kg", "Standardgewicht (kg)", "Default weight (kg)",
                       default=1.0, min_value=0.1, max_value=31.5, section=OPTIONS),
                flag("return_label", "Retourenetikett beilegen", "Add a return label",
                     section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Versand", "Etikett", "shipping", "label"),
        ),
    ),
)
