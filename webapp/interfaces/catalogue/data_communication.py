"""Customer communication: notification (incl. SiNNO), e-mail, SMS, appointment reminders,
telephone, market research, customer cards.

From the manual: SiNNO-Chat and SiNNO-App (seed 004; the manual names no group for them, we put
them under Benachrichtigung), SMTP-Postausgangsserver, Elektronische Lieferscheine (IMAP),
Bestellung per E-Mail-Anhang, spryng-rest, SMSAPI, Kunden-Terminbenachrichtigung
(amparex-facts.md §3.3–3.6), Kundenkartenbestellung (seed 003; Vertrag and Schlüssel are
optional because they arrive after 'Informationen anfordern') and GfK (amparex-catalogue.md,
Marktforschung; the sub-fields of its SFTP credentials were cut off, so they are our (S)FTP
block). Designed by us: webhook notification, telephone, the customer survey.
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CHAIN, CLIENT, CONNECTION, CREDENTIALS, GENERIC_DE,
    GENERIC_EN, OPTIONS, ORDERING, SERVER, TEST_CONNECTION, WORKSTATION, action, base_url, choice,
    company, email, flag, imap_mailbox, keyed_https, mail_server, number, opt, schedule, secret,
    template, text, timeout, timeouts, transfer, url, when,
)
from .schema import Group, InterfaceType, TableSpec

SINNO_SERVER = "https://winpro.api.ipro.de/v1"  # seed 004: preset on setup

NOTIFICATION = Group(
    key="notification",
    name_de="Benachrichtigung", name_en="Notification",
    help_de="Benachrichtigungen an Mitarbeiter und Kunden, z. B. über die Kunden-App SiNNO "
            "oder an fremde Systeme.",
    help_en="Notifications to employees and customers, e.g. through the SiNNO customer app or "
            "to other systems.",
    interfaces=(
        InterfaceType(
            key="sinno_app", source="manual",
            name_de="SiNNO-App", name_en="SiNNO app",
            help_de="Verbindet die Filialkette mit der Kunden-App SiNNO. Server und ClientID "
                    "sind vorbelegt; die Firmen-Nr. teilt der Anbieter bei der Einrichtung mit. "
                    "Einmal anmelden, um die Verbindung einzurichten und zu prüfen. An der "
                    "Geschäftsstellenadresse der Filiale muss eine E-Mail-Adresse stehen. Kunden "
                    "werden später einzeln am Kunden freigeschaltet; Logo und Farben werden im "
                    "SiNNO-Dashboard gepflegt. Abmelden trennt alle Kunden von der App.",
            help_en="Connects the chain to the SiNNO customer app. Server and client ID are "
                    "preset; the provider gives the company number during setup. Log in once to "
                    "set up and check the connection. The branch's business-office address needs "
                    "an e-mail address. Customers are enabled one by one later, on the customer; "
                    "logo and colours are kept in the SiNNO dashboard. Logging out cuts every "
                    "customer off the app.",
            usages=BOTH, scopes=BRANCH_MANAGEMENT,
            fields=(
                url("server", "Server", "Server", default=SINNO_SERVER, required=True,
                    section=CREDENTIALS),
                text("client_id", "ClientID", "Client ID", default="winpro", required=True,
                     max_length=80, section=CREDENTIALS),
                text("company_number", "Firmen-Nr.", "Company number", required=True,
                     max_length=40, section=CREDENTIALS),
            ),
            # Anmelden tests the connection with the token it obtains (seed 004: "einmalig
            # eingerichtet und getestet"); Verbindung testen asks without logging in.
            actions=(
                TEST_CONNECTION,
                action("login", "login", "Anmelden", "Log in",
                       help_de="Holt mit ClientID und Firmen-Nr. eine Anmeldung bei SiNNO, "
                               "speichert sie verschlüsselt und prüft die Verbindung damit.",
                       help_en="Obtains a login from SiNNO with the client ID and company "
                               "number, stores it encrypted and checks the connection with it."),
                action("logout", "logout", "Abmelden", "Log out",
                       confirm_de="Nach dem Abmelden haben alle Kunden keinen Zugang mehr zu "
                                  "ihren Daten in der SiNNO-App. Wirklich abmelden?",
                       confirm_en="After logging out no customer can reach their data in the "
                                  "SiNNO app any more. Log out anyway?"),
            ),
            keywords=("SiNNO", "App", "iPRO", "Kunden-App", "customer app"),
        ),
        InterfaceType(
            key="sinno_chat", source="manual",
            name_de="SiNNO-Chat", name_en="SiNNO chat",
            help_de="Synchronisiert serverseitig die Chat-Nachrichten zwischen Kunden in der "
                    "SiNNO-App und den Mitarbeitern. Keine eigenen Einstellungen; es nutzt die "
                    "Verbindung des Dienstes 'SiNNO-App', der deshalb zuerst eingerichtet (und "
                    "eingeschaltet) sein muss. Jeder Mitarbeiter kann die "
                    "Benachrichtigung über ungelesene Chat-Nachrichten selbst ein- und "
                    "ausschalten (standardmäßig an).",
            help_en="Syncs chat messages between customers in the SiNNO app and employees on "
                    "the server. It has no settings of its own and uses the connection of the "
                    "'SiNNO app' service, which must therefore be set up (and enabled) first. "
                    "Each employee can switch the notification about unread "
                    "chat messages on or off (on by default).",
            usages=SERVER, scopes=BRANCH_MANAGEMENT, requires=("sinno_app",),
            prerequisites=("sinno_app",),
            no_fields_reason="seed 004: no further configuration needed once inserted",
            actions=(action("sync", "sync", "Jetzt synchronisieren", "Sync now"),),
            keywords=("SiNNO", "Chat"),
        ),
        InterfaceType(
            key="webhook_notification", source="designed",
            name_de="Benachrichtigung per Webhook (generisch)",
            name_en="Notification by webhook (generic)",
            help_de="Meldet ausgewählte Ereignisse als signierte JSON-Nachricht an eine Adresse, "
                    "z. B. an ein Chat- oder Ticketsystem der Zentrale.",
            help_en="Reports selected events as a signed JSON message to an address, e.g. a "
                    "chat or ticket system at head office.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT, multiple_per_scope=True,
            fields=(
                url("webhook_url", "Webhook-URL", "Webhook URL", required=True,
                    section=CONNECTION),
                secret("signing_secret", "Signaturschlüssel", "Signing secret",
                       section=CREDENTIALS,
                       help_de="Damit signiert die App jede Nachricht (HMAC-SHA256).",
                       help_en="The app signs every message with it (HMAC-SHA256)."),
                timeout(default=10, maximum=60),
                flag("on_order_error", "Bei Bestellfehlern", "On order errors", default=True,
                     section=OPTIONS),
                flag("on_job_failure", "Bei fehlgeschlagenen Hintergrundaufgaben",
                     "On failed background jobs", default=True, section=OPTIONS),
                flag("on_chat_message", "Bei neuen Chat-Nachrichten", "On new chat messages",
                     section=OPTIONS),
            ),
            actions=(TEST_CONNECTION, action("test", "send_test_message", "Testnachricht senden",
                                             "Send test message")),
            keywords=("Webhook", "HTTP"),
        ),
    ),
)

EMAIL = Group(
    key="email",
    name_de="E-Mail", name_en="E-mail",
    help_de="Versand und Empfang von E-Mails: Postausgang, elektronische Lieferscheine, "
            "Bestellungen per E-Mail-Anhang.",
    help_en="Sending and receiving e-mail: outgoing mail, electronic delivery notes, orders by "
            "e-mail attachment.",
    interfaces=(
        InterfaceType(
            key="smtp", source="manual",
            name_de="SMTP-Postausgangsserver", name_en="SMTP outgoing server",
            help_de="Server für alle ausgehenden E-Mails der App (Bestellungen, Belege, "
                    "Erinnerungen). Terminbenachrichtigungen, Online-Terminplanung, "
                    "Kartenbestellungen und andere Hintergrundaufgaben brauchen einen "
                    "serverseitigen Dienst. Ohne Benutzer wird ohne Anmeldung gesendet.",
            help_en="Server for all outgoing e-mail of the app (orders, receipts, reminders). "
                    "Appointment reminders, online scheduling, card orders and other background "
                    "work need a server-side service. Without a user, mail is sent without "
                    "authentication.",
            usages=BOTH, scopes=ANYWHERE,
            fields=(
                *mail_server(587, "starttls"),
                email("sender_address", "Absenderadresse", "Sender address", required=True,
                      section=OPTIONS),
                text("sender_name", "Absendername", "Sender name", max_length=120,
                     section=OPTIONS),
                email("reply_to", "Antwortadresse", "Reply-to address", section=OPTIONS,
                      help_de="Leer = Absenderadresse.", help_en="Empty = sender address."),
            ),
            actions=(TEST_CONNECTION,
                     action("test", "send_test_email", "Test-E-Mail senden", "Send test e-mail")),
            keywords=("SMTP", "Mail", "Postausgang", "outgoing"),
        ),
        InterfaceType(
            key="imap_delivery_notes", source="manual",
            name_de="Elektronische Lieferscheine (IMAP)",
            name_en="Electronic delivery notes (IMAP)",
            help_de="Holt elektronische Lieferscheine aus einem IMAP-Postfach, täglich oder "
                    "stündlich und jederzeit von Hand im Wareneingang. Am Lieferanten müssen "
                    "Importformat und Absenderadresse hinterlegt sein. Bei Importfehlern wird "
                    "der Administrator benachrichtigt oder die angegebene Mitarbeitergruppe. Der "
                    "automatische Abruf läuft als Hintergrundaufgabe und braucht dafür die "
                    "serverseitige Verwendung.",
            help_en="Fetches electronic delivery notes from an IMAP mailbox, daily or hourly and "
                    "any time by hand in goods receipt. The supplier needs its import format and "
                    "sender address. On import errors the administrator, or the given employee "
                    "group, is notified. The automatic fetch is background work and needs "
                    "server-side usage.",
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *imap_mailbox(),
                schedule(choices=("hourly", "daily")),
                text("error_recipients", "Bei Importfehlern benachrichtigen (Mitarbeitergruppe)",
                     "Notify on import errors (employee group)", max_length=120,
                     section=OPTIONS,
                     help_de="Leer = der Administrator.", help_en="Empty = the administrator."),
            ),
            actions=(TEST_CONNECTION, action("sync", "sync", "Jetzt abrufen", "Fetch now")),
            keywords=("IMAP", "Lieferschein", "delivery note", "Wareneingang"),
        ),
        InterfaceType(
            key="email_order", source="manual",
            name_de="Bestellung per E-Mail-Anhang", name_en="Order by e-mail attachment",
            help_de="Schickt Bestellungen als PDF-Anhang per E-Mail an einen Lieferanten. Der "
                    "Service gilt für eine Firma oder, ohne Firma, allgemein; ein Service für die "
                    "Firma hat Vorrang vor dem allgemeinen. Die Firma braucht die Bestellform "
                    "'Externe Schnittstelle'. An den Betreff werden Kundennummer und "
                    "Bestellnummer angehängt.",
            help_en="Sends orders as a PDF attachment by e-mail to a supplier. The service "
                    "serves one company or, without a company, all; a company's own service "
                    "wins over the generic one. The company needs order form 'external "
                    "interface'. Customer number and order number are appended to the subject.",
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            multiple_per_scope=True, unique_by="company", requires=("smtp",),
            fields=(
                company("company", "Firma", "Company", section=ORDERING,
                        help_de="Leer = allgemeiner Service für alle Firmen ohne eigenen.",
                        help_en="Empty = generic service for every company without its own."),
                email("recipient", "E-Mail", "E-mail", section=ORDERING,
                      help_de="Leer = die Bestell-E-Mail-Adresse der Firma.",
                      help_en="Empty = the company's order e-mail address."),
                text("subject", "Betreff", "Subject", required=True, max_length=200,
                     default="Bestellung", section=ORDERING),
                template("order_template", "Dokumentvorlage", "Document template",
                         required=True, section=ORDERING),
            ),
            keywords=("E-Mail", "PDF", "Bestellung", "order"),
        ),
    ),
)

SMS = Group(
    key="sms",
    name_de="SMS", name_en="SMS",
    help_de="Versand von SMS an Kunden, z. B. Terminerinnerungen und Abholbenachrichtigungen.",
    help_en="Sending SMS to customers, e.g. appointment reminders and pick-up notices.",
    interfaces=(
        InterfaceType(
            key="spryng_rest", source="manual",
            name_de="spryng-rest", name_en="spryng-rest",
            help_de="SMS-Versand über die REST-API von Spryng (Nachfolger von spryng-http). Den "
                    "REST-API-Schlüssel im Spryng-Portal erzeugen und sofort eintragen: er lässt "
                    "sich dort später nicht mehr anzeigen. Für Terminerinnerungen serverseitig "
                    "verwenden.",
            help_en="Sends SMS through Spryng's REST API (successor of spryng-http). Create the "
                    "REST API key in the Spryng portal and enter it at once: it cannot be shown "
                    "there again later. Use it server-side for appointment reminders.",
            usages=BOTH, scopes=BRANCH_MANAGEMENT,
            fields=(
                *keyed_https(),
                text("country_code", "Landescode", "Country code", default="+49", required=True,
                     max_length=5, pattern=r"\+\d{1,4}", section=OPTIONS,
                     help_de="Wird Mobilnummern ohne Landesvorwahl vorangestellt.",
                     help_en="Put in front of mobile numbers without a country code."),
                text("reference", "Referenz", "Reference", max_length=100, section=OPTIONS,
                     help_de="Optional, mit Platzhaltern ${…}; erscheint je Nachricht im "
                             "Spryng-Portal. Leer = keine Referenz.",
                     help_en="Optional, with placeholders ${…}; shown per message in the "
                             "Spryng portal. Empty = no reference."),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Spryng", "SMS", "spryng-http"),  # the predecessor it replaced
        ),
        InterfaceType(
            key="smsapi", source="manual",
            name_de="SMSAPI (LINK Mobility)", name_en="SMSAPI (LINK Mobility)",
            help_de="SMS-Versand über SMSAPI von LINK Mobility. Vor dem ersten Speichern wählen, "
                    "ob mit Benutzername und Passwort oder mit einem Schlüsseltoken angemeldet "
                    "wird; danach ist die Wahl fest (zum Wechseln löschen und neu anlegen). Bei "
                    "serverseitiger und clientseitiger Verwendung zugleich gilt der Service für "
                    "alle Filialen. Terminerinnerungen gehen nur für Terminarten mit "
                    "automatischer Benachrichtigung.",
            help_en="Sends SMS through SMSAPI by LINK Mobility. Before the first save choose "
                    "whether to authenticate with username and password or with a key token; "
                    "the choice is then fixed (delete and recreate to change it). Used both "
                    "server- and client-side, the service covers every branch. Reminders go "
                    "only for appointment types flagged for automatic notification.",
            usages=BOTH, scopes=BRANCH_MANAGEMENT, fixed_after_save=("auth_mode",),
            fields=(
                base_url(),
                choice("auth_mode", "Anmeldung über", "Authenticate with", (
                    opt("token", "Schlüsseltoken", "Key token"),
                    opt("user_password", "Benutzername und Passwort", "Username and password"),
                ), default="token", required=True, section=CREDENTIALS),
                secret("token", "Schlüsseltoken", "Key token", required=True,
                       section=CREDENTIALS, shown_if=when("auth_mode", "token")),
                text("username", "Benutzername", "Username", required=True, max_length=120,
                     section=CREDENTIALS, shown_if=when("auth_mode", "user_password")),
                secret("password", "Passwort", "Password", required=True, section=CREDENTIALS,
                       shown_if=when("auth_mode", "user_password")),
                *timeouts(),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("LINK Mobility", "SMS"),
        ),
    ),
)

APPOINTMENT_REMINDERS = Group(
    key="appointment_reminders",
    name_de="Kunden-Terminbenachrichtigung", name_en="Customer appointment reminders",
    help_de="Automatische Erinnerung der Kunden an ihre Termine.",
    help_en="Automatic reminders to customers about their appointments.",
    interfaces=(
        InterfaceType(
            key="appointment_reminders", source="manual",
            name_de="Kunden-Terminbenachrichtigung", name_en="Customer appointment reminders",
            help_de="Läuft stündlich auf dem Server und erinnert Kunden per E-Mail, SMS, Brief "
                    "oder Telefonliste an kommende Termine, nie am selben Tag. Ausgelassen werden "
                    "Terminarten ohne 'Erlaubt für automatische Benachrichtigungen', "
                    "Gruppentermine sowie stornierte und geplatzte Termine. Gilt immer für die "
                    "ganze Filialkette; Filialen werden über den Filialkürzel Filter ausgenommen. "
                    "SMTP- und SMS-Dienst müssen serverseitig eingerichtet sein; der Kunde "
                    "braucht eine Mobilnummer oder E-Mail-Adresse und einen bevorzugten "
                    "Benachrichtigungsweg.",
            help_en="Runs hourly on the server and reminds customers of coming appointments by "
                    "e-mail, SMS, letter or call list, never on the same day. Appointment types "
                    "without 'allowed for automatic notification', group appointments and "
                    "cancelled or missed appointments are skipped. Always covers the whole "
                    "chain; branches are excluded with the branch-code filter. The SMTP and SMS "
                    "services must be server-side; the customer needs a mobile number or e-mail "
                    "address and a preferred channel.",
            usages=SERVER, scopes=CHAIN, requires=("smtp",),
            fields=(
                template("contact_template", "Kontaktvorlage", "Contact template",
                         required=True, section=OPTIONS,
                         help_de="Für SMS in mehreren Sprachen eine Vorlage vom Typ "
                                 "'Termin-Erinnerung' im Textformat.",
                         help_en="For SMS in several languages, a template of type "
                                 "'Termin-Erinnerung' in plain-text format."),
                number("days_before", "Tage vor dem Termin", "Days before the appointment",
                       default=1, min_value=1, max_value=14, required=True, section=OPTIONS),
                text("branch_code_filter", "Filialkürzel Filter", "Branch-code filter",
                     max_length=255, section=OPTIONS,
                     help_de="Kürzel der Filialen, die keine Erinnerungen verschicken, durch "
                             "Komma getrennt. Leer = alle Filialen.",
                     help_en="Short codes of the branches that send no reminders, separated by "
                             "commas. Empty = every branch."),
            ),
            keywords=("Termin", "Erinnerung", "reminder", "appointment"),
        ),
    ),
)


def _dialling():
    return (
        text("outside_line_prefix", "Amtsholung", "Outside-line prefix", max_length=4,
             pattern=r"\d{0,4}", section=OPTIONS,
             help_de="Ziffer(n) vor externen Nummern, z. B. 0.",
             help_en="Digit(s) dialled before external numbers, e.g. 0."),
        text("country_code", "Eigene Landesvorwahl", "Own country code", default="+49",
             max_length=5, pattern=r"\+\d{1,4}", section=OPTIONS),
    )


TELEPHONE = Group(
    key="telephone",
    name_de="Telefon", name_en="Telephone",
    help_de="Wählen aus der App und Erkennen von Anrufern über die Telefonanlage.",
    help_en="Dialling from the app and recognising callers through the phone system.",
    interfaces=(
        InterfaceType(
            key="phone_dial_url", source="designed",
            name_de="Telefonie per Wähl-URL (SIP/CTI)", name_en="Telephony by dial URL (SIP/CTI)",
            help_de="Ein Klick auf eine Rufnummer öffnet die Wähl-URL; das Softphone oder die "
                    "CTI-Software am Rechner wählt dann. {nummer} wird durch die bereinigte "
                    "Rufnummer ersetzt." + GENERIC_DE,
            help_en="Clicking a phone number opens the dial URL; the softphone or CTI software "
                    "on the computer then dials. {nummer} is replaced by the cleaned-up number."
                    + GENERIC_EN,
            usages=CLIENT, scopes=ANYWHERE,
            fields=(
                text("dial_url", "Wähl-URL", "Dial URL", default="tel:{nummer}", required=True,
                     max_length=500, pattern=r"\S*\{nummer\}\S*", section=CONNECTION),
                *_dialling(),
            ),
            keywords=("SIP", "CTI", "tel:", "Softphone", "Anruf"),
        ),
        InterfaceType(
            key="phone_tapi", source="designed",
            name_de="TAPI-Telefonie (Windows)", name_en="TAPI telephony (Windows)",
            help_de="Wählt über eine TAPI-Leitung des Windows-Rechners und kann bei eingehenden "
                    "Anrufen den passenden Kunden öffnen. Der TAPI-Treiber der Telefonanlage "
                    "muss auf dem Rechner installiert sein." + GENERIC_DE,
            help_en="Dials through a TAPI line of the Windows computer and can open the matching "
                    "customer on incoming calls. The phone system's TAPI driver must be "
                    "installed on the computer." + GENERIC_EN,
            usages=CLIENT, scopes=WORKSTATION,
            fields=(
                text("line_name", "TAPI-Leitung", "TAPI line", required=True, max_length=120,
                     section=CONNECTION),
                *_dialling(),
                flag("caller_lookup", "Anrufer erkennen und Kunden öffnen",
                     "Recognise callers and open the customer", default=True, section=OPTIONS),
            ),
            keywords=("TAPI", "CTI", "Anruf"),
        ),
    ),
)

MARKET_RESEARCH = Group(
    key="market_research",
    name_de="Marktforschung", name_en="Market research",
    help_de="Umsatzdaten für Marktforschungsinstitute wie die GfK und Kundenbefragungen nach "
            "Kauf oder Versorgung.",
    help_en="Sales data for market research institutes such as GfK, and customer surveys after "
            "a purchase or fitting.",
    interfaces=(
        InterfaceType(
            key="gfk_market_research", source="manual",
            name_de="GfK (Gesellschaft für Konsumforschung)",
            name_en="GfK (Gesellschaft für Konsumforschung)",
            help_de="Übermittelt die Umsatzdaten der Augenoptik oder Hörakustik an die GfK. Der "
                    "Dienst läuft serverseitig einmal je Zeiteinheit des gewählten Zeitraums "
                    "(Woche, Monat oder Jahr), erzeugt für diesen Zeitraum eine CSV-Datei und "
                    "lädt sie per SFTP zur GfK hoch; üblich ist einmal im Monat der Vormonat. "
                    "Benutzername ist die Geschäftsnummer, die die GfK vergibt; die "
                    "SFTP-Zugangsdaten kommen ebenfalls von der GfK. Je Anwendungstyp ein "
                    "Service.",
            help_en="Sends the sales data of optics or hearing acoustics to GfK. The service "
                    "runs server-side once per unit of the chosen period (week, month or year), "
                    "builds a CSV file for that period and uploads it to GfK by SFTP; usually "
                    "the previous month, once a month. The username is the business number GfK "
                    "issues; GfK also provides the SFTP credentials. One service per "
                    "application type.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT, multiple_per_scope=True,
            unique_by="application_type",
            fields=(
                *transfer(username_de="Benutzername (Geschäftsnummer)",
                          username_en="Username (business number)"),
                choice("period", "Anzahl (Zeitraum)", "Period", (
                    opt("previous_week", "Vorwoche", "Previous week"),
                    opt("previous_month", "Vormonat", "Previous month"),
                    opt("previous_year", "Vorjahr", "Previous year"),
                    opt("current_week", "Aktuelle Woche", "Current week"),
                    opt("current_month", "Aktueller Monat", "Current month"),
                    opt("current_year", "Aktuelles Jahr", "Current year"),
                ), default="previous_month", required=True, section=OPTIONS,
                    help_de="Welcher Zeitraum gesendet wird; er bestimmt auch, wie oft der "
                            "Dienst läuft (je Woche, Monat oder Jahr).",
                    help_en="Which period is sent; it also decides how often the service runs "
                            "(per week, month or year)."),
                choice("application_type", "Anwendungstyp", "Application type", (
                    opt("acoustics", "Hörakustik", "Hearing acoustics"),
                    opt("optics", "Augenoptik", "Optics"),
                ), default="optics", required=True, section=OPTIONS,
                    help_de="Für welchen Anwendungstyp die Umsatzdaten gesammelt werden.",
                    help_en="The application type whose sales data are collected."),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("GfK", "Marktforschung", "Umsatz", "SFTP", "CSV"),
        ),
        InterfaceType(
            key="customer_survey_https", source="designed",
            name_de="Kundenbefragung (generisch, HTTPS)",
            name_en="Customer survey (generic, HTTPS)",
            help_de="Meldet abgeschlossene Verkäufe an einen Befragungsdienst, der den Kunden "
                    "nach der eingestellten Zahl von Tagen zu einer Umfrage einlädt. Nur Kunden "
                    "mit Einwilligung werden übermittelt, sofern die Option gesetzt ist.",
            help_en="Reports completed sales to a survey service that invites the customer to a "
                    "survey after the set number of days. Only customers who consented are "
                    "sent while the option is set.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *keyed_https(text("survey_id", "Umfrage-ID", "Survey ID", required=True,
                                  max_length=80, section=OPTIONS)),
                number("days_after_sale", "Tage nach dem Verkauf", "Days after the sale",
                       default=7, min_value=1, max_value=60, section=OPTIONS),
                flag("only_with_consent", "Nur Kunden mit Einwilligung",
                     "Only customers who consented", default=True, section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Umfrage", "survey", "Zufriedenheit"),
        ),
    ),
)

CARD_TEMPLATES = TableSpec(
    key="templates", label_de="Vorlagen zur Kartenbestellung", label_en="Card order templates",
    min_rows=1,
    help_de="Mindestens eine Vorlage ist nötig; weitere für mehrere Kartenarten (z. B. BASIS, "
            "GOLD, PLATIN).",
    help_en="At least one template is needed; add more for several card kinds (e.g. BASIC, "
            "GOLD, PLATINUM).",
    fields=(
        text("name", "Name", "Name", required=True, max_length=80,
             help_de="Wird beim Bestellen im Vorgangsschritt zur Auswahl angezeigt.",
             help_en="Offered for selection in the process step when ordering."),
        choice("ship_to", "Karte verschicken an", "Send card to", (
            opt("customer", "Kunde", "Customer"),
            opt("ordering_branch", "Bestellende Filiale", "Ordering branch"),
            opt("customer_branch", "Filiale des Kunden", "Customer's branch"),
        ), default="ordering_branch", required=True),
        choice("shipping_interval", "Versandintervall", "Shipping interval", (
            opt("daily", "täglich", "daily"),
            opt("weekly", "wöchentlich", "weekly"),
            opt("monthly", "monatlich", "monthly"),
        ), default="weekly", required=True),
        text("comment", "Kommentar", "Comment", max_length=500,
             help_de="Wird mit jeder Bestellung dieser Karte übermittelt.",
             help_en="Sent with every order of this card."),
        template("card_template", "Dokumentvorlage", "Document template", required=True,
                 document_kind="card_layout"),
        template("cover_letter", "Anschreiben", "Cover letter", required=True,
                 document_kind="cover_letter",
                 shown_if=when("ship_to", "customer"),
                 help_de="Liegt der Karte bei, wenn sie direkt an den Kunden geht.",
                 help_en="Enclosed when the card goes directly to the customer."),
        flag("validity_required", "Gültigkeit Pflicht", "Validity required",
             help_de="Beim Bestellen muss ein Gültigkeitsdatum angegeben werden.",
             help_en="An expiry date must be given when ordering."),
        choice("card_type", "Kartentyp", "Card type", (
            opt("chip", "mit Chip", "with chip"),
            opt("nfc_rfid", "mit implementiertem Chip (NFC/RFID)",
                "with embedded chip (NFC/RFID)"),
        ), default="chip", required=True),
        choice("card_kind", "Art", "Kind", (
            opt("customer_card", "Kundenkarte", "Customer card"),
            opt("employee_card", "Mitarbeiterkarte", "Employee card"),
        ), default="customer_card", required=True),
        flag("gift_box", "Geschenkbox", "Gift box",
             help_de="Kostenpflichtig.", help_en="At extra cost."),
        flag("roller_clip", "Rollerclip", "Roller clip",
             shown_if=when("card_kind", "employee_card"),
             help_de="Halterung für Mitarbeiterkarten, kostenpflichtig.",
             help_en="Holder for employee cards, at extra cost."),
    ),
)

CUSTOMER_CARDS = Group(
    key="customer_cards",
    name_de="Kundenkarten", name_en="Customer cards",
    help_de="Bestellung von Kunden- und Mitarbeiterkarten für Kundenbindungsprogramme.",
    help_en="Ordering customer and employee cards for loyalty programmes.",
    interfaces=(
        InterfaceType(
            key="card_order", source="manual",
            name_de="Kundenkartenbestellung", name_en="Customer card ordering",
            help_de="Bestellt Kunden- und Mitarbeiterkarten aus einem Vorgang oder "
                    "Vorgangsschritt beim Kartenanbieter (AMPAREX GmbH). Bestellen lässt sich "
                    "mit einem gültigen Kartenvertrag und dem zugehörigen Schlüssel; beide "
                    "erhalten Sie über 'Informationen anfordern', daher kann der Service vorher "
                    "ohne sie gespeichert werden. Außerdem ist ein SMTP-Dienst nötig. Ohne "
                    "Filiale gelten die Einstellungen für jede bestellende Filiale; mit Rechner "
                    "bestellt nur dieser Rechner.",
            help_en="Orders customer and employee cards from a process or process step from the "
                    "card provider (AMPAREX GmbH). Ordering needs a valid card contract and its "
                    "key; both arrive through 'request information', so the service can be "
                    "saved without them before. An SMTP service is needed as well. Without a "
                    "branch the settings apply to every ordering branch; with a workstation only "
                    "that computer orders.",
            usages=CLIENT, scopes=ANYWHERE, requires=("smtp",),
            fields=(
                url("base_url", "Server-URL", "Server URL", section=CONNECTION,
                    help_de="Adresse des Kartenanbieters, wie er sie mitteilt (Protokoll: "
                            "docs/partners/cards.md). Nötig für 'Informationen anfordern' "
                            "und zum Bestellen.",
                    help_en="Address of the card provider as it tells you (protocol: "
                            "docs/partners/cards.md). Needed for 'request information' and "
                            "for ordering."),
                text("contract_number", "Kartenvertrag", "Card contract", max_length=40,
                     section=CREDENTIALS,
                     help_de="Kommt nach 'Informationen anfordern'; bis dahin leer lassen.",
                     help_en="Arrives after 'request information'; leave empty until then."),
                secret("contract_key", "Schlüssel", "Key", section=CREDENTIALS,
                       help_de="Kommt mit dem Kartenvertrag; bis dahin leer lassen.",
                       help_en="Arrives with the card contract; leave empty until then."),
            ),
            tables=(CARD_TEMPLATES,),
            actions=(TEST_CONNECTION,
                     action("request_info", "request_info", "Informationen anfordern",
                            "Request information",
                            help_de="Bittet den Kartenanbieter um Kontaktaufnahme, Vertrag und "
                                    "Schlüssel.",
                            help_en="Asks the card provider to get in touch and issue contract "
                                    "and key."),),
            keywords=("Kundenkarte", "Mitarbeiterkarte", "NFC", "RFID", "loyalty card"),
        ),
    ),
)
