"""The demo chain "Hörwelt Demo": branches, workstations, users and companies to click through.

Idempotent: records are matched by their unique names and only created when missing, so a
second run changes nothing, and edits made in the demo survive a re-run. Addresses, numbers
and e-mail addresses are made up (reserved .example domains)."""
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func

from .config import ROOT
from .companies.models import Company, CustomerNumber
from .customers import services as customer_services
from .customers.models import Customer
from .documents.models import DocumentTemplate
from .extensions import db
from .interfaces import services as interface_services
from .interfaces.models import InterfaceService
from .interfaces.values import InvalidValues
from .ordering import services as ordering_services
from .ordering.models import Order
from .org.models import Branch, BranchOrganisation, Workstation
from .org.services import get_chain
from .permissions import ADMIN, BRANCH_MANAGER, STAFF
from .processes import services as process_services
from .processes.models import CUSTOMER_CARD, ORDER_SERVICE, STEP, Process, ProcessTemplate
from .users.models import User

CHAIN = dict(name="Hörwelt Demo", timezone="Europe/Berlin")
# The lab's ordering program of the Kommandozeilenbefehl service (sandbox/order_command.py).
ORDER_PROGRAM = ROOT / "sandbox" / "order_command.py"
# What the demo needs the operator to allow (webapp/programs.py, webapp/outbound_policy.py):
# its ordering program, and the partner sandbox and its mail sink on 127.0.0.1 over plain
# http. `make run` (webapp/devrun.py) sets exactly these; a real installation says its own.
SETTINGS = {
    "ALLOWED_PROGRAMS": [{"path": str(ORDER_PROGRAM),
                          "label": "Ohrform Manufaktur: Bestellprogramm (Demo)"}],
    "OUTBOUND_HTTP_HOSTS": ["127.0.0.1"],
    "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.1/32"],
}
# Meets the password policy (webapp/users/services.py); `make run` prints it with the logins.
DEMO_PASSWORD = "Demo-2026!"
EDITOR = "Demo"

BRANCHES = (
    dict(name="Stuttgart Mitte", short_code="ST",
         street="Königstraße 12", postal_code="70173", city="Stuttgart",
         office_street="Kronprinzstraße 5", office_postal_code="70173", office_city="Stuttgart",
         office_email="stuttgart@hoerwelt-demo.example", office_phone="+49 711 555 0100",
         workstations=(("ST-EMPFANG", "Empfang"), ("ST-WERKSTATT", "Werkstatt"))),
    dict(name="Esslingen", short_code="ES",
         street="Bahnhofstraße 3", postal_code="73728", city="Esslingen am Neckar",
         office_street="Pliensaustraße 8", office_postal_code="73728", office_city="Esslingen am Neckar",
         office_email="esslingen@hoerwelt-demo.example", office_phone="+49 711 555 0200",
         workstations=(("ES-EMPFANG", "Empfang"), ("ES-ANPASSUNG", "Anpassraum"))),
    dict(name="Ludwigsburg", short_code="LB",
         street="Marktplatz 7", postal_code="71634", city="Ludwigsburg",
         office_street="Wilhelmstraße 20", office_postal_code="71638", office_city="Ludwigsburg",
         office_email="ludwigsburg@hoerwelt-demo.example", office_phone="+49 7141 555 0300",
         workstations=(("LB-EMPFANG", "Empfang"), ("LB-WERKSTATT", "Werkstatt"))),
)

# Filialorganisationen: name, description, branch short codes.
ORGANISATIONS = (
    ("Region Neckar", "Filialen am Neckar", ("ES", "LB")),
)

# username, name, role, branch short codes
USERS = (
    ("admin", "Anna Admin", ADMIN, ()),
    ("filialleitung", "Frank Filialleiter", BRANCH_MANAGER, ("ST",)),
    ("mitarbeiter1", "Mia Mitarbeiterin", STAFF, ("ST",)),
    ("mitarbeiter2", "Max Mitarbeiter", STAFF, ("ES", "LB")),
)

