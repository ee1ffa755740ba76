"""Builders for the catalogue data: one-line field constructors, the shared form sections, and
the blocks of fields that many interfaces repeat (partner login over HTTPS, (S)FTP transfer,
mail server, command line, serial or network device, ear-mould company assignment).

A block is a function returning a tuple of FieldSpec, so a data module writes
``fields=(*partner_https(), flag(...))`` instead of copying the same five specs again.
"""
from .schema import ActionSpec, Condition, FieldSpec, Section

# --- sections -------------------------------------------------------------------------------
CONNECTION = Section("connection", "Verbindungsdetails", "Connection details")
CREDENTIALS = Section("credentials", "Zugangsdaten", "Credentials")
ASSIGNMENT = Section("assignment", "Firmenbelegung", "Company assignment")
ORDERING = Section("ordering", "Bestellung", "Ordering")
OPTIONS = Section("options", "Optionen", "Options")
DEVICE = Section("device", "Gerät", "Device")
EXPORT = Section("export", "Datenaustausch", "Data exchange")

# --- usages and scopes ----------------------------------------------------------------------
SERVER = ("server",)
CLIENT = ("client",)
BOTH = ("server", "client")
CHAIN = ("chain",)
BRANCH_MANAGEMENT = ("chain", "branch")  # Filialverwaltung only, never a workstation
ANYWHERE = ("chain", "branch", "workstation")
LOCAL = ("branch", "workstation")
WORKSTATION = ("workstation",)


# --- single fields --------------------------------------------------------------------------
def spec(kind, key, label_de, label_en, **options):
    return FieldSpec(key=key, kind=kind, label_de=label_de, label_en=label_en, **options)


def text(key, label_de, label_en, **options):
    return spec("text", key, label_de, label_en, **options)


def number(key, label_de, label_en, **options):
    return spec("number", key, label_de, label_en, **options)


def flag(key, label_de, label_en, default=False, **options):
    return spec("bool", key, label_de, label_en, default=default, **options)


def choice(key, label_de, label_en, choices, **options):
    return spec("choice", key, label_de, label_en, choices=tuple(choices), **options)


def date(key, label_de, label_en, **options):
    return spec("date", key, label_de, label_en, **options)


def path(key, label_de, label_en, **options):
    return spec("path", key, label_de, label_en, **options)


def url(key, label_de, label_en, **options):
    return spec("url", key, label_de, label_en, **options)


def program(key, label_de, label_en, **options):
    """One of the programs the operator allows (ALLOWED_PROGRAMS), chosen from a list."""
    return spec("program", key, label_de, label_en, **options)


def email(key, label_de, label_en, **options):
    return spec("email", key, label_de, label_en, **options)


def secret(key, label_de, label_en, **options):
    return spec("secret", key, label_de, label_en, **options)


def company(key, label_de, label_en, **options):
    return spec("company", key, label_de, label_en, **options)


def supplier(key="supplier", label_de="Lieferant", label_en="Supplier", **options):
    return spec("supplier", key, label_de, label_en, **options)


def template(key, label_de, label_en, **options):
    return spec("document_template", key, label_de, label_en, **options)


def opt(value, label_de, label_en=None):
    """One choice: (value, German label, English label — the German one when they agree)."""
    return (value, label_de, label_en or label_de)


def when(field_key, *values):
    return Condition(field_key, tuple(values))


def port(key="port", default=None, section=CONNECTION, **options):
    return number(key, "Port", "Port", default=default, min_value=1, max_value=65535,
                  section=section, **options)


def host():
    return spec("host", "host", "Server", "Server", required=True, max_length=255,
                section=CONNECTION)


def timeout(default=30, maximum=600):
    return number("timeout", "Zeitlimit (Sekunden)", "Timeout (seconds)", default=default,
                  min_value=1, max_value=maximum, section=CONNECTION)


# --- actions --------------------------------------------------------------------------------
def action(kind, key, label_de, label_en, **options):
    return ActionSpec(key=key, kind=kind, label_de=label_de, label_en=label_en, **options)


TEST_CONNECTION = action(
    "test", "test", "Verbindung testen", "Test connection",
    help_de="Baut mit den Werten im Formular – gespeichert oder nicht – eine Verbindung auf und "
            "meldet Schritt für Schritt das Ergebnis: Namensauflösung, Verbindungsaufbau, "
            "Verschlüsselung, Anmeldung, Testabfrage. Ein leeres Passwortfeld heißt: das "
            "gespeicherte. Es wird nichts bestellt oder versendet.",
    help_en="Connects with the values in the form, saved or not, and reports the result step "
            "by step: host name, connection, encryption, login, test request. An empty "
            "password field means the stored one. Nothing is ordered or sent.",
)
# The same button for a device at a workstation: the workstation's client checks the device;
# the server sends nothing (it cannot reach a COM port, a terminal in the shop or a USB pad).
TEST_AT_WORKSTATION = action(
    "test", "test", "Verbindung testen", "Test connection", runs_at="workstation",
    help_de="Der Test läuft am Arbeitsplatz, an dem das Gerät angeschlossen ist; vom Server "
            "wird nichts gesendet.",
    help_en="The test runs at the workstation the device is attached to; nothing is sent "
            "from the server.",
)

