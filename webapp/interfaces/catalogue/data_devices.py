"""Devices at the workstation and document capture: barcode reader, document scanner, card
reader, OCR, signature pad.

Designed by us, except the signotec signature pad (amparex-catalogue.md; only its workflow page
was found, so its one field, the PDF printer the workflow names, is ours): the manual names
these groups (seed 000) but no product or field. Device protocols are not spoken by the app
(DESIGN.md, "Not in scope"); these services hold the settings the workstation's client needs,
and their "Verbindung testen" runs there (fields.TEST_AT_WORKSTATION).
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CLIENT, DEVICE, GENERIC_DE, GENERIC_EN, OPTIONS, SERVER,
    TEST_AT_WORKSTATION, TEST_CONNECTION, WORKSTATION, choice, command_line, flag, keyed_https,
    number, opt, path, serial_port, text, when,
)
from .schema import Group, InterfaceType

SCAN_SUFFIX = (
    opt("enter", "Eingabetaste", "Enter"),
    opt("tab", "Tabulator", "Tab"),
    opt("none", "Keines", "None"),
)


def _suffix():
    return choice("suffix", "Abschlusszeichen", "Terminator", SCAN_SUFFIX, default="enter",
                  required=True, section=DEVICE,
                  help_de="Zeichen, das der Scanner nach jedem Code sendet.",
                  help_en="Character the scanner sends after each code.")


BARCODE_READER = Group(
    key="barcode_reader",
    name_de="Barcodeleser", name_en="Barcode reader",
    help_de="Barcodeleser zum Erfassen von Artikeln, Seriennummern und Belegen.",
    help_en="Barcode readers for capturing articles, serial numbers and documents.",
    interfaces=(
        InterfaceType(
            key="barcode_keyboard", source="designed",
            name_de="Barcodeleser (Tastatureingabe)", name_en="Barcode reader (keyboard wedge)",
            help_de="Der Scanner arbeitet wie eine Tastatur. An Präfix und Zeichenabstand "
                    "erkennt die App gescannte Codes und unterscheidet sie von getippten "
                    "Eingaben." + GENERIC_DE,
            help_en="The scanner acts as a keyboard. By prefix and character interval the app "
                    "recognises scanned codes and tells them from typed input." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                text("prefix", "Präfix", "Prefix", max_length=5, section=DEVICE,
                     help_de="Zeichen, das der Scanner vor jeden Code setzt (falls eingestellt).",
                     help_en="Character the scanner puts before each code (if configured)."),
                _suffix(),
                number("max_interval_ms", "Höchster Zeichenabstand (ms)",
                       "Maximum character interval (ms)", default=50, min_value=10,
                       max_value=200, section=DEVICE),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Scanner", "EAN", "HID"),
        ),
        InterfaceType(
            key="barcode_serial", source="designed",
            name_de="Barcodeleser (seriell / virtueller COM-Port)",
            name_en="Barcode reader (serial / virtual COM port)",
            help_de="Liest Codes von einem Scanner an einer seriellen oder virtuellen "
                    "COM-Schnittstelle, unabhängig davon, welches Feld den Fokus hat." + GENERIC_DE,
            help_en="Reads codes from a scanner on a serial or virtual COM port, regardless of "
                    "which field has the focus." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(*serial_port(default_port="COM3"), _suffix()),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Scanner", "EAN", "COM"),
        ),
    ),
)

DOCUMENT_SCANNER = Group(
    key="document_scanner",
    name_de="Dokumenten-Scanner", name_en="Document scanner",
    help_de="Einscannen von Dokumenten (Verordnungen, Verträge) direkt in die Kundenakte.",
    help_en="Scanning documents (prescriptions, contracts) straight into the customer file.",
    interfaces=(
        InterfaceType(
            key="document_scanner_twain", source="designed",
            name_de="Dokumenten-Scanner (TWAIN/WIA)", name_en="Document scanner (TWAIN/WIA)",
            help_de="Scannt über den TWAIN- oder WIA-Treiber des Rechners. Ohne Gerätenamen wird "
                    "der Standardscanner verwendet; 300 dpi in Graustufen genügen für die "
                    "meisten Dokumente." + GENERIC_DE,
            help_en="Scans through the computer's TWAIN or WIA driver. Without a device name the "
                    "default scanner is used; 300 dpi greyscale suits most documents." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                choice("driver", "Treiber", "Driver", (opt("twain", "TWAIN"), opt("wia", "WIA")),
                       default="twain", required=True, section=DEVICE),
                text("device_name", "Gerätename", "Device name", max_length=120, section=DEVICE),
                number("resolution_dpi", "Auflösung (dpi)", "Resolution (dpi)", default=300,
                       min_value=100, max_value=1200, section=DEVICE),
                choice("color_mode", "Farbmodus", "Colour mode", (
                    opt("color", "Farbe", "Colour"),
                    opt("grayscale", "Graustufen", "Greyscale"),
                    opt("bw", "Schwarzweiß", "Black and white"),
                ), default="grayscale", required=True, section=DEVICE),
                flag("duplex", "Beidseitig", "Duplex", section=DEVICE),
                choice("file_format", "Dateiformat", "File format", (
                    opt("pdf", "PDF"), opt("jpeg", "JPEG"), opt("tiff", "TIFF"),
                ), default="pdf", required=True, section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Scanner", "TWAIN", "WIA"),
        ),
    ),
)

CARD_READER = Group(
    key="card_reader",
    name_de="Kartenleser", name_en="Card reader",
    help_de="Kartenleser für Kunden- und Mitarbeiterkarten sowie Versichertenkarten.",
    help_en="Card readers for customer and employee cards and health-insurance cards.",
    interfaces=(
        InterfaceType(
            key="card_reader_nfc", source="designed",
            name_de="Kartenleser für Kundenkarten (NFC/RFID)",
            name_en="Card reader for customer cards (NFC/RFID)",
            help_de="Liest Kunden- und Mitarbeiterkarten mit Chip. Beim Auflegen einer Karte "
                    "kann der Kunde automatisch gesucht werden; bei Mitarbeiterkarten ist, wenn "
                    "die Filialkette es erlaubt, die Anmeldung ohne Passwort möglich." + GENERIC_DE,
            help_en="Reads customer and employee cards with a chip. Placing a card can look up "
                    "the customer automatically; with employee cards, login without a password "
                    "is possible if the chain allows it." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                choice("connection", "Anschluss", "Connection", (
                    opt("pcsc", "PC/SC-Leser", "PC/SC reader"),
                    opt("keyboard", "Tastatureingabe (USB-HID)", "Keyboard wedge (USB HID)"),
                ), default="pcsc", required=True, section=DEVICE),
                text("reader_name", "Lesergerät", "Reader", max_length=120, section=DEVICE,
                     shown_if=when("connection", "pcsc"),
                     help_de="Leer = erster gefundener Leser.",
                     help_en="Empty = first reader found."),
                flag("auto_lookup", "Kunde beim Auflegen suchen", "Look up customer on tap",
                     default=True, section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("NFC", "RFID", "Chipkarte", "Kundenkarte"),
        ),
        InterfaceType(
            key="card_reader_health", source="designed",
            name_de="Kartenleser für Versichertenkarten (eGK)",
            name_en="Card reader for health-insurance cards (eGK)",
            help_de="Liest die Versichertendaten der elektronischen Gesundheitskarte und "
                    "übernimmt sie in den Kunden. Der Leser wird über PC/SC oder eine CT-API-"
                    "Bibliothek des Herstellers angesprochen." + GENERIC_DE,
            help_en="Reads the insured person's data from the electronic health card and takes "
                    "it into the customer. The reader is addressed over PC/SC or a CT-API "
                    "library from its maker." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                choice("interface", "Schnittstelle", "Interface", (
                    opt("pcsc", "PC/SC"), opt("ctapi", "CT-API"),
                ), default="pcsc", required=True, section=DEVICE),
                text("reader_name", "Lesergerät", "Reader", max_length=120, section=DEVICE,
                     shown_if=when("interface", "pcsc")),
                path("ctapi_library", "CT-API-Bibliothek", "CT-API library", required=True,
                     section=DEVICE, shown_if=when("interface", "ctapi")),
                number("ctapi_port", "CT-API-Port", "CT-API port", default=1, min_value=1,
                       max_value=32, section=DEVICE, shown_if=when("interface", "ctapi")),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("eGK", "Krankenversichertenkarte", "Gesundheitskarte", "health card"),
        ),
    ),
)

_OCR_LANGUAGES = (
    opt("deu", "Deutsch", "German"), opt("eng", "Englisch", "English"),
    opt("deu+eng", "Deutsch und Englisch", "German and English"),
)


def _ocr_language():
    return choice("language", "Sprache", "Language", _OCR_LANGUAGES, default="deu",
                  required=True, section=OPTIONS)


OCR = Group(
    key="ocr",
    name_de="OCR", name_en="OCR",
    help_de="Texterkennung auf gescannten Belegen, z. B. Lieferscheinen und Verordnungen.",
    help_en="Text recognition on scanned documents, e.g. delivery notes and prescriptions.",
    interfaces=(
        InterfaceType(
            key="ocr_service_https", source="designed",
            name_de="OCR-Dienst (generisch, HTTPS)", name_en="OCR service (generic, HTTPS)",
            help_de="Schickt gescannte Seiten an einen OCR-Dienst und übernimmt den erkannten "
                    "Text. Die Seiten verlassen dabei das Haus; Datenschutzvertrag mit dem "
                    "Anbieter beachten." + GENERIC_DE,
            help_en="Sends scanned pages to an OCR service and takes over the recognised text. "
                    "The pages leave the premises; mind the data-processing agreement with the "
                    "provider." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(*keyed_https(read=120), _ocr_language()),
            actions=(TEST_CONNECTION,),
            keywords=("Texterkennung", "text recognition"),
        ),
        InterfaceType(
            key="ocr_command", source="designed",
            name_de="OCR per Kommandozeile (lokal)", name_en="OCR by command line (local)",
            help_de="Ruft ein lokal installiertes OCR-Programm auf, das die Eingabedatei liest "
                    "und den erkannten Text in die Ausgabedatei schreibt. Nichts verlässt den "
                    "Rechner." + GENERIC_DE,
            help_en="Runs a locally installed OCR program that reads the input file and writes "
                    "the recognised text to the output file. Nothing leaves the computer."
                    + GENERIC_EN,
            usages=BOTH, scopes=ANYWHERE,
            fields=(
                *command_line("{eingabedatei} {ausgabedatei}", output=False,
                              placeholders="{eingabedatei}, {ausgabedatei}, {sprache}"),
                _ocr_language(),
            ),
            keywords=("Texterkennung", "command line"),
        ),
    ),
)

SIGNATURE_PAD = Group(
    key="signature_pad",
    name_de="Unterschriftenpad", name_en="Signature pad",
    help_de="Elektronische Unterschrift des Kunden auf Verträgen, Einwilligungen und Belegen.",
    help_en="The customer's electronic signature on contracts, consents and receipts.",
    interfaces=(
        InterfaceType(
            key="signotec_signature_pad", source="manual",
            name_de="signotec Unterschriftenpad", name_en="signotec signature pad",
            help_de="Fortgeschrittene elektronische Unterschrift des Kunden auf Dokumenten, "
                    "ohne Drucken, Unterschreiben und Einscannen (z. B. bei "
                    "Berufsgenossenschaften). Das Pad muss vorher am Rechner installiert und "
                    "eingerichtet sein. Unterschrieben wird aus dem Druckdialog oder der "
                    "Dokumentvorschau; dabei wird der Drucker 'signotec PDF-Creator' im "
                    "Hintergrund geladen. Das Dokument muss unterschriftsfähig sein, also "
                    "Platzhalter wie #as_1# enthalten. Unterschreiben Kunde und Unternehmen, "
                    "dann nacheinander in einem Schritt: ein bereits unterschriebenes Dokument "
                    "kann nachträglich keine Unterschrift mehr bekommen.",
            help_en="The customer's advanced electronic signature on documents, without "
                    "printing, signing and scanning (e.g. for employers' liability insurers). "
                    "The pad must be installed and set up on the computer first. Signing starts "
                    "from the print dialog or the document preview, which loads the printer "
                    "'signotec PDF-Creator' in the background. The document must be "
                    "signature-capable, i.e. hold placeholders such as #as_1#. When customer and "
                    "company both sign, they sign one after the other in one step: a signed "
                    "document cannot take another signature later.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                text("pdf_printer", "PDF-Drucker", "PDF printer", default="signotec PDF-Creator",
                     required=True, max_length=120, section=DEVICE,
                     help_de="Der Drucker, über den signotec die Unterschrift ins Dokument "
                             "setzt; wird mit dem Pad installiert.",
                     help_en="The printer through which signotec puts the signature into the "
                             "document; installed with the pad."),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("signotec", "Unterschrift", "signature", "Pad", "#as_1#"),
        ),
        InterfaceType(
            key="signature_pad_usb", source="designed",
            name_de="Unterschriftenpad (USB)", name_en="Signature pad (USB)",
            help_de="Nimmt Unterschriften auf einem Pad am Arbeitsplatz auf und legt sie als "
                    "Bild im Dokument ab. Biometrische Daten (Druck, Schreibtempo) nur "
                    "speichern, wenn der Kunde darüber informiert ist.",
            help_en="Captures signatures on a pad at the workstation and puts them into the "
                    "document as an image. Store biometric data (pressure, speed) only if the "
                    "customer has been informed.",
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                text("device_name", "Gerätename", "Device name", max_length=120, section=DEVICE,
                     help_de="Leer = erstes gefundenes Pad.", help_en="Empty = first pad found."),
                number("timeout_seconds", "Zeitlimit für die Unterschrift (Sekunden)",
                       "Signature timeout (seconds)", default=120, min_value=10, max_value=600,
                       section=OPTIONS),
                flag("store_biometrics", "Biometrische Daten speichern",
                     "Store biometric data", section=OPTIONS),
                choice("image_format", "Bildformat", "Image format", (
                    opt("png", "PNG"), opt("svg", "SVG"),
                ), default="png", required=True, section=OPTIONS),
            ),
            actions=(TEST_AT_WORKSTATION,),
            keywords=("Unterschrift", "signature", "Pad"),
        ),
    ),
)