_LAB = dict(is_lab=True, is_supplier=True, ordering_active=True, order_form="interface")
_MAKER = dict(is_manufacturer=True, is_supplier=True, ordering_active=True, order_form="document")
COMPANIES = (
    dict(name="Dreve Otoplastik GmbH", city="Unna", email="info@dreve.example",
         customer_prefix="DRV-", **_LAB),
    dict(name="egger Otoplastik + Labortechnik GmbH", city="Kempten (Allgäu)",
         email="info@egger.example", customer_prefix="EGG-", **_LAB),
    dict(name="Hörluchs", email="info@hoerluchs.example", customer_prefix="HL-", **_LAB),
    # Named as on the sandbox portal's partner list: ordered through Audoora (order form
    # Schnittstelle). Oticon is a partner whose order form is not set yet, Phonak is listed
    # there under another name: the partner check shows both.
    dict(name="Signia GmbH", city="Erlangen", email="info@signia.example",
         order_email="bestellung@signia.example", customer_prefix="WSA-",
         **dict(_MAKER, order_form="interface")),
    dict(name="Phonak", email="info@phonak.example",
         order_email="bestellung@phonak.example", customer_prefix="PHO-", **_MAKER),
    dict(name="Oticon GmbH", city="Hamburg", email="info@oticon.example",
         order_email="bestellung@oticon.example", customer_prefix="OTI-", **_MAKER),
    # Labs without a partner system of their own: the standard process (order form by
    # e-mail) and a local ordering program (Kommandozeilenbefehl).
    dict(name="Otoplastik-Labor Schwaben", city="Reutlingen", email="info@labor-schwaben.example",
         order_email="bestellung@labor-schwaben.example", customer_prefix="OLS-",
         **dict(_LAB, order_form="document")),
    dict(name="Ohrform Manufaktur", city="Tübingen", email="info@ohrform.example",
         customer_prefix="OFM-", **_LAB),
    dict(name="Batterie-Express GmbH", city="Stuttgart", email="info@batterie-express.example",
         is_supplier=True, ordering_active=True, order_form="document",
         order_email="bestellung@batterie-express.example", customer_prefix="BE-"),
)


def is_empty():
    """True before anything was set up: no branch and no user yet."""
    return not (db.session.scalar(db.select(func.count()).select_from(Branch))
                or db.session.scalar(db.select(func.count()).select_from(User)))


def foreign_users():
    """Usernames that are not demo users: seeding would give their chain known logins."""
    demo = {username for username, *_ in USERS}
    return [name for name in db.session.scalars(db.select(User.username)) if name not in demo]


def seed():
    """Create what is missing of the demo chain; returns the number of records created."""
    created = 0
    chain = get_chain()
    for key, value in CHAIN.items():
        setattr(chain, key, value)

    branches = {}
    for spec in BRANCHES:
        fields = {k: v for k, v in spec.items() if k != "workstations"}
        branch, new = _get_or_create(Branch, "name", fields)
        created += new
        branches[branch.short_code] = branch
        for hostname, description in spec["workstations"]:
            _, new = _get_or_create(Workstation, "name", dict(
                name=hostname, description=description, branch=branch))
            created += new

    for name, description, codes in ORGANISATIONS:
        _, new = _get_or_create(BranchOrganisation, "name", dict(
            name=name, description=description, branches=[branches[code] for code in codes]))
        created += new

    for username, name, role, codes in USERS:
        user, new = _get_or_create(User, "username", dict(
            username=username, name=name, role=role,
            email=f"{username}@hoerwelt-demo.example"))
        if new:
            user.set_password(DEMO_PASSWORD)
            user.branches = [branches[code] for code in codes]
        created += new

    for spec in COMPANIES:
        fields = dict(spec)
        prefix = fields.pop("customer_prefix")
        company, new = _get_or_create(Company, "name", fields)
        created += new
        for number, branch in enumerate(branches.values(), start=1):
            if company.customer_number_for(branch.id):
                continue
            company.customer_numbers.append(
                CustomerNumber(branch=branch, number=f"{prefix}{number:05d}"))
            created += 1

    db.session.commit()
    created += _seed_services(branches)
    created += _seed_processes(branches)
    created += _seed_article_order(branches)
    db.session.commit()  # no request around the seeding: it owns its transaction
    return created


def _sandbox_url(partner):
    """Where the demo's partner services point: the partner sandbox `make run` starts."""
    base = current_app.config.get("PARTNER_SANDBOX_URL") or "http://127.0.0.1:5010"
    return f"{base.rstrip('/')}/{partner}"


def _sandbox_smtp_port():
    """The port of the sandbox's mail sink, which `make run` starts beside the sandbox."""
    return str(current_app.config.get("PARTNER_SANDBOX_SMTP_PORT") or 5025)


def _company_id(name):
    return db.session.scalar(db.select(Company.id).where(Company.name == name))


