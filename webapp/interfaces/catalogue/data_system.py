"""Back office and system: back office, AMiRO data migration, document management, geo
services, LDAP, support providers, system, currency converter, test interfaces.

Designed by us, except the CalDAV service account (amparex-facts.md §12) and the Einfacher
Währungsumrechner (amparex-catalogue.md; its currency list is cut off after NOK, and its usage
was not found: we allow client-side, as it converts in the till): seed 000 names these groups
but the manual excerpts describe no product or field for them (amparex-facts.md lists LDAP and
Testschnittstellen as NOT FOUND). Names are generic on purpose; no vendor is implied.
"""
from .fields import (
    ANYWHERE, BOTH, BRANCH_MANAGEMENT, CHAIN, CLIENT, CONNECTION, CREDENTIALS, EXPORT, GENERIC_DE,
    GENERIC_EN, OPTIONS, SERVER, TEST_CONNECTION, action, choice, date, directory, email,
    flag, host, keyed_https, PROGRAM_HELP_DE, PROGRAM_HELP_EN, login, number, opt, path, port,
    program, schedule, secret, spec, text, timeout, timeouts, url,
)
from .schema import Group, InterfaceType, Section, TableSpec

BACK_OFFICE = Group(
    key="back_office",
    name_de="Back-Office", name_en="Back office",
    help_de="Übergabe von Umsätzen und Beständen an Systeme der Zentrale (ERP, Data-Warehouse).",
    help_en="Hand-over of sales and stock to head-office systems (ERP, data warehouse).",
    interfaces=(
        InterfaceType(
            key="back_office_export", source="designed",
            name_de="Umsatz- und Bestandsexport an Back-Office-System (HTTPS)",
            name_en="Sales and stock export to a back-office system (HTTPS)",
            help_de="Überträgt Umsätze und Lagerbestände geplant an ein Back-Office-System der "
                    "Zentrale. Kundendaten werden nur mitgesendet, wenn die Option gesetzt ist."
                    + GENERIC_DE,
            help_en="Transfers sales and stock on a schedule to a head-office back-office system. "
                    "Customer data is included only when the option is set." + GENERIC_EN,
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                *keyed_https(text("tenant", "Mandantenkennung", "Tenant ID", required=True,
                                  max_length=40, section=CREDENTIALS), read=120),
                schedule(default="daily", choices=("hourly", "daily")),
                flag("include_stock", "Bestände übertragen", "Transfer stock", default=True,
                     section=OPTIONS),
                flag("include_customers", "Kundendaten mitsenden", "Include customer data",
                     section=OPTIONS),
            ),
            actions=(TEST_CONNECTION, action("sync", "sync", "Jetzt übertragen", "Transfer now")),
            keywords=("ERP", "Zentrale", "Data-Warehouse", "Umsatz"),
        ),
    ),
)

AMIRO_MIGRATION = Group(
    key="amiro_migration",
    name_de="Datenübernahme AMiRO", name_en="AMiRO data migration",
    help_de="Einmalige Übernahme von Daten aus der Vorgängersoftware AMiRO.",
    help_en="One-off migration of data from the predecessor software AMiRO.",
    interfaces=(
        InterfaceType(
            key="amiro_import", source="designed",
            name_de="Datenübernahme aus AMiRO (Exportdateien)",
            name_en="Data migration from AMiRO (export files)",
            help_de="Liest die Exportdateien einer AMiRO-Installation und übernimmt Kunden, "
                    "Versorgungen und Termine in die gewählte Filiale. Zuerst im Probelauf "
                    "prüfen: er meldet, was übernommen würde, und speichert nichts." + GENERIC_DE,
            help_en="Reads the export files of an AMiRO installation and takes customers, "
                    "fittings and appointments into the chosen branch. Check with a dry run "
                    "first: it reports what would be taken over and saves nothing." + GENERIC_EN,
            usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                directory("source_dir", "Verzeichnis der Exportdateien", "Export file folder"),
                choice("encoding", "Zeichensatz", "Character set", (
                    opt("cp1252", "Windows-1252"), opt("iso-8859-1", "ISO-8859-1"),
                    opt("utf-8", "UTF-8"),
                ), default="cp1252", required=True, section=EXPORT),
                date("movements_since", "Bewegungsdaten ab", "Transactions since",
                     section=OPTIONS, help_de="Leer = alle.", help_en="Empty = all."),
                flag("dry_run", "Probelauf (nichts speichern)", "Dry run (save nothing)",
                     default=True, section=OPTIONS),
            ),
            actions=(action("sync", "sync", "Übernahme starten", "Start migration",
                            confirm_de="Die Übernahme legt Daten in der Filiale an. Starten?",
                            confirm_en="The migration creates data in the branch. Start?"),),
            keywords=("Migration", "Import", "Altdaten"),
        ),
    ),
)


