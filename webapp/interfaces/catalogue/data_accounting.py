"""Accounting and billing: billing export (therapy), accounting, accounting import, invoice
data exchange.

From the manual: Buchhaltungsexport (DATEV CSV / Addison / Sage, amparex-facts.md §12),
Automatischer Lastschrifteinzug-Export (§3.2) and Ausziffern (amparex-catalogue.md,
Buchhaltungsimport: its rules are the manual's, its fields ours, as the interface page was not
found). Designed by us: the therapy billing exports, the bank-statement import and the
e-invoice interfaces.
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CLIENT, EXPORT, GENERIC_DE, GENERIC_EN, OPTIONS, SERVER,
    TEST_CONNECTION, action, choice, company, date, directory, flag, imap_mailbox, number, opt,
    schedule, text, transfer, when,
)
from .schema import Group, InterfaceType


def _billing_identity():
    """Who bills (the sender's IK number) and to which billing centre, in which format."""
    return (
        company("billing_centre", "Abrechnungszentrum", "Billing centre", required=True,
                section=EXPORT),
        text("sender_ik", "Absender-IK", "Sender IK number", required=True, max_length=9,
             pattern=r"\d{9}", section=EXPORT,
             help_de="Neunstelliges Institutionskennzeichen der abrechnenden Filiale.",
             help_en="Nine-digit institution code (IK) of the billing branch."),
        choice("format", "Format", "Format", (
            opt("dta_302", "Datenaustausch nach § 302 SGB V", "Data exchange under § 302 SGB V"),
            opt("csv", "CSV (Semikolon-getrennt)", "CSV (semicolon-separated)"),
        ), default="dta_302", required=True, section=EXPORT),
        choice("data_mode", "Daten", "Data", (
            opt("test", "Testdaten", "Test data"),
            opt("production", "Echtdaten", "Production data"),
        ), default="test", required=True, section=EXPORT,
            help_de="Neue Verbindungen zuerst mit Testdaten abstimmen.",
            help_en="Agree new connections with test data first."),
    )


BILLING_EXPORT = Group(
    key="billing_export", area="therapy",
    name_de="Abrechnungsexport", name_en="Billing export",
    help_de="Übergabe der Abrechnungsdaten (Therapie) an ein Abrechnungszentrum.",
    help_en="Hand-over of (therapy) billing data to a billing centre.",
    interfaces=(
        InterfaceType(
            key="billing_export_directory", source="designed",
            name_de="Abrechnungsexport in Verzeichnis", name_en="Billing export to a folder",
            help_de="Schreibt die Abrechnungsdaten für das Abrechnungszentrum als Datei in ein "
                    "Verzeichnis, aus dem sie weitergeleitet oder hochgeladen werden." + GENERIC_DE,
            help_en="Writes the billing data for the billing centre as a file into a folder from "
                    "which it is forwarded or uploaded." + GENERIC_EN,
            usages=BOTH, default_usages=CLIENT, scopes=ANYWHERE,
            fields=(*_billing_identity(), directory("export_dir", "Exportverzeichnis",
                                                    "Export folder")),
            keywords=("§302", "Therapie", "Krankenkasse", "IK"),
        ),
        InterfaceType(
            key="billing_export_sftp", source="designed",
            name_de="Abrechnungsexport per SFTP", name_en="Billing export via SFTP",
            help_de="Lädt die Abrechnungsdaten geplant auf den SFTP-Server des "
                    "Abrechnungszentrums hoch. Zugangsdaten vergibt das Abrechnungszentrum."
                    + GENERIC_DE,
            help_en="Uploads the billing data to the billing centre's SFTP server on a "
                    "schedule. The billing centre issues the credentials." + GENERIC_EN,
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(*_billing_identity(), *transfer(), schedule(choices=("daily", "weekly"))),
            actions=(TEST_CONNECTION,),
            keywords=("§302", "Therapie", "SFTP"),
        ),
    ),
)

ACCOUNTING = Group(
    key="accounting",
    name_de="Buchhaltung", name_en="Accounting",
    help_de="Exporte an die Finanzbuchhaltung und den Zahlungsverkehr.",
    help_en="Exports to financial accounting and payment transactions.",
    interfaces=(
        InterfaceType(
            key="accounting_export", source="manual",
            name_de="Buchhaltungsexport (DATEV, Addison, Sage)",
            name_en="Accounting export (DATEV, Addison, Sage)",
            help_de="Exportiert Buchungen für die Finanzbuchhaltung. Der Kontenrahmen gilt für "
                    "die ganze Filialkette. Für DATEV CSV sind Beraternummer und -name sowie "
                    "Mandantennummer und -name Pflicht.",
            help_en="Exports bookings for financial accounting. The chart of accounts applies to "
                    "the whole chain. DATEV CSV needs the tax adviser's number and name and the "
                    "client number and name.",
            usages=BOTH, default_usages=CLIENT, scopes=ANYWHERE,
            fields=(
                choice("format", "Format", "Format", (
                    opt("datev_csv", "DATEV CSV"), opt("addison", "Addison"), opt("sage", "Sage"),
                ), default="datev_csv", required=True, section=EXPORT),
                text("advisor_number", "Beraternummer", "Tax adviser number", required=True,
                     max_length=7, pattern=r"\d{1,7}", section=EXPORT,
                     shown_if=when("format", "datev_csv")),
                text("advisor_name", "Beratername", "Tax adviser name", required=True,
                     max_length=120, section=EXPORT, shown_if=when("format", "datev_csv")),
                text("client_number", "Mandantennummer", "Client number", required=True,
                     max_length=5, pattern=r"\d{1,5}", section=EXPORT,
                     shown_if=when("format", "datev_csv")),
                text("client_name", "Mandantenname", "Client name", required=True,
                     max_length=120, section=EXPORT, shown_if=when("format", "datev_csv")),
                number("account_length", "Sachkontenlänge", "Account number length", default=4,
                       min_value=4, max_value=8, required=True, section=EXPORT),
                date("fiscal_year_start", "Beginn des Wirtschaftsjahres", "Start of fiscal year",
                     section=EXPORT, help_de="Leer = Kalenderjahr.",
                     help_en="Empty = calendar year."),
                directory("export_dir", "Exportverzeichnis", "Export folder"),
            ),
            keywords=("DATEV", "Addison", "Sage", "Fibu", "Steuerberater"),
        ),
        InterfaceType(
            key="direct_debit_export", source="manual",
            name_de="Automatischer Lastschrifteinzug-Export",
            name_en="Automatic direct-debit export",
            help_de="Exportiert täglich alle Rechnungen, deren Lastschrift heute fällig ist, und "
                    "lädt die Datei per (S)FTP hoch; ersetzt den manuellen Export. Voraussetzung: "
                    "Gläubiger-ID der Filiale, gültige Bankverbindungen von Filiale und Kunde, "
                    "ein SEPA-Mandat und Rechnungen mit Lastschrift.",
            help_en="Exports every day all invoices whose direct debit is due today and uploads "
                    "the file by (S)FTP; replaces the manual export. Needs the branch's SEPA "
                    "creditor ID, valid bank details of branch and customer, a SEPA mandate and "
                    "invoices paid by direct debit.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                choice("sepa_type", "SEPA Typ", "SEPA type", (
                    opt("direct_debit", "Lastschrifteinzug", "Direct debit"),
                    opt("sepa_direct_debit", "SEPA Lastschrifteinzug", "SEPA direct debit"),
                ), default="sepa_direct_debit", required=True, section=EXPORT),
                text("description", "Beschreibung", "Description", max_length=140,
                     section=EXPORT),
                text("customer_number", "Nur Kunde (Kundennummer)", "Only customer (number)",
                     max_length=40, section=EXPORT,
                     help_de="Leer = alle Kunden.", help_en="Empty = every customer."),
                choice("payment_method", "Zahlungsart", "Payment method", (
                    opt("cash", "Barzahlung", "Cash"),
                    opt("direct_debit_authorisation", "Einzugsermächtigung",
                        "Direct-debit authorisation"),
                    opt("cash_on_delivery", "Nachnahme", "Cash on delivery"),
                    opt("bank_transfer", "Überweisung", "Bank transfer"),
                ), default="direct_debit_authorisation", required=True, section=EXPORT),
                choice("invoice_type", "Typ", "Type", (
                    opt("customer_invoice", "Kundenrechnung", "Customer invoice"),
                    opt("payer_collective_invoice", "Sammelrechnung KT",
                        "Collective invoice to payer"),
                    opt("payer_single_invoice", "Einzelrechnung KT", "Single invoice to payer"),
                ), default="customer_invoice", required=True, section=EXPORT),
                *transfer(),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("SEPA", "Lastschrift", "direct debit", "FTP"),
        ),
    ),
)