# --- help texts -----------------------------------------------------------------------------
# Appended to the help of a type that exists only because the manual names no product for its
# group (tests/interfaces/test_catalogue.py checks every such type says so).
GENERIC_DE = " Allgemeine Schnittstelle: an kein bestimmtes Produkt gebunden."
GENERIC_EN = " Generic interface: not tied to a particular product."


# --- blocks ---------------------------------------------------------------------------------
def timeouts(connect=10, read=30):
    """Connect and read timeouts of an HTTP partner; the adapter never waits longer."""
    return (
        number("connect_timeout", "Verbindungsaufbau (Sekunden)", "Connect timeout (seconds)",
               default=connect, min_value=1, max_value=120, section=CONNECTION),
        number("read_timeout", "Antwortzeit (Sekunden)", "Read timeout (seconds)",
               default=read, min_value=1, max_value=600, section=CONNECTION),
    )


def base_url():
    return url("base_url", "Server-URL", "Server URL", required=True, section=CONNECTION,
               help_de="Adresse des Partnerdienstes, wie vom Partner mitgeteilt.",
               help_en="Address of the partner service as given by the partner.")


def login(username_de="Benutzername", username_en="Username", api_key=False, required=True,
          password_label=("Passwort", "Password")):
    """Username and password, optionally an API key; all but the username are secrets."""
    fields = (
        text("username", username_de, username_en, required=required, max_length=120,
             section=CREDENTIALS),
        secret("password", *password_label, required=required, section=CREDENTIALS),
    )
    if api_key:
        fields += (secret("api_key", "API-Schlüssel", "API key", section=CREDENTIALS,
                          help_de="Nur ausfüllen, wenn der Partner einen Schlüssel vergeben hat.",
                          help_en="Fill in only if the partner issued a key."),)
    return fields


def partner_https(api_key=True, username_de="Benutzername / Kundenlogin",
                  username_en="Username / customer login", password_label=("Passwort", "Password")):
    """Base URL, login and timeouts of a partner reached over HTTPS."""
    return (base_url(),
            *login(username_de, username_en, api_key=api_key, password_label=password_label),
            *timeouts())


def keyed_https(*identity, read=30):
    """Base URL, the account's identifying fields, a required API key and timeouts: the shape of
    a web API that authenticates with a key rather than a user login."""
    return (base_url(), *identity,
            secret("api_key", "API-Schlüssel", "API key", required=True, section=CREDENTIALS),
            *timeouts(read=read))


def transfer(default_protocol="sftp", remote_dir=True, username_de="Benutzername",
             username_en="Username"):
    """(S)FTP connection: protocol, host, port, login and remote folder."""
    fields = (
        choice("protocol", "Protokoll", "Protocol", (
            opt("sftp", "SFTP"),
            opt("ftps", "FTPS (FTP über TLS)", "FTPS (FTP over TLS)"),
            opt("ftp", "FTP (unverschlüsselt)", "FTP (unencrypted)"),
        ), default=default_protocol, required=True, section=CONNECTION),
        host(),
        port(help_de="Leer = Standardport des Protokolls (SFTP 22, FTP/FTPS 21).",
             help_en="Empty = the protocol's standard port (SFTP 22, FTP/FTPS 21).",
             admin_only=True),
        *login(username_de, username_en),
    )
    if remote_dir:
        fields += (text("remote_dir", "Verzeichnis auf dem Server", "Folder on the server",
                        default="/", max_length=255, section=CONNECTION),)
    return fields


MAIL_ENCRYPTION = (
    opt("starttls", "STARTTLS"),
    opt("tls", "SSL/TLS"),
    opt("none", "Keine (nur im internen Netz)", "None (internal network only)"),
)


def mail_server(default_port, default_encryption, username_de="Benutzer", username_en="User",
                login_required=False):
    """Host, port, encryption and login of an SMTP or IMAP server."""
    return (
        host(),
        port(default=default_port, required=True, admin_only=True),
        choice("encryption", "Verschlüsselung", "Encryption", MAIL_ENCRYPTION,
               default=default_encryption, required=True, section=CONNECTION),
        *login(username_de, username_en, required=login_required),
        timeout(default=30, maximum=300),
    )


def imap_mailbox(default_folder="INBOX", done_folder="Verarbeitet"):
    """An IMAP mailbox read by a job: server block, folder to read and where processed mail
    goes (so nothing is read twice)."""
    return (
        *mail_server(993, "tls", "Benutzer (meist die E-Mail-Adresse)",
                     "User (usually the e-mail address)", login_required=True),
        text("folder", "Ordner", "Folder", default=default_folder, required=True,
             max_length=120, section=CONNECTION),
        text("done_folder", "Ordner für verarbeitete Nachrichten", "Folder for processed mail",
             default=done_folder, required=True, max_length=120, section=CONNECTION),
    )


