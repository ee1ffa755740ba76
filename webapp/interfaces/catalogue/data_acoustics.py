"""Acoustics: ear-mould ordering (Otoplastikbestellung).

Source: seed 001 names the nine interfaces and the rules (branch management only; the service is
picked by its company assignment; a supplier is optional). The fields of the partner interfaces
are ours: the manual has no page for them (amparex-facts.md §4 "NOT FOUND"), so each gets the
generic partner block (URL, login, timeouts) the brief asks for.
"""
from .fields import (
    BOTH, BRANCH_MANAGEMENT, CLIENT, CONNECTION, OPTIONS, ORDERING, SERVER,
    TEST_CONNECTION, choice, command_line, ear_mould_assignment, email, flag, login, opt,
    partner_https, template, text, url, when,
)
from .schema import Group, InterfaceType

_RULE_DE = (
    " Nur in der Filialverwaltung einrichten, nie in den Arbeitsplatzeinstellungen. Bei der "
    "Bestellung im Vorgangsschritt 'Bestellservice' wird der Service gewählt, dessen "
    "Firmenbelegung die gewählte Firma enthält; ohne Firma entsteht keine Bestellung. Ist kein "
    "Lieferant eingetragen, wählt der Anwender ihn vor dem Bestellen."
)
_RULE_EN = (
    " Set it up in branch management only, never in workstation settings. At the process step "
    "'Bestellservice' the service whose company assignment contains the chosen company is used; "
    "without a company no order is created. If no supplier is set, the user picks one before "
    "ordering."
)


def _ear_mould(key, name, help_de, help_en, fields, usages=BOTH, default_usages=SERVER,
               actions=(TEST_CONNECTION,), keywords=()):
    """An ear-mould ordering interface: branch management only, one service per company.
    `name` is a product name used in both languages, or a (German, English) pair."""
    name_de, name_en = (name, name) if isinstance(name, str) else name
    return InterfaceType(
        key=key, name_de=name_de, name_en=name_en,
        help_de=help_de + _RULE_DE, help_en=help_en + _RULE_EN,
        usages=usages, default_usages=default_usages, scopes=BRANCH_MANAGEMENT,
        source="manual", fields=(*ear_mould_assignment(), *fields),
        multiple_per_scope=True, unique_by="companies", actions=actions,
        keywords=("Otoplastik", "ear mould", "Labor", *keywords),
    )