ACCOUNTING_IMPORT = Group(
    key="accounting_import",
    name_de="Buchhaltungsimport", name_en="Accounting import",
    help_de="Übernahme von Daten aus Bank und Finanzbuchhaltung, z. B. Zahlungseingänge.",
    help_en="Import of data from bank and financial accounting, e.g. incoming payments.",
    interfaces=(
        InterfaceType(
            key="settlement_import", source="manual",
            name_de="Ausziffern (Zahlungen aus der Finanzbuchhaltung)",
            name_en="Settling invoices (payments from financial accounting)",
            help_de="Übernimmt Zahlungen, die in einer externen Finanzbuchhaltung eingegangen "
                    "sind, ganz oder teilweise und bucht sie auf die Rechnung. Diese Buchungen "
                    "sind 'nicht exportieren' markiert und gehen nicht mit dem "
                    "Buchhaltungsexport zurück. Kommt nur eine Rechnungsnummer ohne Betrag, "
                    "gilt der offene Betrag als bezahlt. Bei 'Geschlossene Posten' listet die "
                    "Datei die voll bezahlten Rechnungen (keine Teilzahlungen, wenig "
                    "Fehlerrisiko); bei 'Offene Posten' die noch offenen Rechnungen mit offenem "
                    "Betrag, und alles, was fehlt, gilt als voll bezahlt — eine unvollständige "
                    "Datei bucht also falsch. Eingerichtet wird der Import mit dem Support.",
            help_en="Takes over payments received in an external financial accounting, in full "
                    "or in part, and books them on the invoice. These bookings are marked 'do "
                    "not export' and do not go back with the accounting export. When only an "
                    "invoice number arrives without an amount, the open amount counts as paid. "
                    "With 'closed items' the file lists the fully paid invoices (no partial "
                    "payments, little risk of error); with 'open items' it lists the invoices "
                    "still open with their open amount, and everything missing counts as fully "
                    "paid — so an incomplete file books wrongly. The import is set up with "
                    "support.",
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                choice("variant", "Verfahren", "Method", (
                    opt("closed_items", "Geschlossene Posten", "Closed items"),
                    opt("open_items", "Offene Posten", "Open items"),
                ), default="closed_items", required=True, section=EXPORT),
                directory("import_dir", "Importverzeichnis", "Import folder"),
                directory("archive_dir", "Archivverzeichnis", "Archive folder",
                          help_de="Verarbeitete Dateien werden hierher verschoben, damit nichts "
                                  "doppelt gebucht wird.",
                          help_en="Processed files are moved here so nothing is booked twice."),
                schedule(default="daily", choices=("hourly", "daily")),
            ),
            actions=(action("sync", "sync", "Jetzt importieren", "Import now"),),
            keywords=("Ausziffern", "Offene Posten", "Geschlossene Posten", "Fibu", "Zahlung"),
        ),
        InterfaceType(
            key="bank_statement_import", source="designed",
            name_de="Kontoauszüge importieren (CAMT.053 / MT940)",
            name_en="Import bank statements (CAMT.053 / MT940)",
            help_de="Liest Kontoauszugsdateien aus einem Verzeichnis und ordnet Zahlungseingänge "
                    "offenen Rechnungen zu. Verarbeitete Dateien werden ins Archiv verschoben, "
                    "damit nichts doppelt gebucht wird.",
            help_en="Reads bank-statement files from a folder and matches incoming payments to "
                    "open invoices. Processed files are moved to the archive so nothing is booked "
                    "twice.",
            usages=BOTH, default_usages=SERVER, scopes=ANYWHERE,
            fields=(
                choice("format", "Format", "Format", (
                    opt("camt053", "CAMT.053 (XML)"), opt("mt940", "MT940"),
                ), default="camt053", required=True, section=EXPORT),
                text("iban", "IBAN des Kontos", "Account IBAN", required=True, max_length=34,
                     pattern=r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", section=EXPORT),
                directory("import_dir", "Importverzeichnis", "Import folder"),
                directory("archive_dir", "Archivverzeichnis", "Archive folder"),
                schedule(default="daily", choices=("hourly", "daily")),
            ),
            actions=(action("sync", "sync", "Jetzt importieren", "Import now"),),
            keywords=("CAMT", "MT940", "Bank", "Zahlungseingang"),
        ),
    ),
)

