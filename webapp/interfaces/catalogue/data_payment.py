"""Till and payment: alternative payment methods, credit check, bonus programme, digital
receipt, card payment, FinanzOnline, fiscal printer, till interfaces, cash drawer, TSE, customer
display.

From the manual (amparex-facts.md §3.1, 3.7, 3.8, 3.9): EC Terminal (ZVT, Ethernet), EC
SIX-Payment, Zahlungsexport, KassenSichV-Swissbit, BONIMA Check Pool, KSV1870; and from
amparex-catalogue.md: Zeilenanzeige am COM-Port, Kassendrucker mit Schublade and FinanzOnline AT
(named there; its fields TID, user ID and PIN are the reference's inference). Designed by us:
everything else in this module (marked `source="designed"`). Device types (a field in the
"Gerät" section) are tested at their workstation (fields.TEST_AT_WORKSTATION).
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CLIENT, CONNECTION, CREDENTIALS, DEVICE, GENERIC_DE,
    GENERIC_EN, LOCAL, OPTIONS, SERVER, TEST_AT_WORKSTATION, TEST_CONNECTION, WORKSTATION, choice,
    directory, flag, keyed_https, network_device, number, opt, partner_https, path, secret,
    serial_or_network, serial_port, template, text, when,
)
from .schema import Group, InterfaceType, Section

# The manual's section name on 'Kassendrucker mit Schublade'; the same key as fields.DEVICE, so
# the drawer counts as a device at the workstation (validate._check_tests).
CASH_DRAWER_SECTION = Section("device", "Kassenschublade", "Cash drawer")

ALTERNATIVE_PAYMENTS = Group(
    key="alternative_payments",
    name_de="Alternative Zahlungsmittel", name_en="Alternative payment methods",
    help_de="Zahlungen außerhalb von Bargeld und EC-Karte, z. B. per Zahlungslink oder "
            "Finanzierung.",
    help_en="Payments other than cash and debit card, e.g. by payment link or financing.",
    interfaces=(
        InterfaceType(
            key="payment_link_provider", source="designed",
            name_de="Zahlungslink-Anbieter (generisch, HTTPS)",
            name_en="Payment-link provider (generic, HTTPS)",
            help_de="Erzeugt für offene Beträge einen Zahlungslink, den der Kunde per E-Mail oder "
                    "SMS erhält. Der Anbieter meldet den Zahlungseingang zurück; die Rückmeldung "
                    "wird mit dem Signaturschlüssel geprüft." + GENERIC_DE,
            help_en="Creates a payment link for open amounts that the customer receives by "
                    "e-mail or SMS. The provider reports the payment back; the callback is "
                    "checked with the signing secret." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *keyed_https(text("merchant_id", "Händler-ID", "Merchant ID", required=True,
                                  max_length=80, section=CREDENTIALS)),
                secret("signing_secret", "Signaturschlüssel für Rückmeldungen",
                       "Signing secret for callbacks", section=CREDENTIALS),
                number("link_valid_hours", "Gültigkeit des Links (Stunden)",
                       "Link validity (hours)", default=72, min_value=1, max_value=720,
                       section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Pay by Link", "online payment"),
        ),
        InterfaceType(
            key="financing_provider", source="designed",
            name_de="Finanzierung / Ratenkauf (generisch, HTTPS)",
            name_en="Financing / instalments (generic, HTTPS)",
            help_de="Beantragt für einen Kaufbetrag eine Finanzierung beim Finanzierungspartner "
                    "und übernimmt Entscheidung und Vertragsnummer in den Vorgang." + GENERIC_DE,
            help_en="Applies for financing of a purchase with the financing partner and takes "
                    "decision and contract number into the process." + GENERIC_EN,
            usages=CLIENT, scopes=BRANCH_MANAGEMENT,
            fields=(
                *partner_https(),
                text("dealer_number", "Händlernummer", "Dealer number", required=True,
                     max_length=40, section=CREDENTIALS),
                number("min_amount", "Mindestbetrag (EUR)", "Minimum amount (EUR)",
                       default=100, min_value=0, section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Ratenzahlung", "instalment"),
        ),
    ),
)


def _credit_check(key, name, help_de, help_en, product, keywords):
    """A credit agency queried from the customer screen; the contract covers the company."""
    return InterfaceType(
        key=key, source="manual", name_de=name, name_en=name,
        help_de=help_de + " Jede Abfrage kostet Geld; die Datenweitergabe muss in den AGB "
                          "stehen.",
        help_en=help_en + " Every query costs money; the data transfer must be covered by the "
                          "terms and conditions.",
        usages=BOTH, default_usages=CLIENT, scopes=BRANCH_MANAGEMENT,
        fields=(
            *partner_https(api_key=False, username_de="Benutzername / Teilnehmernummer",
                           username_en="Username / member number"),
            choice("product", "Produkt", "Product", (product,), default=product[0],
                   required=True, section=OPTIONS),
        ),
        actions=(TEST_CONNECTION,), keywords=("Ampel", "Bonität", "credit", *keywords),
    )


CREDIT_CHECK = Group(
    key="credit_check",
    name_de="Bonitätsprüfung", name_en="Credit check",
    help_de="Bonitätsauskünfte über Kunden bei Auskunfteien, angezeigt als Ampel am Kunden.",
    help_en="Credit reports on customers from credit agencies, shown as a traffic light on the "
            "customer.",
    interfaces=(
        _credit_check(
            "bonima_check_pool", "BONIMA Check Pool",
            "Bonitätsprüfung bei Boniversum (Deutschland). Unterstützt wird nur das Produkt "
            "2072. Der Vertrag gilt für das ganze Unternehmen, nicht für eine Filiale.",
            "Credit check with Boniversum (Germany). Only product 2072 is supported. The "
            "contract covers the whole company, not a single branch.",
            opt("2072", "Produkt 2072", "Product 2072"), ("Boniversum",),
        ),
        _credit_check(
            "ksv1870", "KSV1870",
            "Bonitätsprüfung beim KSV1870 (nur Österreich); Voraussetzung ist ein Vertrag für "
            "'Auskünfte über Personen'. Übermittelt werden Name, Vorname, Geburtsdatum und "
            "Adresse; der Nachname muss exakt stimmen. Ampel: grün 100–399, gelb 400–499, "
            "rot 500–700, blau = keine Daten, grau = nicht geprüft.",
            "Credit check with KSV1870 (Austria only); requires a contract for 'Auskünfte über "
            "Personen' (information on persons). Name, first name, date of birth and address are "
            "sent; the surname must match exactly. Traffic light: green 100–399, yellow "
            "400–499, red 500–700, blue = no data, grey = not checked.",
            opt("persons", "Auskünfte über Personen", "Information on persons"), ("Österreich",),
        ),
    ),
)

BONUS_PROGRAM = Group(
    key="bonus_program",
    name_de="Bonusprogramm", name_en="Bonus programme",
    help_de="Anbindung externer Bonus- und Punkteprogramme an die Kasse.",
    help_en="Connection of external bonus and points programmes to the till.",
    interfaces=(
        InterfaceType(
            key="bonus_program_https", source="designed",
            name_de="Bonusprogramm-Anbieter (generisch, HTTPS)",
            name_en="Bonus programme provider (generic, HTTPS)",
            help_de="Schreibt Punkte für Einkäufe gut und löst sie an der Kasse ein. Die "
                    "Partner-ID vergibt der Anbieter; die Terminal-ID unterscheidet Filialen "
                    "oder Kassen." + GENERIC_DE,
            help_en="Credits points for purchases and redeems them at the till. The provider "
                    "assigns the partner ID; the terminal ID tells branches or tills apart."
                    + GENERIC_EN,
            usages=BOTH, scopes=ANYWHERE,
            fields=(
                *keyed_https(
                    text("partner_id", "Partner-ID", "Partner ID", required=True, max_length=40,
                         section=CREDENTIALS),
                    text("terminal_id", "Terminal-ID", "Terminal ID", max_length=40,
                         section=CREDENTIALS),
                ),
                flag("book_on_payment", "Punkte bei Zahlung automatisch buchen",
                     "Book points automatically on payment", default=True, section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Punkte", "loyalty", "points"),
        ),
    ),
)

DIGITAL_RECEIPT = Group(
    key="digital_receipt",
    name_de="Digitaler Kassenbeleg", name_en="Digital receipt",
    help_de="Kassenbelege elektronisch statt (oder zusätzlich zu) Papier ausgeben.",
    help_en="Hand out till receipts electronically instead of (or besides) paper.",
    interfaces=(
        InterfaceType(
            key="digital_receipt_email", source="designed",
            name_de="Digitaler Kassenbeleg per E-Mail", name_en="Digital receipt by e-mail",
            help_de="Schickt den Kassenbeleg als PDF an die E-Mail-Adresse des Kunden. Versendet "
                    "wird über den SMTP-Dienst; ohne E-Mail-Adresse wird gedruckt." + GENERIC_DE,
            help_en="Sends the till receipt as a PDF to the customer's e-mail address. Mail goes "
                    "out through the SMTP service; without an address it is printed." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=ANYWHERE, requires=("smtp",),
            fields=(
                template("receipt_template", "Dokumentvorlage Beleg", "Receipt template",
                         required=True, section=OPTIONS),
                text("subject", "Betreff", "Subject", default="Ihr Kassenbeleg",
                     required=True, max_length=200, section=OPTIONS),
                flag("ask_customer", "Vor dem Versand nachfragen", "Ask before sending",
                     default=True, section=OPTIONS),
                flag("also_print", "Zusätzlich drucken", "Print as well", section=OPTIONS),
            ),
            keywords=("Bon", "Quittung", "receipt", "PDF"),
        ),
        InterfaceType(
            key="digital_receipt_service", source="designed",
            name_de="Digitaler Kassenbeleg über Belegdienst (HTTPS, QR-Code)",
            name_en="Digital receipt through a receipt service (HTTPS, QR code)",
            help_de="Übergibt den Beleg an einen Belegdienst; der Kunde scannt am Kundendisplay "
                    "oder auf dem Ausdruck einen QR-Code und lädt den Beleg herunter." + GENERIC_DE,
            help_en="Hands the receipt to a receipt service; the customer scans a QR code on "
                    "the customer display or printout and downloads the receipt." + GENERIC_EN,
            usages=CLIENT, scopes=ANYWHERE,
            fields=(
                *keyed_https(text("store_id", "Filial-/Kassen-ID", "Store/till ID",
                                  required=True, max_length=40, section=CREDENTIALS)),
                flag("show_qr", "QR-Code am Kundendisplay zeigen",
                     "Show QR code on the customer display", default=True, section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("QR", "Bon", "receipt"),
        ),
    ),
)

ELECTRONIC_CASH = Group(
    key="electronic_cash",
    name_de="Electronic Cash", name_en="Electronic cash",
    help_de="Kartenzahlung über EC-Terminals an der Kasse.",
    help_en="Card payment through EC terminals at the till.",
    interfaces=(
        InterfaceType(
            key="ec_zvt_ethernet", source="manual",
            name_de="EC Terminal (ZVT, Ethernet)", name_en="EC terminal (ZVT, Ethernet)",
            help_de="Bindet ein EC-Terminal über das Netzwerk an die Kasse an. Das Terminal muss "
                    "per TCP/IP erreichbar sein und 'ZVT über TCP/IP' beherrschen (nicht COM). "
                    "IP-Adresse und Port stehen im Menü des Geräts. Nur clientseitig; das "
                    "Passwort ist nur sichtbar, wenn die Filialkette Administratoren das "
                    "Einsehen gesetzter Passwörter erlaubt. Getestet mit Verifone H5000 und "
                    "Ingenico ICT220/ICT250.",
            help_en="Connects an EC terminal to the till over the network. The terminal must be "
                    "reachable over TCP/IP and support 'ZVT over TCP/IP' (not COM). IP address "
                    "and port are shown in the device menu. Client-side only; the password is "
                    "visible only if the chain lets administrators view stored passwords. Tested "
                    "with Verifone H5000 and Ingenico ICT220/ICT250.",
            usages=CLIENT, scopes=LOCAL,
            fields=(
                *network_device(default_port=20007),
                secret("password", "Passwort (Händlerpasswort)", "Password (merchant password)",
                       required=True, pattern=r"\d{6}", section=DEVICE,
                       help_de="Sechsstellig, ggf. mit führender 0.",
                       help_en="Six digits, with a leading 0 if needed."),
                path("log_dir", "Log-Verzeichnis", "Log folder", section=DEVICE,
                     help_de="Nur durch den Support auszufüllen.",
                     help_en="To be filled in by support only."),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("ZVT", "Kartenzahlung", "card payment", "Verifone", "Ingenico"),
        ),
        InterfaceType(
            key="ec_six_payment", source="manual",
            name_de="EC SIX-Payment", name_en="EC SIX Payment",
            help_de="Kartenzahlung über Terminals von SIX/Worldline mit dem Protokoll EP2 (nur "
                    "Schweiz). Das Terminal wird entweder über seine Terminal-ID (per Broadcast "
                    "im Netz gesucht) oder über seine IP-Adresse angesprochen, nie über beides. "
                    "Belege druckt standardmäßig das Terminal.",
            help_en="Card payment through SIX/Worldline terminals using the EP2 protocol "
                    "(Switzerland only). The terminal is addressed either by its terminal ID "
                    "(found by broadcast on the network) or by its IP address, never both. By "
                    "default the terminal prints the receipts.",
            usages=CLIENT, scopes=LOCAL,
            fields=(
                choice("address_by", "Terminal ansprechen über", "Address terminal by", (
                    opt("terminal_id", "Terminal-ID", "Terminal ID"),
                    opt("ip_address", "IP-Adresse", "IP address"),
                ), default="terminal_id", required=True, section=DEVICE),
                text("terminal_id", "Terminal-ID", "Terminal ID", required=True, max_length=20,
                     section=DEVICE, shown_if=when("address_by", "terminal_id")),
                text("ip_address", "IP-Adresse", "IP address", required=True, max_length=255,
                     section=DEVICE, shown_if=when("address_by", "ip_address")),
                flag("receipt_by_till", "Belegdruck durch die Kasse", "Receipt printed by the till",
                     section=OPTIONS,
                     help_de="Aus = der Drucker des Terminals druckt den Beleg.",
                     help_en="Off = the terminal's printer prints the receipt."),
                path("log_dir", "LOG-Datei Verzeichnis", "Log file folder", section=DEVICE),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("EP2", "TIM-API", "Worldline", "Schweiz", "Kartenzahlung"),
        ),
    ),
)

FINANZONLINE = Group(
    key="finanzonline",
    name_de="FinanzOnline", name_en="FinanzOnline",
    help_de="Meldungen an FinanzOnline, das Portal der österreichischen Finanzverwaltung.",
    help_en="Reports to FinanzOnline, the Austrian tax administration's portal.",
    interfaces=(
        InterfaceType(
            key="finanzonline_rksv", source="manual",
            name_de="FinanzOnline AT (Registrierkassen-Webservice, RKSV)",
            name_en="FinanzOnline AT (cash-register web service, RKSV)",
            help_de="Meldet Registrierkassen und Signaturerstellungseinheiten über den "
                    "Webservice von FinanzOnline an (Österreich). Dafür in FinanzOnline einen "
                    "Webservice-Benutzer anlegen; dessen Teilnehmer- und Benutzer-Identifikation "
                    "und PIN hier eintragen. Erst danach lässt sich die Kasse initialisieren; "
                    "Signiereinheit (Chipkarte von A-Trust oder GlobalTrust im Kartenleser), "
                    "Kasse und Startbeleg werden anschließend in der Kasse angemeldet und "
                    "geprüft. Signiert werden alle Bar- und Kartenzahlungen, nicht aber "
                    "Bareinlagen und -entnahmen.",
            help_en="Registers cash registers and signature units through the FinanzOnline web "
                    "service (Austria). Create a web-service user in FinanzOnline and enter its "
                    "participant and user identification and PIN here. Only then can the till "
                    "be initialised; signature unit (a smart card from A-Trust or GlobalTrust in "
                    "the card reader), till and start receipt are then registered and checked "
                    "in the till. All cash and card payments are signed, cash deposits and "
                    "withdrawals are not.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *partner_https(api_key=False, username_de="Benutzer-Identifikation",
                               username_en="User identification", password_label=("PIN", "PIN")),
                text("participant_id", "Teilnehmer-Identifikation", "Participant identification",
                     required=True, max_length=40, section=CREDENTIALS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("RKSV", "Österreich", "Registrierkasse", "A-Trust", "GlobalTrust"),
        ),
    ),
)

FISCAL_PRINTER = Group(
    key="fiscal_printer",
    name_de="Fiskaldrucker", name_en="Fiscal printer",
    help_de="Fiskaldrucker, die Kassenbelege in Ländern mit Fiskalpflicht drucken und speichern.",
    help_en="Fiscal printers that print and store receipts in countries requiring them.",
    interfaces=(
        InterfaceType(
            key="fiscal_printer_device", source="designed",
            name_de="Fiskaldrucker (seriell oder Netzwerk)",
            name_en="Fiscal printer (serial or network)",
            help_de="Druckt Kassenbelege auf einem Fiskaldrucker am Arbeitsplatz. Der Drucker "
                    "muss von diesem Rechner aus erreichbar sein; die Registriernummer steht auf "
                    "dem Typenschild." + GENERIC_DE,
            help_en="Prints till receipts on a fiscal printer at the workstation. The printer "
                    "must be reachable from that computer; the registration number is on the "
                    "type plate." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                *serial_or_network(),
                text("registration_number", "Registriernummer", "Registration number",
                     max_length=40, section=DEVICE),
                path("log_dir", "Log-Verzeichnis", "Log folder", section=DEVICE),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Fiskal", "fiscal"),
        ),
    ),
)

CASH_REGISTER = Group(
    key="cash_register",
    name_de="Kassenschnittstellen", name_en="Till interfaces",
    help_de="Übergabe von Kassendaten an fremde Kassensysteme.",
    help_en="Hand-over of till data to third-party till systems.",
    interfaces=(
        InterfaceType(
            key="payment_export", source="manual",
            name_de="Zahlungsexport", name_en="Payment export",
            help_de="Schreibt jede Zahlung und Stornierung als eigene Datei in ein Verzeichnis, "
                    "aus dem ein unabhängiges Kassensystem (z. B. SAP) sie übernimmt: "
                    "Kassenzahlungen, Anzahlungen und Stornos im Vorgang sowie Zahlungen und "
                    "Stornos von Rechnungen. Bargeldentnahmen und -einlagen werden nicht "
                    "exportiert. Das Verzeichnis muss auf dem Arbeitsplatz existieren.",
            help_en="Writes every payment and cancellation as a file of its own into a folder "
                    "from which an independent till system (e.g. SAP) picks it up: till "
                    "payments, down payments and cancellations in a process, and payments and "
                    "cancellations of invoices. Cash withdrawals and deposits are not exported. "
                    "The folder must exist on the workstation.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(directory(label_de="Verzeichnis", label_en="Folder", section=CONNECTION),),
            keywords=("SAP", "Fremdkasse", "Zahlung", "payment"),
        ),
    ),
)

CASH_DRAWER = Group(
    key="cash_drawer",
    name_de="Kassenschublade", name_en="Cash drawer",
    help_de="Öffnen der Kassenschublade beim Bezahlen.",
    help_en="Opening the cash drawer on payment.",
    interfaces=(
        InterfaceType(
            key="receipt_printer_drawer", source="manual",
            name_de="Kassendrucker mit Schublade", name_en="Receipt printer with cash drawer",
            help_de="Die Kassenschublade hängt am Kassendrucker und wird über dessen "
                    "Druckertreiber geöffnet, bei jedem Dokument, das auf diesem Drucker "
                    "gedruckt wird. Der Drucker muss am Arbeitsplatz installiert sein; "
                    "deshalb nur clientseitig. Auf Wunsch öffnet sich die Schublade auch bei "
                    "EC-Zahlungen.",
            help_en="The cash drawer hangs on the receipt printer and is opened through its "
                    "printer driver, with every document printed on that printer. The printer "
                    "must be installed at the workstation, hence client-side only. Optionally "
                    "the drawer also opens on card (EC) payments.",
            usages=CLIENT, scopes=LOCAL,
            fields=(
                text("printer_name", "Drucker", "Printer", required=True, max_length=120,
                     section=CASH_DRAWER_SECTION,
                     help_de="Der am Arbeitsplatz installierte Drucker, an dem die Schublade "
                             "angeschlossen ist.",
                     help_en="The printer installed at the workstation that the drawer is "
                             "attached to."),
                flag("open_on_card_payment", "Bei EC Zahlungen Kassenschublade öffnen",
                     "Open the cash drawer on card (EC) payments", section=CASH_DRAWER_SECTION),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Schublade", "drawer", "Bondrucker", "Kassendrucker"),
        ),
        InterfaceType(
            key="cash_drawer_device", source="designed",
            name_de="Kassenschublade (Bondrucker oder seriell)",
            name_en="Cash drawer (receipt printer or serial)",
            help_de="Öffnet die Kassenschublade bei Barzahlungen, entweder per Impuls über den "
                    "angeschlossenen Bondrucker oder direkt über eine serielle Schnittstelle.",
            help_en="Opens the cash drawer on cash payments, either by a pulse through the "
                    "attached receipt printer or directly over a serial port.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                choice("connection", "Anschluss", "Connection", (
                    opt("printer", "Über den Bondrucker", "Through the receipt printer"),
                    opt("serial", "Seriell / USB (COM-Port)", "Serial / USB (COM port)"),
                ), default="printer", required=True, section=DEVICE),
                text("printer_name", "Bondrucker", "Receipt printer", required=True,
                     max_length=120, section=DEVICE, shown_if=when("connection", "printer")),
                choice("pulse_pin", "Impuls-Pin", "Pulse pin", (
                    opt("pin2", "Pin 2"), opt("pin5", "Pin 5"),
                ), default="pin2", required=True, section=DEVICE,
                    shown_if=when("connection", "printer")),
                *serial_port(shown_if=when("connection", "serial")),
                number("pulse_ms", "Impulsdauer (ms)", "Pulse length (ms)", default=100,
                       min_value=20, max_value=500, section=DEVICE),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Schublade", "drawer"),
        ),
    ),
)

KASSENSICHV = Group(
    key="kassensichv",
    name_de="KassenSichV", name_en="KassenSichV (till security regulation)",
    help_de="Technische Sicherheitseinrichtung (TSE) nach der Kassensicherungsverordnung.",
    help_en="Technical security device (TSE) under the German till security regulation.",
    interfaces=(
        InterfaceType(
            key="tse_swissbit", source="manual",
            name_de="KassenSichV-Swissbit (TSE)", name_en="KassenSichV Swissbit (TSE)",
            help_de="Die TSE ist ein USB-Stick am Kassenrechner; deshalb wird sie in den "
                    "Arbeitsplatzeinstellungen dieses Rechners eingerichtet (Rechte für "
                    "Arbeitsplatz-Schnittstellen und Kassen-Administration nötig). Stick ohne "
                    "USB-Hub anstecken, Laufwerksbuchstaben mit Doppelpunkt eintragen, speichern, "
                    "neu starten und in der Kasse (Administration → Konfiguration) "
                    "initialisieren; die Kassenidentifikationsnummer dem Finanzamt melden. Das "
                    "Zertifikat gilt 5 Jahre und kann nicht verlängert werden. Für macOS gibt es "
                    "keine TSE.",
            help_en="The TSE is a USB stick on the till computer, so it is set up in that "
                    "computer's workstation settings (needs the rights for workstation "
                    "interfaces and till administration). Plug the stick in without a USB hub, "
                    "enter the drive letter with a colon, save, restart and initialise it in the "
                    "till (Administration → Configuration); report the till identification "
                    "number to the tax office. The certificate is valid for 5 years and cannot "
                    "be extended. There is no TSE for macOS.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                text("drive_letter", "Laufwerksbuchstabe", "Drive letter", required=True,
                     max_length=2, pattern=r"[A-Za-z]:", section=DEVICE,
                     help_de="Mit Doppelpunkt, z. B. E: — am besten in der Windows-"
                             "Datenträgerverwaltung fest zuweisen.",
                     help_en="With a colon, e.g. E: — best fixed in Windows disk management."),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("TSE", "Swissbit", "USB-Stick", "Kassensicherungsverordnung"),
        ),
    ),
)

# Placeholders of the line display's texts; a text may hold only these (syntax check only).
DISPLAY_PLACEHOLDERS = ("menge", "artikel", "preis", "summe", "gegeben", "zurück")
_DISPLAY_TEXT = r"(?:[^{}]|\{(?:" + "|".join(DISPLAY_PLACEHOLDERS) + r")\})*"


def _display_lines(key, label_de, label_en, first="", second="", help_de="", help_en=""):
    """Line 1 and line 2 of one text of the line display, each at most 40 characters."""
    return tuple(
        text(f"{key}_{line}", f"{label_de} {line}", f"{label_en} {line}", max_length=40,
             pattern=_DISPLAY_TEXT, section=DISPLAY_TEXTS, default=default or None,
             help_de=help_de if line == 1 else "", help_en=help_en if line == 1 else "")
        for line, default in ((1, first), (2, second)))


DISPLAY_TEXTS = Section("display_texts", "Anzeigetexte", "Display texts")
PLACEHOLDER_HELP_DE = ("Platzhalter: " + ", ".join(f"{{{p}}}" for p in DISPLAY_PLACEHOLDERS)
                       + ".")
PLACEHOLDER_HELP_EN = ("Placeholders: " + ", ".join(f"{{{p}}}" for p in DISPLAY_PLACEHOLDERS)
                       + ".")

POS_DISPLAY = Group(
    key="pos_display",
    name_de="POS Anzeige", name_en="POS display",
    help_de="Kundenanzeigen an der Kasse: Zeilendisplay oder zweiter Bildschirm.",
    help_en="Customer displays at the till: pole display or second screen.",
    interfaces=(
        InterfaceType(
            key="line_display_com", source="manual",
            name_de="Zeilenanzeige am COM-Port", name_en="Line display on a COM port",
            help_de="Digitale Zeilenanzeige (Kundendisplay) an einer seriellen Schnittstelle "
                    "der Kasse; das Gerät muss zuvor am Rechner installiert sein. Sie zeigt in "
                    "Pausen den Leerlauftext, beim Kassieren jede Position, die Summe und zum "
                    "Schluss den gegebenen Betrag und das Rückgeld. Die Texte haben je zwei "
                    "Zeilen und setzen die Werte über Platzhalter ein. Nur clientseitig.",
            help_en="Digital line display (customer display) on a serial port of the till; the "
                    "device must be installed on the computer first. Between sales it shows the "
                    "idle text; while taking payment each item, the total and finally the "
                    "amount given and the change. Each text has two lines and puts the values "
                    "in through placeholders. Client-side only.",
            usages=CLIENT, scopes=LOCAL,
            fields=(
                text("com_port", "Port", "Port", default="COM1", required=True, max_length=40,
                     section=DEVICE,
                     help_de="COM-Port der Anzeige aus der Installation, z. B. COM3.",
                     help_en="The display's COM port from the installation, e.g. COM3."),
                choice("emulation", "Emulation", "Emulation", (
                    opt("aq300", "AQ300"), opt("cd5220", "CD5220"),
                    opt("epson_escpos", "EPSON ESC/POS"), opt("samsung_vfd", "Samsung VFD"),
                    opt("utc_standard", "UTC Standard"),
                ), default="epson_escpos", required=True, section=DEVICE,
                    help_de="Der Anzeigetyp des Geräts.", help_en="The device's display type."),
                text("parameter", "Parameter", "Parameter", max_length=20, section=DEVICE,
                     help_de="Gerätenummer; nur nötig, wenn mehrere Geräte unterschieden werden "
                             "müssen.",
                     help_en="Device number; needed only when several devices must be told "
                             "apart."),
                *_display_lines("idle_text", "Leerlauftext", "Idle text",
                                first="Herzlich Willkommen",
                                help_de="Eine oder zwei Zeilen, solange nicht kassiert wird.",
                                help_en="One or two lines while no sale is in progress."),
                *_display_lines("item_text", "Positionstext", "Item text",
                                first="{menge} x {artikel}", second="Gesamt {summe}",
                                help_de=PLACEHOLDER_HELP_DE, help_en=PLACEHOLDER_HELP_EN),
                *_display_lines("total_text", "Text für Summe", "Total text", first="Summe",
                                second="{summe}", help_de=PLACEHOLDER_HELP_DE,
                                help_en=PLACEHOLDER_HELP_EN),
                *_display_lines("change_text", "Gegeben und zurück", "Given and change",
                                first="Gegeben {gegeben}", second="Zurück {zurück}",
                                help_de=PLACEHOLDER_HELP_DE, help_en=PLACEHOLDER_HELP_EN),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Kundendisplay", "Zeilendisplay", "COM", "VFD", "ESC/POS", "CD5220",
                      "AQ300"),
        ),
        InterfaceType(
            key="customer_display_screen", source="designed",
            name_de="Kundendisplay (zweiter Bildschirm)",
            name_en="Customer display (second screen)",
            help_de="Zeigt dem Kunden auf einem zweiten Bildschirm die Positionen und den Betrag; "
                    "in Pausen läuft eine Bilderschau aus einem Verzeichnis.",
            help_en="Shows the customer the lines and the total on a second screen; between "
                    "sales a slideshow from a folder runs.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                number("monitor", "Bildschirm-Nummer", "Screen number", default=2, min_value=1,
                       max_value=8, required=True, section=DEVICE),
                flag("show_lines", "Positionen anzeigen", "Show lines", default=True,
                     section=OPTIONS),
                path("slideshow_dir", "Verzeichnis der Bilderschau", "Slideshow folder",
                     section=OPTIONS),
                number("slide_seconds", "Anzeigedauer je Bild (Sekunden)",
                       "Seconds per picture", default=10, min_value=3, max_value=120,
                       section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Kundendisplay", "Monitor"),
        ),
        InterfaceType(
            key="pole_display", source="designed",
            name_de="Kundenanzeige (Zeilendisplay, seriell)", name_en="Pole display (serial)",
            help_de="Gibt Artikel und Summe auf einem Zeilendisplay an der seriellen "
                    "Schnittstelle aus.",
            help_en="Shows article and total on a pole display on the serial port.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                *serial_port(),
                number("lines", "Zeilen", "Lines", default=2, min_value=1, max_value=4,
                       section=DEVICE),
                number("columns", "Zeichen je Zeile", "Characters per line", default=20,
                       min_value=16, max_value=40, section=DEVICE),
                text("idle_text", "Ruhetext", "Idle text", default="Willkommen", max_length=40,
                     section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Kundendisplay", "VFD"),
        ),
    ),
)