def _seed_services(branches):
    """A few interface services so the demo's Schnittstellen screens are not empty: an SMTP
    server for the chain, a protected Dreve SmartOrder for one branch (pointing at the
    partner sandbox), a TSE on a workstation and an SMS service planned for later.
    Created through the same service layer as the screens, matched by name."""
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    dreve = db.session.scalar(db.select(Company).where(Company.name == "Dreve Otoplastik GmbH"))
    station = db.session.scalar(db.select(Workstation).where(Workstation.name == "ST-EMPFANG"))
    if admin is None or dreve is None:
        return 0
    for name, kind in CARD_DOCUMENTS:
        _get_or_create(DocumentTemplate, "name", dict(
            name=name, kind=kind, content=f"{name}: {{{{ name }}}}, {{{{ card_number }}}}"))
    today = interface_services.chain_today()
    egger = _company_id("egger Otoplastik + Labortechnik GmbH")
    hoerluchs = _company_id("Hörluchs")
    schwaben = _company_id("Otoplastik-Labor Schwaben")
    ohrform = _company_id("Ohrform Manufaktur")
    sandbox_login = {"username": "10001", "password": "sandbox", "api_key": "sandbox-key"}
    wanted = [
        # The sandbox's mail sink stands in for the chain's mail server (GET /_sandbox/mails).
        ("smtp", {"name": "Mailserver Zentrale"},
         {"host": "127.0.0.1", "port": _sandbox_smtp_port(), "encryption": "none",
          # The sink's demo account (sandbox/mail.py DEMO_USER, DEMO_PASSWORD).
          "username": "bestellungen@hoerwelt-demo.example", "password": "Demo-Mail-2026",
          "sender_address": "bestellungen@hoerwelt-demo.example", "sender_name": "Hörwelt Demo"}),
        ("dreve_smartorder", {"name": "Dreve SmartOrder Stuttgart",
                              "branch_id": branches["ST"].id, "protected": True},
         {"companies": [str(dreve.id)], "supplier": str(dreve.id),
          "base_url": _sandbox_url("dreve"), "username": "DRV-00001",
          "password": "Demo-Dreve-2026"}),
        ("egger_order_system", {"name": "Egger Bestellsystem"},
         {"companies": [str(egger)], "supplier": str(egger), "base_url": _sandbox_url("egger"),
          **sandbox_login}),
        # No supplier: staff choose one when ordering (seed 001, rule 4).
        ("hoerluchs_partner_order", {"name": "Hörluchs-Partner Bestell-System"},
         {"companies": [str(hoerluchs)], "base_url": _sandbox_url("hoerluchs"), **sandbox_login}),
        ("ear_mould_standard_order", {"name": "Bestellschein per E-Mail"},
         {"companies": [str(schwaben)], "supplier": str(schwaben), "delivery": "email",
          "order_template": "Bestellschein Otoplastik", "subject": "Otoplastikbestellung"}),
        ("ear_mould_command", {"name": "Bestellprogramm Ohrform Manufaktur",
                               "branch_id": branches["ST"].id},
         {"companies": [str(ohrform)], "supplier": str(ohrform), "program": str(ORDER_PROGRAM),
          "arguments": "--auftrag {auftragsdatei} --schluessel {idempotenzschluessel} "
                       f"--ablage {Path(current_app.instance_path) / 'ohrform-auftraege'}",
          "timeout": "30", "output_format": "json"}),
        # Audoora: "Jetzt registrieren" sends the demo chain to the sandbox's portal.
        ("audoora_order", {"name": "Audoora"},
         {"base_url": _sandbox_url("audoora"),
          "registration_email": "zentrale@hoerwelt-demo.example",
          "username": sandbox_login["username"], "password": sandbox_login["password"]}),
        # Customer cards: the sandbox's card provider with its test contract; a GOLD card
        # for customers (sent to them weekly) and a team card with a roller clip (monthly).
        ("card_order", {"name": "Kundenkarten", "usage_client": True},
         {"base_url": _sandbox_url("cards"), "contract_number": "10001",
          "contract_key": "sandbox-key", "templates": CARD_TEMPLATES}),
        # SiNNO: Anmelden logs the demo chain in at the sandbox's app API (Firmen-Nr. 70173);
        # the chat is synchronised through it.
        ("sinno_app", {"name": "SiNNO-App"},
         {"server": _sandbox_url("sinno") + "/v1", "client_id": "winpro",
          "company_number": "70173"}),
        ("sinno_chat", {"name": "SiNNO-Chat"}, {}),
        ("spryng_rest", {"name": "SMS (ab nächstem Monat)", "start_date": today + timedelta(days=30)},
         {"base_url": "https://rest.spryngsms.com/v1", "api_key": "demo-key-not-real",
          "country_code": "+49"}),
    ]
    if station is not None:
        wanted.append(("tse_swissbit", {"name": "TSE Empfang Stuttgart", "workstation_id": station.id},
                       {"drive_letter": "E:"}))
    created = 0
    for interface_key, data, raw in wanted:
        exists = db.session.scalar(db.select(InterfaceService.id).where(
            InterfaceService.name == data["name"]))
        if exists is None:
            try:
                interface_services.create_service(admin, interface_key, data, raw)
            except InvalidValues as refused:
                # The instance does not allow what it points at (see SETTINGS): the rest of
                # the demo still works without this one service.
                current_app.logger.warning(
                    "Demo service %r not created: %s", data["name"],
                    "; ".join(f"{key}: {message}" for key, message in refused.errors.items()))
                continue
            created += 1
    return created