INVOICE_DATA_EXCHANGE = Group(
    key="invoice_data_exchange",
    name_de="Datenaustausch Rechnung", name_en="Invoice data exchange",
    help_de="Elektronischer Austausch von Rechnungen (E-Rechnung) mit Kunden, Kostenträgern und "
            "Lieferanten.",
    help_en="Electronic exchange of invoices (e-invoices) with customers, payers and suppliers.",
    interfaces=(
        InterfaceType(
            key="e_invoice_export", source="designed",
            name_de="E-Rechnung ausgeben (XRechnung / ZUGFeRD)",
            name_en="Issue e-invoices (XRechnung / ZUGFeRD)",
            help_de="Erzeugt Ausgangsrechnungen zusätzlich als strukturierte E-Rechnung und "
                    "verschickt sie per E-Mail (über den SMTP-Dienst) oder legt sie in einem "
                    "Verzeichnis ab. Für öffentliche Auftraggeber ist die Leitweg-ID am "
                    "Rechnungsempfänger nötig." + GENERIC_DE,
            help_en="Produces outgoing invoices also as structured e-invoices and sends them by "
                    "e-mail (through the SMTP service) or puts them into a folder. Public "
                    "authorities need the routing ID (Leitweg-ID) on the recipient." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=ANYWHERE,
            fields=(
                choice("format", "Format", "Format", (
                    opt("xrechnung_cii", "XRechnung (CII)"),
                    opt("xrechnung_ubl", "XRechnung (UBL)"),
                    opt("zugferd", "ZUGFeRD (PDF mit XML)", "ZUGFeRD (PDF with XML)"),
                ), default="zugferd", required=True, section=EXPORT),
                choice("delivery", "Ausgabe", "Output", (
                    opt("email", "Per E-Mail an den Rechnungsempfänger",
                        "By e-mail to the invoice recipient"),
                    opt("directory", "In ein Verzeichnis", "Into a folder"),
                ), default="email", required=True, section=EXPORT),
                directory("export_dir", "Exportverzeichnis", "Export folder",
                          shown_if=when("delivery", "directory")),
                flag("attach_pdf", "Lesbares PDF beilegen", "Attach a readable PDF",
                     default=True, section=OPTIONS),
            ),
            keywords=("XRechnung", "ZUGFeRD", "E-Rechnung", "e-invoice"),
        ),
        InterfaceType(
            key="incoming_invoices_imap", source="designed",
            name_de="Eingangsrechnungen per E-Mail (IMAP)",
            name_en="Incoming invoices by e-mail (IMAP)",
            help_de="Holt Lieferantenrechnungen aus einem IMAP-Postfach, ordnet sie über die "
                    "Absenderadresse dem Lieferanten zu und legt sie zur Prüfung ab." + GENERIC_DE,
            help_en="Fetches supplier invoices from an IMAP mailbox, matches them to the supplier "
                    "by sender address and files them for checking." + GENERIC_EN,
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(*imap_mailbox(done_folder="Rechnungen verarbeitet"),
                    schedule(default="hourly", choices=("hourly", "daily"))),
            actions=(TEST_CONNECTION, action("sync", "sync", "Jetzt abrufen", "Fetch now")),
            keywords=("IMAP", "Rechnung", "invoice"),
        ),
    ),
)