def _file_name_pattern():
    return text("file_name", "Dateiname", "File name",
                default="{kundennummer}_{datum}_{dokumentart}.pdf", required=True,
                max_length=200, section=EXPORT,
                help_de="Platzhalter: {kundennummer}, {datum}, {dokumentart}, {filiale}.",
                help_en="Placeholders: {kundennummer}, {datum}, {dokumentart}, {filiale}.")


DOCUMENT_MANAGEMENT = Group(
    key="document_management",
    name_de="Dokumentenverwaltungssystem", name_en="Document management system",
    help_de="Ablage erzeugter und gescannter Dokumente in einem Dokumentenverwaltungssystem.",
    help_en="Filing of generated and scanned documents in a document management system.",
    interfaces=(
        InterfaceType(
            key="dms_webdav", source="designed",
            name_de="DMS-Ablage über WebDAV", name_en="DMS filing via WebDAV",
            help_de="Legt Dokumente über WebDAV im Dokumentenverwaltungssystem ab. Der Benutzer "
                    "braucht Schreibrecht im Basisordner." + GENERIC_DE,
            help_en="Files documents in the document management system over WebDAV. The user "
                    "needs write access to the base folder." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                url("webdav_url", "WebDAV-URL", "WebDAV URL", required=True, section=CONNECTION),
                *login(),
                text("base_folder", "Basisordner", "Base folder", default="/", required=True,
                     max_length=255, section=EXPORT),
                _file_name_pattern(),
                timeout(default=60),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("DMS", "WebDAV", "Archiv"),
        ),
        InterfaceType(
            key="dms_directory", source="designed",
            name_de="DMS-Ablage in Verzeichnis (mit Indexdatei)",
            name_en="DMS filing into a folder (with index file)",
            help_de="Schreibt Dokumente in ein Verzeichnis, das das Dokumentenverwaltungssystem "
                    "überwacht; eine XML-Indexdatei je Dokument liefert Kunde, Datum und "
                    "Dokumentart." + GENERIC_DE,
            help_en="Writes documents into a folder watched by the document management system; "
                    "an XML index file per document supplies customer, date and document type."
                    + GENERIC_EN,
            usages=BOTH, scopes=ANYWHERE,
            fields=(
                directory("export_dir", "Ablageverzeichnis", "Filing folder"),
                _file_name_pattern(),
                flag("write_index", "Indexdatei (XML) schreiben", "Write index file (XML)",
                     default=True, section=EXPORT),
            ),
            keywords=("DMS", "Archiv", "Index"),
        ),
    ),
)