EAR_MOULD_ORDERING = Group(
    key="ear_mould_ordering", area="acoustics",
    name_de="Otoplastikbestellung", name_en="Ear-mould ordering",
    help_de="Bestellprozesse für Otoplastiken bei Laboren. Ein Vorgangsschritt "
            "'Bestellservice' genügt für alle Labore; der passende Service wird über die Firma "
            "gefunden.",
    help_en="Ordering processes for ear moulds from labs. One process step 'Bestellservice' "
            "serves every lab; the matching service is found through the company.",
    interfaces=(
        _ear_mould(
            "audia_easy_order", "Audia Easy Order",
            "Übermittelt Otoplastikaufträge elektronisch an das Bestellsystem Audia Easy Order "
            "und erhält die externe Bestellnummer zurück.",
            "Sends ear-mould orders electronically to the Audia Easy Order system and receives "
            "the external order number back.",
            (*partner_https(),
             flag("store_order_data", "Bestelldaten am Hörsystem speichern",
                  "Store order data on the hearing system", default=True, section=OPTIONS,
                  help_de="Die Otoplastik-Eigenschaften der Bestellung werden am Reiter "
                          "Otoplastik des Hörsystems als 'Bestelldaten' abgelegt.",
                  help_en="The ear-mould properties of the order are kept as 'order data' on the "
                          "hearing system's ear-mould tab.")),
        ),
        _ear_mould(
            "audia_easy_order_portal", "Audia Easy Order Web-Portal",
            "Öffnet das Web-Portal von Audia Easy Order im Browser und meldet den Anwender mit "
            "den hinterlegten Zugangsdaten an; die Bestellung wird dort abgeschlossen.",
            "Opens the Audia Easy Order web portal in the browser and signs the user in with the "
            "stored credentials; the order is completed there.",
            (url("portal_url", "Portal-URL", "Portal URL", required=True, section=CONNECTION),
             *login("Benutzername", "Username"),
             flag("new_window", "In neuem Browserfenster öffnen", "Open in a new browser window",
                  default=True, section=OPTIONS)),
            usages=CLIENT, default_usages=CLIENT, keywords=("Portal",),
        ),
        _ear_mould(
            "dreve_smartorder", "Dreve SmartOrder",
            "Bestellt Otoplastiken über Dreve SmartOrder, die Online-Bestellschnittstelle des "
            "Labors Dreve, und übernimmt Auftragsnummer und Status.",
            "Orders ear moulds through Dreve SmartOrder, the online ordering interface of the "
            "Dreve lab, and takes over order number and status.",
            partner_https(),
        ),
        _ear_mould(
            "egger_order_system", ("Egger Bestellsystem", "Egger ordering system"),
            "Bestellt Otoplastiken über das Bestellsystem des Labors Egger. Das frühere "
            "Online-Bestellportal von Egger ist abgelöst; für neue Einrichtungen die "
            "ERP-Bestellung prüfen.",
            "Orders ear moulds through the ordering system of the Egger lab. Egger's former "
            "online ordering portal has been retired; check the ERP ordering for new setups.",
            partner_https(),
        ),
        _ear_mould(
            "egger_erp_order", ("Egger ERP Bestellung", "Egger ERP ordering"),
            "Übergibt Otoplastikaufträge direkt an das ERP-System des Labors Egger (egger "
            "Otoplastik + Labortechnik GmbH). Die Firma Egger in der Firmenbelegung eintragen. "
            "Nachfolger des Egger online Bestellportals, das nur bis 15.11.2019 nutzbar war.",
            "Hands ear-mould orders directly to the ERP system of the Egger lab (egger "
            "Otoplastik + Labortechnik GmbH). Put the Egger company into the assignment. "
            "Successor of the Egger online ordering portal, usable only until 15.11.2019.",
            partner_https(),
            # The legacy portal it replaced (usable until 15.11.2019) is found under its name.
            keywords=("ERP", "Egger online Bestellportal"),
        ),
        _ear_mould(
            "hoerluchs_partner_order",
            ("Hörluchs-Partner Bestell-System", "Hörluchs partner ordering system"),
            "Bestellt Otoplastiken über das Bestell-System für Hörluchs-Partner.",
            "Orders ear moulds through the ordering system for Hörluchs partners.",
            partner_https(),
            keywords=("Hörluhs",),  # spelling of seed 001
        ),
        _ear_mould(
            "ear_mould_command", ("Kommandozeilenbefehl", "Command line"),
            "Ruft für jede Bestellung ein lokales Programm auf, z. B. die Bestellsoftware eines "
            "Labors. Der Auftrag wird als Datei übergeben; das Programm meldet Erfolg und "
            "Bestellnummer als JSON oder XML auf der Standardausgabe. Das Programm muss auf dem "
            "Rechner liegen, der die Bestellung ausführt (Server bei serverseitiger Verwendung).",
            "Runs a local program for every order, e.g. a lab's ordering software. The order is "
            "passed as a file; the program reports success and order number as JSON or XML on "
            "standard output. The program must exist on the computer that runs the order (the "
            "server when used server-side).",
            command_line("--auftrag {auftragsdatei}"),
            keywords=("command line", "Programm", "CLI"),
        ),
        _ear_mould(
            "otofaktur_otoport", "Otofaktur Otoport",
            "Bestellt Otoplastiken über Otoport, das Bestellportal von Otofaktur, und übernimmt "
            "die externe Auftragsnummer.",
            "Orders ear moulds through Otoport, Otofaktur's ordering portal, and takes over the "
            "external order number.",
            partner_https(),
        ),
        _ear_mould(
            "ear_mould_standard_order", ("Standard Bestellprozess", "Standard ordering process"),
            "Bestellung ohne Partnerschnittstelle: der Bestellschein wird per E-Mail über den "
            "Dienst 'SMTP-Postausgangsserver' der Filialkette versandt oder zum Drucken/Faxen "
            "vorgemerkt.",
            "Ordering without a partner interface: the order form is e-mailed through the "
            "chain's 'SMTP outgoing server' service or marked for printing/faxing.",
            (choice("delivery", "Übermittlung", "Delivery", (
                opt("email", "Per E-Mail (SMTP-Dienst der Filialkette)",
                    "By e-mail (the chain's SMTP service)"),
                opt("print_fax", "Zum Drucken/Faxen vormerken", "Mark for printing/faxing"),
            ), default="email", required=True, section=ORDERING),
             template("order_template", "Dokumentvorlage Bestellschein", "Order form template",
                      required=True, section=ORDERING),
             email("recipient", "Empfänger-E-Mail", "Recipient e-mail", section=ORDERING,
                   shown_if=when("delivery", "email"),
                   help_de="Leer = die Bestell-E-Mail-Adresse der Firma.",
                   help_en="Empty = the company's order e-mail address."),
             text("subject", "Betreff", "Subject", default="Otoplastikbestellung",
                  max_length=200, required=True, section=ORDERING,
                  shown_if=when("delivery", "email"),
                  help_de="Kundennummer und Bestellnummer werden beim Versand angehängt.",
                  help_en="Customer number and order number are appended when sending.")),
            actions=(), keywords=("E-Mail", "Fax", "Drucken"),
        ),
    ),
)