# name, process type, steps ("*" marks the ordering step 'Bestellservice')
# name, process type, steps ("*" marks the ordering step 'Bestellservice', "+" the step
# 'Kundenkarte')
PROCESS_TEMPLATES = (
    ("Otoplastik", "ear_mould", ("Anamnese", "Abdrucknahme", "*Bestellservice", "Anpassung")),
    ("HG Versorgung", "hearing_aid", ("Anamnese", "Audiometrie", "Anpassung", "+Kundenkarte",
                                      "Nachkontrolle")),
)
# Per branch short code: (salutation, first name, last name, street, postal code, city, phone)
CUSTOMERS = {
    "ST": (("ms", "Erika", "Mustermann", "Hauptstätter Str. 40", "70178", "Stuttgart", "+49 711 555 1001"),
           ("mr", "Hans", "Hörgern", "Rotebühlstraße 89", "70178", "Stuttgart", "+49 711 555 1002"),
           ("ms", "Greta", "Gehörig", "Olgastraße 12", "70182", "Stuttgart", "")),
    "ES": (("mr", "Karl", "Klangvoll", "Ritterstraße 5", "73728", "Esslingen am Neckar", "+49 711 555 2001"),
           ("ms", "Lotte", "Lauscher", "Heugasse 3", "73728", "Esslingen am Neckar", "")),
    "LB": (("mr", "Otto", "Ohrenschmaus", "Seestraße 14", "71638", "Ludwigsburg", "+49 7141 555 3001"),
           ("ms", "Frieda", "Feinohr", "Myliusstraße 2", "71638", "Ludwigsburg", "")),
}
# Customers who can be given SiNNO app access (Kundenfreischaltung needs a mobile number);
# the sandbox's app writes as them by this number (README: Try SiNNO).
APP_MOBILES = {("Erika", "Mustermann"): "+49 170 5551001"}
# The Otoplastik process of the first Stuttgart customer: one mould per side.
POSITIONS = (
    dict(side="left", style="Concha", material="Acryl hart", venting=1.0, colour="transparent",
         impression_ref="ABD-2026-0001"),
    dict(side="right", style="Concha", material="Acryl hart", venting=1.0, colour="transparent",
         impression_ref="ABD-2026-0002"),
)