GEO_SERVICES = Group(
    key="geo_services",
    name_de="Geodienste", name_en="Geo services",
    help_de="Adressprüfung, Geokoordinaten und Kartenansicht für Kunden- und Filialadressen.",
    help_en="Address checks, coordinates and map view for customer and branch addresses.",
    interfaces=(
        InterfaceType(
            key="geocoding_http", source="designed",
            name_de="Generischer Geokodierungsdienst (HTTP)",
            name_en="Generic geocoding service (HTTP)",
            help_de="Ermittelt zu Adressen die Geokoordinaten, z. B. für Umkreissuchen und "
                    "Tourenplanung. Die Anfragegrenze des Anbieters einhalten; viele Dienste "
                    "erlauben ohne Vertrag nur eine Anfrage pro Sekunde." + GENERIC_DE,
            help_en="Looks up coordinates for addresses, e.g. for radius searches and route "
                    "planning. Keep to the provider's rate limit; many services allow one "
                    "request per second without a contract." + GENERIC_EN,
            usages=BOTH, default_usages=SERVER, scopes=BRANCH_MANAGEMENT,
            fields=(
                url("api_url", "API-URL", "API URL", required=True, section=CONNECTION),
                secret("api_key", "API-Schlüssel", "API key", section=CREDENTIALS),
                text("country", "Land (ISO-Code)", "Country (ISO code)", default="DE",
                     max_length=2, pattern=r"[A-Z]{2}", section=OPTIONS),
                number("max_requests_per_second", "Höchstens Anfragen je Sekunde",
                       "Maximum requests per second", default=1, min_value=1, max_value=50,
                       section=OPTIONS),
                *timeouts(connect=5, read=15),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Geokodierung", "Koordinaten", "geocoding", "Karte"),
        ),
        InterfaceType(
            key="map_link", source="designed",
            name_de="Kartenlink (URL-Vorlage)", name_en="Map link (URL template)",
            help_de="Öffnet eine Adresse im Kartendienst des Browsers; {adresse} wird durch die "
                    "Adresse ersetzt." + GENERIC_DE,
            help_en="Opens an address in the browser's map service; {adresse} is replaced by "
                    "the address." + GENERIC_EN,
            usages=CLIENT, scopes=ANYWHERE,
            fields=(text("url_template", "URL-Vorlage", "URL template",
                         default="https://www.openstreetmap.org/search?query={adresse}",
                         required=True, max_length=500, pattern=r"https?://\S*\{adresse\}\S*",
                         section=CONNECTION),),
            keywords=("Karte", "map", "Route"),
        ),
    ),
)

# Directory login (LDAP) and single sign-on (OpenID Connect): what webapp/directory reads at
# every login through the resolver (docs/auth-directory.md). Both map the directory's groups
# (or the provider's claim values) to a role and to branches with two tables.
SEARCH = Section("search", "Suche im Verzeichnis", "Directory search")
MAPPING = Section("mapping", "Übernahme ins Benutzerkonto", "Copied into the user account")
ROLES = (
    opt("admin", "Administrator", "Administrator"),
    opt("branch_manager", "Filialleitung", "Branch manager"),
    opt("staff", "Mitarbeiter", "Staff"),
)
BRANCH_CODE = r"[A-Za-z0-9_-]{1,10}"
LDAP_ATTRIBUTE = r"[A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+"
CLAIM = r"[A-Za-z0-9_.:/-]+"
DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={username}))"
DEFAULT_GROUP_FILTER = ("(|(&(objectClass=groupOfNames)(member={dn}))"
                        "(&(objectClass=groupOfUniqueNames)(uniqueMember={dn}))"
                        "(&(objectClass=posixGroup)(memberUid={username})))")


def role_map(label_de, label_en, help_de, help_en):
    """Group (or claim value) → role: the strongest role of a person's groups wins."""
    return TableSpec(
        key="role_map", label_de="Rollen", label_en="Roles", help_de=help_de, help_en=help_en,
        fields=(
            text("group", label_de, label_en, required=True, max_length=255),
            choice("role", "Rolle", "Role", ROLES, required=True),
        ))


def branch_map(help_de, help_en):
    """Group or value → branch short code, for names that are not <prefix><short code>."""
    return TableSpec(
        key="branch_map", label_de="Weitere Filialzuordnungen",
        label_en="Other branch assignments", help_de=help_de, help_en=help_en,
        fields=(
            text("name", "Gruppe oder Wert", "Group or value", required=True, max_length=255),
            text("branch", "Kürzel der Filiale", "Branch short code", required=True,
                 max_length=10, pattern=BRANCH_CODE),
        ))