ORDER_PLACEHOLDERS = "{auftragsdatei}, {bestellnummer}, {kundennummer}, {filiale}"
PROGRAM_HELP_DE = ("Eines der Programme, die der Betreiber in der Instanzkonfiguration freigibt "
                   "(ALLOWED_PROGRAMS). Es läuft direkt, nie über eine Shell.")
PROGRAM_HELP_EN = ("One of the programs the operator allows in the instance configuration "
                   "(ALLOWED_PROGRAMS). It runs directly, never through a shell.")


def command_line(default_arguments="", output=True, placeholders=ORDER_PLACEHOLDERS):
    """Program, arguments with placeholders, working folder, timeout and output format. The
    program is one the operator allows; it and its command line are for administrators."""
    fields = (
        program("program", "Programm", "Program", required=True, section=CONNECTION,
                help_de=PROGRAM_HELP_DE, help_en=PROGRAM_HELP_EN),
        text("arguments", "Argumente", "Arguments", default=default_arguments,
             max_length=1000, section=CONNECTION, admin_only=True,
             help_de=f"Platzhalter werden beim Aufruf ersetzt: {placeholders}.",
             help_en=f"Placeholders are replaced at call time: {placeholders}."),
        path("working_dir", "Arbeitsverzeichnis", "Working folder", section=CONNECTION,
             admin_only=True),
        timeout(default=60, maximum=3600),
    )
    if output:
        fields += (choice("output_format", "Ausgabeformat", "Output format", (
            opt("json", "JSON"), opt("xml", "XML"),
        ), default="json", required=True, section=CONNECTION,
            help_de="Format, in dem das Programm sein Ergebnis (z. B. die externe "
                    "Bestellnummer) auf die Standardausgabe schreibt.",
            help_en="Format in which the program writes its result (e.g. the external order "
                    "number) to standard output."),)
    return fields


BAUD_RATES = tuple(opt(rate, rate) for rate in ("9600", "19200", "38400", "57600", "115200"))


def serial_port(default_port="COM1", default_baud="9600", shown_if=None):
    return (
        text("serial_port", "Schnittstelle (COM-Port)", "Serial port (COM port)",
             default=default_port, required=True, max_length=40, section=DEVICE,
             shown_if=shown_if, help_de="z. B. COM3 unter Windows oder /dev/ttyUSB0 unter Linux.",
             help_en="e.g. COM3 on Windows or /dev/ttyUSB0 on Linux."),
        choice("baud_rate", "Baudrate", "Baud rate", BAUD_RATES, default=default_baud,
               required=True, section=DEVICE, shown_if=shown_if),
    )


def network_device(default_port=None, shown_if=None):
    return (
        text("ip_address", "IP-Adresse", "IP address", required=True, max_length=255,
             section=DEVICE, shown_if=shown_if),
        port("tcp_port", default=default_port, required=True, section=DEVICE, shown_if=shown_if),
    )


def serial_or_network(default_connection="serial", default_tcp_port=9100):
    """A device reached either over a serial/USB port or over the network."""
    return (
        choice("connection", "Anschluss", "Connection", (
            opt("serial", "Seriell / USB (COM-Port)", "Serial / USB (COM port)"),
            opt("network", "Netzwerk (TCP/IP)", "Network (TCP/IP)"),
        ), default=default_connection, required=True, section=DEVICE),
        *serial_port(shown_if=when("connection", "serial")),
        *network_device(default_tcp_port, shown_if=when("connection", "network")),
    )


def ear_mould_assignment():
    """Supplier and company assignment (Firmenbelegung) that every ear-mould service needs."""
    return (
        company("companies", "Firmen", "Companies", required=True, multiple=True,
                section=ASSIGNMENT,
                help_de="Firmen (Labore), für die dieser Service bestellt. Wählt man im "
                        "Vorgangsschritt 'Bestellservice' eine dieser Firmen, wird dieser "
                        "Service automatisch verwendet.",
                help_en="Companies (labs) this service orders for. Choosing one of them at the "
                        "process step 'Bestellservice' selects this service automatically."),
        supplier(section=ASSIGNMENT,
                 help_de="Optional. Leer = der Anwender wählt den Lieferanten bei der Bestellung.",
                 help_en="Optional. Empty = the user picks the supplier when ordering."),
    )


def directory(key="directory", label_de="Verzeichnis", label_en="Folder", required=True,
              section=EXPORT, **options):
    return path(key, label_de, label_en, required=required, section=section, **options)


def schedule(key="interval", default="daily", choices=("hourly", "daily", "weekly")):
    labels = {
        "every_15_minutes": ("alle 15 Minuten", "every 15 minutes"),
        "hourly": ("stündlich", "hourly"),
        "daily": ("täglich", "daily"),
        "weekly": ("wöchentlich", "weekly"),
        "monthly": ("monatlich", "monthly"),
    }
    return choice(key, "Ausführung", "Run", tuple(opt(c, *labels[c]) for c in choices),
                  default=default, required=True, section=OPTIONS)