def _seed_processes(branches):
    """Process templates, a few customers per branch and one Otoplastik process with a left
    and a right position, made through the services the screens use (numbers, copied steps,
    change log); matched by name. When the templates are new, the first branch gets Dreve as
    its ear-mould lab (unless it has one), so that clearing it later survives a re-run."""
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    if admin is None:
        return 0
    created = 0
    templates, new_templates = {}, False
    for name, process_type, steps in PROCESS_TEMPLATES:
        template = db.session.scalar(db.select(ProcessTemplate).where(ProcessTemplate.name == name))
        if template is None:
            template = process_services.create_template(
                admin, dict(name=name, process_type=process_type, active=True))
            for step in steps:
                kind, step_name = ((ORDER_SERVICE, step[1:]) if step.startswith("*") else
                                   (CUSTOMER_CARD, step[1:]) if step.startswith("+") else
                                   (STEP, step))
                process_services.add_template_step(admin, template, step_name, kind)
            created += 1 + len(steps)
            new_templates = True
        templates[name] = template

    first_customer = None
    for code, people in CUSTOMERS.items():
        branch = branches[code]
        for salutation, first, last, street, postal_code, city, phone in people:
            customer = db.session.scalar(db.select(Customer).where(
                Customer.branch_id == branch.id, Customer.first_name == first,
                Customer.last_name == last))
            if customer is None:
                customer = customer_services.create_customer(admin, dict(
                    salutation=salutation, first_name=first, last_name=last, street=street,
                    postal_code=postal_code, city=city, phone=phone,
                    mobile=APP_MOBILES.get((first, last), ""),
                    email=f"{first.lower()}.{last.lower()}@kunde.example".replace("ö", "oe"),
                    note="", branch_id=branch.id))
                created += 1
            first_customer = first_customer or customer

    exists = db.session.scalar(db.select(Process.id).where(
        Process.customer_id == first_customer.id, Process.title == "Otoplastik"))
    if exists is None:
        process = process_services.create_process(admin, first_customer, templates["Otoplastik"].id,
                                                  first_customer.branch_id)
        for position in POSITIONS:
            process_services.create_position(admin, process, dict(position, notes=""))
        created += 1 + len(POSITIONS)

    # A hearing-aid fitting of Hans Hörgern, whose step Kundenkarte orders his GOLD card.
    hans = db.session.scalar(db.select(Customer).where(Customer.first_name == "Hans",
                                                       Customer.last_name == "Hörgern"))
    if hans is not None and db.session.scalar(db.select(Process.id).where(
            Process.customer_id == hans.id, Process.title == "HG Versorgung")) is None:
        process_services.create_process(admin, hans, templates["HG Versorgung"].id,
                                        hans.branch_id)
        created += 1

    dreve = db.session.scalar(db.select(Company).where(Company.name == "Dreve Otoplastik GmbH"))
    first_branch = branches[BRANCHES[0]["short_code"]]
    if new_templates and dreve is not None and first_branch.ear_mould_lab_id is None:
        first_branch.ear_mould_lab_id = dreve.id
        db.session.commit()
    return created


# The card service's templates (Vorlagen zur Kartenbestellung) and the document templates
# they name (Stammdaten → Dokumentvorlagen).
CARD_DOCUMENTS = (("Kundenkarte GOLD", "card_layout"), ("Mitarbeiterkarte", "card_layout"),
                  ("Anschreiben Kundenkarte", "cover_letter"))
CARD_TEMPLATES = [
    {"name": "GOLD", "ship_to": "customer", "shipping_interval": "weekly",
     "card_template": "Kundenkarte GOLD", "cover_letter": "Anschreiben Kundenkarte",
     "card_type": "nfc_rfid", "card_kind": "customer_card", "gift_box": True,
     "comment": "Hörwelt Treueprogramm"},
    {"name": "TEAM", "ship_to": "ordering_branch", "shipping_interval": "monthly",
     "card_template": "Mitarbeiterkarte", "card_type": "chip", "card_kind": "employee_card",
     "roller_clip": True},
]


# An article order of Stuttgart for Signia, to order through Audoora once the chain is
# registered: the batteries are in the portal's catalogue, the cleaning set is not, so
# "Bestellen" opens the cart, where it is removed (or another number entered).
ARTICLE_ORDER = dict(supplier="Signia GmbH", note="Demo: Batterien und Reinigungsset",
                     lines=(("SIG-312", "Batterien 312 (60 Stück)", 2),
                            ("", "Reinigungsset XL", 1)))


def _seed_article_order(branches):
    """The demo's article order, once: matched by its note."""
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    supplier = db.session.scalar(db.select(Company).where(
        Company.name == ARTICLE_ORDER["supplier"]))
    if admin is None or supplier is None or db.session.scalar(
            db.select(Order.id).where(Order.note == ARTICLE_ORDER["note"])) is not None:
        return 0
    ordering_services.create_article_order(admin, branches["ST"].id, supplier.id,
                                           ARTICLE_ORDER["lines"], ARTICLE_ORDER["note"])
    return 1


def _get_or_create(model, key, fields):
    record = db.session.scalar(db.select(model).where(getattr(model, key) == fields[key]))
    if record is not None:
        return record, False
    record = model(**fields)
    if hasattr(record, "updated_by"):
        record.updated_by = EDITOR
    db.session.add(record)
    db.session.flush()
    return record, True