LDAP = Group(
    key="ldap",
    name_de="LDAP", name_en="LDAP",
    help_de="Anmeldung der Mitarbeiter mit ihrem Konto aus einem Verzeichnisdienst.",
    help_en="Employees log in with their account from a directory service.",
    interfaces=(
        InterfaceType(
            key="ldap_directory", source="designed",
            name_de="LDAP-Verzeichnis (Anmeldung)", name_en="LDAP directory (login)",
            help_de="Prüft Benutzername und Passwort gegen einen LDAP-Verzeichnisdienst (z. B. "
                    "Active Directory, OpenLDAP). Die App sucht den Benutzer mit dem Bind-Konto "
                    "und dem Filter, meldet sich dann als dieser Benutzer an und übernimmt "
                    "Name, E-Mail, Telefon, Rolle und Filialen aus dem Verzeichnis. ldaps:// "
                    "oder StartTLS verwenden, damit Passwörter nicht im Klartext übertragen "
                    "werden. Lokale Konten melden sich immer ohne Verzeichnis an." + GENERIC_DE,
            help_en="Checks username and password against an LDAP directory (e.g. Active "
                    "Directory, OpenLDAP). The app finds the user with the bind account and "
                    "the filter, then binds as that user and copies name, e-mail, phone, role "
                    "and branches from the directory. Use ldaps:// or StartTLS so passwords "
                    "never travel in clear text. Local accounts always log in without the "
                    "directory." + GENERIC_EN,
            usages=SERVER, scopes=CHAIN,
            fields=(
                url("server_url", "Server-URL", "Server URL", required=True,
                    pattern=r"ldaps?://\S+", section=CONNECTION,
                    help_de="ldaps://host:636, oder ldap://host:389 mit StartTLS.",
                    help_en="ldaps://host:636, or ldap://host:389 with StartTLS."),
                flag("start_tls", "StartTLS verwenden", "Use StartTLS", section=CONNECTION,
                     help_de="Verschlüsselt eine ldap://-Verbindung; bei ldaps:// leer lassen.",
                     help_en="Encrypts an ldap:// connection; leave it off for ldaps://."),
                spec("certificate", "ca_certificate_pem", "CA-Zertifikat (PEM)",
                     "CA certificate (PEM)", max_length=20000, section=CONNECTION,
                     help_de="Die Zertifizierungsstelle, die das Serverzertifikat ausgestellt "
                             "hat. Leer: die vertrauenswürdigen Stellen des Servers.",
                     help_en="The authority that issued the server's certificate. Empty: the "
                             "server's trusted authorities."),
                number("connect_timeout", "Verbindungsaufbau (Sekunden)",
                       "Connect timeout (seconds)", default=5, min_value=1, max_value=60,
                       section=CONNECTION),
                number("timeout", "Antwortzeit (Sekunden)", "Read timeout (seconds)",
                       default=10, min_value=1, max_value=120, required=True,
                       section=CONNECTION),
                text("bind_dn", "Bind-DN", "Bind DN", max_length=255, section=CREDENTIALS,
                     help_de="Dienstkonto für die Suche. Leer: anonym suchen.",
                     help_en="Service account for the search. Empty: search anonymously."),
                secret("bind_password", "Bind-Passwort", "Bind password", section=CREDENTIALS),
                text("base_dn", "Basis-DN der Benutzersuche", "User search base",
                     required=True, max_length=255, section=SEARCH,
                     help_de="z. B. ou=people,dc=example,dc=org",
                     help_en="e.g. ou=people,dc=example,dc=org"),
                text("user_filter", "Benutzerfilter", "User filter",
                     default=DEFAULT_USER_FILTER, required=True, max_length=500,
                     pattern=r"\(.*\{username\}.*\)", section=SEARCH,
                     help_de="{username} wird durch den (maskierten) Benutzernamen ersetzt. "
                             "Active Directory: (&(objectClass=user)(sAMAccountName={username}))",
                     help_en="{username} is replaced by the (escaped) username. Active "
                             "Directory: (&(objectClass=user)(sAMAccountName={username}))"),
                text("group_base_dn", "Basis-DN der Gruppensuche", "Group search base",
                     max_length=255, section=SEARCH,
                     help_de="Leer: nur das Attribut memberOf des Benutzers.",
                     help_en="Empty: only the user's memberOf attribute."),
                text("group_filter", "Gruppenfilter", "Group filter",
                     default=DEFAULT_GROUP_FILTER, max_length=500,
                     pattern=r"\(.*\{(dn|username)\}.*\)", section=SEARCH,
                     help_de="{dn} ist der DN des Benutzers, {username} der Benutzername. "
                             "Verschachtelte AD-Gruppen: (member:1.2.840.113556.1.4.1941:={dn})",
                     help_en="{dn} is the user's DN, {username} the username. Nested AD "
                             "groups: (member:1.2.840.113556.1.4.1941:={dn})"),
                text("name_attribute", "Attribut Name", "Name attribute", default="cn",
                     max_length=64, pattern=LDAP_ATTRIBUTE, section=MAPPING),
                text("email_attribute", "Attribut E-Mail", "E-mail attribute", default="mail",
                     max_length=64, pattern=LDAP_ATTRIBUTE, section=MAPPING),
                text("phone_attribute", "Attribut Telefon", "Phone attribute",
                     default="telephoneNumber", max_length=64, pattern=LDAP_ATTRIBUTE,
                     section=MAPPING),
                text("branch_group_prefix", "Filialgruppen beginnen mit",
                     "Branch groups start with", max_length=64, section=MAPPING,
                     help_de="z. B. filiale- : die Gruppe filiale-ST gibt die Filiale mit dem "
                             "Kürzel ST.",
                     help_en="e.g. filiale- : the group filiale-ST gives the branch with the "
                             "short code ST."),
                text("branch_attribute", "Attribut mit Filialkürzeln",
                     "Attribute with branch short codes", max_length=64,
                     pattern=LDAP_ATTRIBUTE, section=MAPPING,
                     help_de="z. B. departmentNumber", help_en="e.g. departmentNumber"),
            ),
            tables=(
                role_map("Gruppe (cn oder DN)", "Group (cn or DN)",
                         "Wer in keiner dieser Gruppen ist, kann sich nicht anmelden. Bei "
                         "mehreren Gruppen gilt die stärkste Rolle.",
                         "People in none of these groups cannot log in. Of several groups, "
                         "the strongest role counts."),
                branch_map("Für Gruppen oder Attributwerte, die nicht Präfix + Kürzel heißen.",
                           "For groups or attribute values not named prefix + short code."),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Active Directory", "Verzeichnisdienst", "directory", "Anmeldung", "SSO",
                      "Mitarbeiteranmeldung", "staff login"),
        ),
    ),
)

SUPPORT_PROVIDERS = Group(
    key="support_providers",
    name_de="Support Dienstleister", name_en="Support providers",
    help_de="Fernwartung und Kontaktdaten externer Support-Dienstleister.",
    help_en="Remote support and contact details of external support providers.",
    interfaces=(
        InterfaceType(
            key="remote_support", source="designed",
            name_de="Fernwartung (Support-Programm)", name_en="Remote support (support program)",
            help_de="Startet aus der Hilfe das Fernwartungsprogramm des Dienstleisters und zeigt "
                    "dessen Kontaktdaten. Das Programm muss auf dem Rechner installiert sein."
                    + GENERIC_DE,
            help_en="Starts the provider's remote-support program from the help and shows its "
                    "contact details. The program must be installed on the computer." + GENERIC_EN,
            usages=CLIENT, scopes=ANYWHERE,
            fields=(
                text("provider_name", "Dienstleister", "Provider", required=True, max_length=120,
                     section=CONNECTION),
                program("program", "Fernwartungsprogramm", "Remote-support program",
                        required=True, section=CONNECTION, help_de=PROGRAM_HELP_DE,
                        help_en=PROGRAM_HELP_EN),
                text("arguments", "Argumente", "Arguments", max_length=500, section=CONNECTION,
                     admin_only=True),
                text("support_phone", "Support-Telefon", "Support phone", max_length=40,
                     section=OPTIONS),
                email("support_email", "Support-E-Mail", "Support e-mail", section=OPTIONS),
                url("support_portal", "Support-Portal", "Support portal", section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Fernwartung", "Remote", "Hotline"),
        ),
    ),
)

SYSTEM = Group(
    key="system",
    name_de="System", name_en="System",
    help_de="Technische Dienste der Installation: Dienstkonten, Überwachung und "
            "Protokollweiterleitung.",
    help_en="Technical services of the installation: service accounts, monitoring and log "
            "forwarding.",
    interfaces=(
        InterfaceType(
            key="caldav_service_account", source="manual",
            name_de="CalDAV-Dienstkonto (Terminsynchronisation)",
            name_en="CalDAV service account (appointment sync)",
            help_de="Zugang, mit dem ein Kalenderprogramm die Termine per CalDAV abgleicht. Der "
                    "Benutzername muss eindeutig sein und lässt sich nach dem Speichern nicht "
                    "mehr ändern (löschen und neu anlegen). Ohne 'Bestätigt' ist das Konto "
                    "gesperrt; außerhalb des Gültigkeitszeitraums ebenso.",
            help_en="Account with which a calendar program syncs appointments over CalDAV. The "
                    "username must be unique and cannot change after saving (delete and "
                    "recreate). Without 'confirmed' the account is locked, and likewise outside "
                    "its validity period.",
            usages=SERVER, scopes=BRANCH_MANAGEMENT, multiple_per_scope=True,
            unique_by="username", fixed_after_save=("username",),
            fields=(
                *login(),
                date("valid_from", "Gültig ab", "Valid from", section=OPTIONS),
                date("valid_until", "Gültig bis", "Valid until", section=OPTIONS),
                flag("confirmed", "Bestätigt", "Confirmed", section=OPTIONS,
                     help_de="Erst mit diesem Haken kann das Konto verwendet werden.",
                     help_en="The account can be used only once this is ticked."),
            ),
            keywords=("CalDAV", "Kalender", "calendar", "Servicezugangsdaten"),
        ),
        InterfaceType(
            key="openid_connect", source="designed",
            name_de="OpenID Connect (Anmeldung)", name_en="OpenID Connect (login)",
            help_de="Mitarbeiter melden sich über einen Identitätsanbieter an (Entra ID, "
                    "Keycloak, …): Autorisierungscode mit PKCE, Nonce und State; Rolle und "
                    "Filialen kommen auf Wunsch aus den Claims. Unter System, nicht unter LDAP, "
                    "weil OpenID Connect kein LDAP ist, aber wie dieses die Anmeldung der ganzen "
                    "Installation betrifft. Beim Anbieter als Weiterleitungsadresse "
                    "https://<dieser Server>/login/oidc/callback eintragen.",
            help_en="Employees log in through an identity provider (Entra ID, Keycloak, …): "
                    "authorization code with PKCE, nonce and state; role and branches may come "
                    "from the claims. Under System, not LDAP, because OpenID Connect is not "
                    "LDAP but, like it, concerns the login of the whole installation. Register "
                    "https://<this server>/login/oidc/callback as redirect URI at the provider.",
            usages=SERVER, scopes=CHAIN,
            fields=(
                text("provider_name", "Name auf der Anmeldeseite", "Name on the login page",
                     max_length=60, section=CONNECTION,
                     help_de="z. B. Microsoft, Keycloak. Leer: der Hostname des Anbieters.",
                     help_en="e.g. Microsoft, Keycloak. Empty: the provider's host name."),
                url("issuer", "Aussteller-URL (Issuer)", "Issuer URL", required=True,
                    section=CONNECTION,
                    help_de="Der Issuer des Anbieters oder seine Adresse "
                            "…/.well-known/openid-configuration.",
                    help_en="The provider's issuer, or its "
                            "…/.well-known/openid-configuration address."),
                timeout(default=10, maximum=60),
                text("client_id", "Client-ID", "Client ID", required=True, max_length=255,
                     section=CREDENTIALS),
                secret("client_secret", "Client-Secret", "Client secret", section=CREDENTIALS,
                       help_de="Leer bei einem öffentlichen Client (PKCE schützt den Code).",
                       help_en="Empty for a public client (PKCE protects the code)."),
                text("scopes", "Scopes", "Scopes", default="openid email profile",
                     max_length=255, pattern=r"[\x21\x23-\x5b\x5d-\x7e ]+",
                     section=OPTIONS, help_de="openid wird immer angefragt.",
                     help_en="openid is always requested."),
                text("username_claim", "Claim mit dem Benutzernamen", "Claim with the username",
                     default="preferred_username", max_length=64,
                     pattern=CLAIM, section=MAPPING,
                     help_de="Wird mit den Benutzernamen hier verglichen.",
                     help_en="Matched with the usernames here."),
                text("role_claim", "Claim mit Gruppen oder Rollen",
                     "Claim with groups or roles", max_length=64, pattern=CLAIM,
                     section=MAPPING,
                     help_de="z. B. groups oder roles. Leer: Rollen werden hier verwaltet.",
                     help_en="e.g. groups or roles. Empty: roles are managed here."),
                text("branch_claim", "Claim mit Filialen", "Claim with branches",
                     max_length=64, pattern=CLAIM, section=MAPPING,
                     help_de="Werte sind Filialkürzel (oder Gruppen, wenn es derselbe Claim "
                             "wie für Rollen ist). Leer: Filialen werden hier verwaltet.",
                     help_en="Values are branch short codes (or groups, when it is the same "
                             "claim as for roles). Empty: branches are managed here."),
                text("branch_prefix", "Filialwerte beginnen mit", "Branch values start with",
                     max_length=64, section=MAPPING),
                flag("create_unknown_users", "Unbekannte Personen bei der ersten Anmeldung "
                     "anlegen", "Create unknown people on their first login", section=MAPPING,
                     help_de="Aus: nur Personen, die hier angelegt wurden oder das Verzeichnis "
                             "kennt, können sich anmelden.",
                     help_en="Off: only people created here or known to the directory can "
                             "log in."),
            ),
            tables=(
                role_map("Claim-Wert (Gruppe oder Rolle)", "Claim value (group or role)",
                         "Leer: Rollen werden hier verwaltet. Sonst kann sich nur anmelden, "
                         "wer einen dieser Werte hat; es gilt die stärkste Rolle.",
                         "Empty: roles are managed here. Otherwise only people with one of "
                         "these values can log in; the strongest role counts."),
                branch_map("Für Werte, die nicht Präfix + Kürzel heißen.",
                           "For values not named prefix + short code."),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("OIDC", "SSO", "Single Sign-On", "Entra ID", "Azure AD", "Keycloak",
                      "Anmeldung", "Mitarbeiteranmeldung", "staff login"),
        ),
        InterfaceType(
            key="heartbeat_ping", source="designed",
            name_de="Systemüberwachung (Heartbeat-URL)",
            name_en="System monitoring (heartbeat URL)",
            help_de="Ruft in festen Abständen eine Überwachungs-URL auf, solange "
                    "Hintergrunddienste laufen. Bleibt der Aufruf aus, schlägt die Überwachung "
                    "Alarm.",
            help_en="Calls a monitoring URL at fixed intervals while background services run. "
                    "When the call stops, the monitoring raises an alarm.",
            usages=SERVER, scopes=CHAIN,
            fields=(
                url("ping_url", "Überwachungs-URL", "Monitoring URL", required=True,
                    section=CONNECTION),
                number("interval_minutes", "Intervall (Minuten)", "Interval (minutes)",
                       default=5, min_value=1, max_value=60, required=True, section=OPTIONS),
                timeout(default=10, maximum=60),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Monitoring", "Heartbeat", "Überwachung"),
        ),
        InterfaceType(
            key="syslog_forwarding", source="designed",
            name_de="Protokollweiterleitung (Syslog)", name_en="Log forwarding (syslog)",
            help_de="Leitet Betriebsprotokolle der App an einen zentralen Syslog-Server weiter. "
                    "Geheime Werte stehen nie in den Protokollen.",
            help_en="Forwards the app's operational logs to a central syslog server. Secret "
                    "values never appear in the logs.",
            usages=SERVER, scopes=CHAIN,
            fields=(
                host(),
                port(default=514, required=True, admin_only=True),
                choice("transport", "Transport", "Transport", (
                    opt("udp", "UDP"), opt("tcp", "TCP"), opt("tls", "TCP mit TLS", "TCP with TLS"),
                ), default="tls", required=True, section=CONNECTION),
                choice("facility", "Facility", "Facility",
                       tuple(opt(f"local{n}", f"local{n}") for n in range(8)),
                       default="local0", required=True, section=OPTIONS),
                choice("min_level", "Ab Stufe", "From level", (
                    opt("info", "Info"), opt("warning", "Warnung", "Warning"),
                    opt("error", "Fehler", "Error"),
                ), default="warning", required=True, section=OPTIONS),
            ),
            actions=(TEST_CONNECTION,),
            keywords=("Syslog", "Logging", "Protokoll"),
        ),
    ),
)

SURCHARGE = Section("surcharge", "Allgemeiner Aufschlag", "General surcharge")
FOREIGN_CURRENCIES = Section("foreign_currencies", "Fremdwährungen", "Foreign currencies")
# The currencies the manual's page lists (its list is cut off after NOK), with their names.
MANUAL_CURRENCIES = (
    ("CHF", "Schweizer Franken", "Swiss francs"),
    ("DKK", "Dänische Kronen", "Danish kroner"),
    ("GBP", "Britische Pfund", "Pounds sterling"),
    ("NOK", "Norwegische Kronen", "Norwegian kroner"),
)


def _rate(code, name_de, name_en):
    return number(f"rate_{code.lower()}", code, code, min_value=0.0001, max_value=100000,
                  section=FOREIGN_CURRENCIES,
                  help_de=f"{name_de} je 1 EUR. Leer = wird nicht angeboten.",
                  help_en=f"{name_en} per 1 EUR. Empty = not offered.")


CURRENCY_CONVERTER = Group(
    key="currency_converter",
    name_de="Währungsumrechner", name_en="Currency converter",
    help_de="Wechselkurse für Zahlungen und Preise in Fremdwährung: an der Kasse zeigt ein "
            "Rechtsklick auf die Summe den Betrag in der Währung des Kunden.",
    help_en="Exchange rates for payments and prices in foreign currency: in the till a right "
            "click on the total shows the amount in the customer's currency.",
    interfaces=(
        InterfaceType(
            key="simple_currency_converter", source="manual",
            name_de="Einfacher Währungsumrechner", name_en="Simple currency converter",
            help_de="Rechnet Beträge mit von Hand eingetragenen Kursen um: je Fremdwährung, "
                    "wie viele Einheiten 1 EUR entspricht (z. B. CHF 1,067). Die Kurse gelten, "
                    "bis sie hier geändert werden; aktuelle Werte veröffentlichen z. B. die "
                    "Zentralbanken. Der optionale Faktor schlägt auf jeden umgerechneten Betrag "
                    "etwas auf.",
            help_en="Converts amounts with rates entered by hand: per foreign currency, how "
                    "many units equal 1 EUR (e.g. CHF 1.067). The rates hold until changed "
                    "here; central banks, for example, publish current values. The optional "
                    "factor adds a surcharge to every converted amount.",
            usages=CLIENT, scopes=ANYWHERE,
            fields=(
                number("surcharge_factor", "Faktor", "Factor", min_value=1, max_value=2,
                       section=SURCHARGE,
                       help_de="Der umgerechnete Betrag wird damit multipliziert, z. B. 1,02 "
                               "für 2 % Aufschlag. Leer = kein Aufschlag.",
                       help_en="The converted amount is multiplied by it, e.g. 1.02 for a 2% "
                               "surcharge. Empty = no surcharge."),
                *(_rate(*currency) for currency in MANUAL_CURRENCIES),
            ),
            keywords=("Wechselkurs", "exchange rate", "Fremdwährung", "Aufschlag", "surcharge",
                      "CHF", "DKK", "GBP", "NOK"),
        ),
        InterfaceType(
            key="ecb_reference_rates", source="designed",
            name_de="EZB-Referenzkurse (HTTP)", name_en="ECB reference rates (HTTP)",
            help_de="Holt die Euro-Referenzkurse der Europäischen Zentralbank. Die EZB "
                    "veröffentlicht sie an Arbeitstagen gegen 16 Uhr; ein täglicher Abruf danach "
                    "genügt. Bis zum nächsten erfolgreichen Abruf gelten die letzten Kurse.",
            help_en="Fetches the euro reference rates of the European Central Bank. The ECB "
                    "publishes them on working days around 16:00 CET; one fetch a day after "
                    "that is enough. The last rates stay valid until the next successful fetch.",
            usages=SERVER, scopes=CHAIN,
            fields=(
                url("rates_url", "Kurs-URL", "Rates URL", required=True, section=CONNECTION,
                    default="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"),
                number("fetch_hour", "Abruf um (Uhr)", "Fetch at (hour)", default=17,
                       min_value=0, max_value=23, required=True, section=OPTIONS),
                text("currencies", "Währungen", "Currencies", default="CHF,USD,GBP",
                     required=True, max_length=200, pattern=r"[A-Z]{3}(,[A-Z]{3})*",
                     section=OPTIONS,
                     help_de="ISO-Codes, durch Komma getrennt.",
                     help_en="ISO codes, separated by commas."),
                timeout(default=20, maximum=120),
            ),
            actions=(TEST_CONNECTION,
                     action("sync", "sync", "Kurse jetzt abrufen", "Fetch rates now")),
            keywords=("EZB", "ECB", "Wechselkurs", "exchange rate"),
        ),
    ),
)

TEST_INTERFACES = Group(
    key="test_interfaces",
    name_de="Testschnittstellen", name_en="Test interfaces",
    help_de="Schnittstellen zum Prüfen von Verbindungen, Hintergrundaufgaben und "
            "Fehlerbehandlung, z. B. gegen die Partner-Sandbox.",
    help_en="Interfaces for checking connections, background work and error handling, e.g. "
            "against the partner sandbox.",
    interfaces=(
        InterfaceType(
            key="echo_test", source="designed",
            name_de="Echo-Testschnittstelle (HTTP)", name_en="Echo test interface (HTTP)",
            help_de="Sendet eine Testnachricht an einen Echo-Endpunkt und prüft, ob sie "
                    "unverändert zurückkommt. Gedacht für Inbetriebnahme und Fehlersuche, etwa "
                    "gegen die Partner-Sandbox; nicht für den Produktivbetrieb." + GENERIC_DE,
            help_en="Sends a test message to an echo endpoint and checks that it comes back "
                    "unchanged. Meant for commissioning and troubleshooting, e.g. against the "
                    "partner sandbox; not for production use." + GENERIC_EN,
            usages=BOTH, scopes=ANYWHERE, multiple_per_scope=True,
            fields=(
                url("endpoint", "Endpunkt", "Endpoint", required=True, section=CONNECTION),
                secret("api_key", "API-Schlüssel", "API key", section=CREDENTIALS),
                text("payload", "Testnachricht", "Test message", default="ping",
                     required=True, max_length=1000, section=OPTIONS),
                *timeouts(connect=5, read=10),
            ),
            actions=(TEST_CONNECTION, action("test", "send_echo", "Echo senden", "Send echo")),
            keywords=("Test", "Echo", "Sandbox", "ping"),
        ),
    ),
)
