"""Seed a throwaway database for the benchmark: branches, workstations, companies, users,
interface services spread over interface types and scopes, and change-log entries — with bulk
inserts, since creating 10,000 services one by one through the services would take minutes.

The services still follow the catalogue's rules: every interface type only at the scopes it
allows, one service per type and scope (so the unique slots never clash), field values that
the field parser accepts (each type's values are parsed once), companies at most once per
exclusive slot, protected services only of types a workstation cannot have, and unique and
exclusive slots computed by the interface services' own helpers. With the default counts:
every chain-capable type once at the chain, every branch-capable type once in each of the 50
branches, and the rest spread evenly over the 500 workstations, rotating through the
workstation-capable types. The customer-card services ("card_order") have four card templates
whose document templates exist (Stammdaten → Dokumentvorlagen), as every document template a
service names does.

Beside them: customers spread over the branches, and ear-mould orders (two per process, one
per side, each with its delivery row in the outbound engine) over the last two years.
"""
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import insert, update

from webapp import programs
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import Company
from webapp.customers.models import Customer
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.interfaces import catalogue
from webapp.interfaces import services as interface_services
from webapp.interfaces import values as field_values
from webapp.interfaces.models import InterfaceService, ServiceCompany, ServiceSecret
from webapp.ordering.models import ORDER_KIND, ORDER_SUBJECT, Order
from webapp.org.models import Branch, Chain, Workstation
from webapp.outbound.models import Outbound
from webapp.processes.models import EarMouldPosition, Process
from webapp.users.models import User, user_branches

ADMIN_USERNAME = "bench-admin"
ADMIN_PASSWORD = "Bench-Passwort-1"
COMPANIES = 40
USERS = 20
CHUNK = 5000

# Raw input tried in turn for a field without a default until the field parser accepts one.
CANDIDATES = {
    "text": ("partner.example.org", "123456789", "1234567", "12345", "DE89370400440532013000",
             "E:", "+49", "DE",
             "https://partner.example/?q={adresse}", "https://partner.example/{sendungsnummer}",
             "Wert", "COM1"),
    "number": ("1", "5", "30", "100"),
    "choice": (),  # the first choice
    "bool": ("n",),
    "date": (),  # today
    "path": ("C:\\Export", "/srv/export", "C:\\Programme\\Partner\\partner.exe"),
    "url": ("https://partner.example/api", "ldaps://ldap.example.org"),
    "host": ("partner.example.org",),
    "email": ("bench@example.org",),
    "secret": ("123456", "Geheim-123"),
    "document_template": ("Standardvorlage",),
}

# The service whose editor the benchmark opens: a customer-card service at the chain, with a
# table of card templates (Vorlagen zur Kartenbestellung). Each row's Dokumentvorlage and
# Anschreiben name a document template the seed creates.
EDITED = "card_order"
CARD_TEMPLATE_ROWS = (
    {"name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "weekly",
     "card_template": "Karte BASIS", "card_type": "chip", "card_kind": "customer_card"},
    {"name": "GOLD", "ship_to": "customer_branch", "shipping_interval": "monthly",
     "card_template": "Karte GOLD", "card_type": "chip", "card_kind": "customer_card",
     "validity_required": "y", "comment": "Goldene Prägung"},
    {"name": "PLATIN", "ship_to": "customer", "shipping_interval": "daily",
     "card_template": "Karte PLATIN", "cover_letter": "Anschreiben Kundenkarte",
     "card_type": "nfc_rfid", "card_kind": "customer_card", "gift_box": "y"},
    {"name": "TEAM", "ship_to": "ordering_branch", "shipping_interval": "weekly",
     "card_template": "Mitarbeiterkarte", "card_type": "chip", "card_kind": "employee_card",
     "roller_clip": "y"},
)
FIRST_NAMES = ("Erika", "Max", "Anna", "Paul", "Sophie", "Jonas", "Marie", "Lukas", "Emma",
               "Felix", "Hanna", "Leon", "Lea", "Noah", "Mia", "Elias")
LAST_NAMES = ("Mustermann", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
              "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf",
              "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann")
# Order.status with its delivery's state, by weight: most orders are long delivered.
# Orders when no ear-mould ordering service is seeded (tiny counts): the standard process.
STANDARD = {"interface_key": "ear_mould_standard_order", "name": "Standard Bestellprozess"}
ORDER_STATES = (("delivered", "done", 45), ("confirmed", "done", 25), ("ordered", "done", 22),
                ("error", "failed", 4), ("cancelled", "cancelled", 3), ("created", "pending", 1))


@dataclass
class Seeded:
    """What the benchmark needs to know about the seeded data."""

    admin_username: str
    admin_password: str
    workstation_id: int  # a workstation with services of its own, its branch's and the chain's
    branch_id: int
    counts: dict
    card_service_id: int | None = None  # the chain's customer-card service (a table field)


# The data's size: the same options for the benchmark (bench.run) and the profile
# (bench.profile), which must seed alike to be compared.
DATA_OPTIONS = (("branches", 50), ("workstations", 500), ("services", 10_000),
                ("changes", 200_000), ("customers", 50_000), ("orders", 20_000))


def add_data_options(parser):
    """--branches --workstations --services --changes --customers --orders, with the
    defaults of seed()."""
    for name, default in DATA_OPTIONS:
        parser.add_argument(f"--{name}", type=int, default=default)


def seed_from(args):
    """seed() with the sizes that add_data_options() parsed into `args`."""
    return seed(**{name: getattr(args, name) for name, _default in DATA_OPTIONS})


def seed(*, branches=50, workstations=500, services=10_000, changes=200_000, customers=50_000,
         orders=20_000, seed=1):
    """Fill the (empty) database of the current app context; returns Seeded."""
    rng = random.Random(seed)
    if db.session.get(Chain, 1) is None:
        db.session.add(Chain(id=1, name="Hörwelt Bench", timezone="Europe/Berlin"))
    branch_ids = _insert_ids(Branch, [
        {"name": f"Filiale {number:03d}", "short_code": f"F{number:03d}",
         "city": f"Stadt {number}", "office_email": f"filiale{number}@example.org"}
        for number in range(1, branches + 1)])
    station_rows = [{"name": f"ws-{number:04d}", "branch_id": branch_ids[number % branches]}
                    for number in range(workstations)]
    station_ids = _insert_ids(Workstation, station_rows)
    station_branch = {sid: row["branch_id"] for sid, row in zip(station_ids, station_rows)}
    company_ids = _insert_ids(Company, [
        {"name": f"Lieferant {number:02d}", "is_supplier": True, "is_manufacturer": True,
         "is_lab": True} for number in range(1, COMPANIES + 1)])
    user_ids = _users(branch_ids)
    db.session.commit()

    templates = _templates(company_ids)
    _documents(templates)
    service_rows, secrets, links = _plan(templates, branch_ids, station_ids, services, rng)
    service_ids = _insert_ids(InterfaceService, service_rows)
    for rows in (secrets, links):
        for row in rows:
            row["service_id"] = service_ids[row.pop("index")]
    _insert_many(ServiceSecret, secrets)
    _insert_many(ServiceCompany, links)
    db.session.commit()

    branch_names = dict(db.session.execute(db.select(Branch.id, Branch.name)).all())
    _changes(rng, changes, service_rows, service_ids, station_branch, branch_names, user_ids)
    db.session.commit()

    customer_ids = _customers(rng, customers, branch_ids)
    db.session.commit()
    _orders(rng, orders, customer_ids, company_ids, service_rows, service_ids)
    db.session.commit()

    card_service_id = next((service_ids[index] for index, row in enumerate(service_rows)
                            if row["interface_key"] == EDITED and row["branch_id"] is None
                            and row["workstation_id"] is None), None)
    own = {}
    for row in service_rows:
        if row["workstation_id"] is not None:
            own[row["workstation_id"]] = own.get(row["workstation_id"], 0) + 1
    station_id = max(own, key=own.get) if own else station_ids[0]
    return Seeded(ADMIN_USERNAME, ADMIN_PASSWORD, station_id, station_branch[station_id], {
        "branches": branches, "workstations": workstations, "services": len(service_rows),
        "changes": changes, "customers": len(customer_ids), "orders": orders},
        card_service_id)


def _insert_ids(model, rows):
    """Bulk insert; the new ids in the order of `rows`."""
    if not rows:
        return []
    return list(db.session.scalars(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _insert_many(model, rows):
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def _users(branch_ids):
    """The benchmark's admin (with a password) and users of every role to sign the changes."""
    admin = User(username=ADMIN_USERNAME, name="Bench Admin", role="admin")
    admin.set_password(ADMIN_PASSWORD)
    db.session.add(admin)
    db.session.flush()
    others = _insert_ids(User, [
        {"username": f"user{number:02d}", "name": f"Mitarbeiter {number:02d}",
         "role": "branch_manager" if number % 4 == 0 else "staff"}
        for number in range(1, USERS)])
    db.session.execute(insert(user_branches), [
        {"user_id": user_id, "branch_id": branch_ids[number % len(branch_ids)]}
        for number, user_id in enumerate(others)])
    return [admin.id, *others]


@dataclass
class _Template:
    """One interface type's valid values, parsed once."""

    interface: object
    group_key: str
    stored: dict
    secrets: dict
    companies: dict  # {field key: [company ids]}
    typed: dict


def _templates(company_ids):
    """{interface key: _Template}, in catalogue order. Company fields name a different
    company for each type, so no two types of a group share one in a scope."""
    found = {}
    number = 0
    for group in catalogue.load():
        for interface in group.interfaces:
            company = company_ids[number % len(company_ids)]
            number += 1
            raw = _raw(interface, company)
            if interface.key == EDITED:
                raw.update(_card_templates(interface))
            parsed = field_values.parse(interface, raw)
            if parsed.errors:
                raise ValueError(f"bench: no valid values for {interface.key}: {parsed.errors}")
            found[interface.key] = _Template(
                interface, group.key, field_values.to_storage(interface, parsed.values),
                parsed.secrets, field_values.company_ids(interface, parsed.values), parsed.values)
    return found


def _raw(interface, company_id):
    raw = {}
    for spec in interface.fields:
        if spec.kind in ("company", "supplier"):
            raw[spec.key] = [str(company_id)] if spec.multiple else str(company_id)
            continue
        if spec.default is None and spec.required:
            raw[spec.key] = _candidate(spec)
    for table in interface.tables:
        if table.min_rows:
            raw[table.key] = [{spec.key: _candidate(spec) for spec in table.fields}
                              for _row in range(table.min_rows)]
    defaults = field_values.form_data(interface)  # as a new service's form sends them
    for spec in interface.fields:
        if spec.default is not None and spec.key not in raw:
            raw[spec.key] = defaults[spec.key]
    return raw


def _card_templates(interface):
    """The customer-card service as its form posts it once the provider has sent contract and
    key, with four card templates."""
    (table,) = interface.tables
    return {"base_url": "https://karten.example.org", "contract_number": "KV-100234",
            "contract_key": "Geheim-123", table.key: [dict(row) for row in CARD_TEMPLATE_ROWS]}


def _documents(templates):
    """The document templates every seeded service names (fields and table cells), of the
    kind the field asks for."""
    wanted = {}
    for template in templates.values():
        interface, stored = template.interface, template.stored
        for spec in interface.fields:
            if spec.kind == "document_template" and stored.get(spec.key):
                wanted.setdefault(stored[spec.key], spec.document_kind or "other")
        for table in interface.tables:
            for row in stored.get(table.key) or ():
                for spec in table.fields:
                    if spec.kind == "document_template" and row.get(spec.key):
                        wanted.setdefault(row[spec.key], spec.document_kind or "other")
    _insert_many(DocumentTemplate, [
        {"name": name, "kind": kind, "content": "{{ name }}", "updated_by": "Bench Admin"}
        for name, kind in sorted(wanted.items())])


def _candidate(spec):
    if spec.kind == "choice":
        return spec.choices[0][0]
    if spec.kind == "date":
        return date.today().isoformat()
    if spec.kind == "program":  # one the operator allows (bench/run.py allows the demo's)
        return next(iter(programs.allowed_paths(current_app.config)), None) or "-"
    for text in CANDIDATES.get(spec.kind, ()):
        _value, problem = field_values.parse_value(spec, text)
        if problem is None:
            return text
    raise ValueError(f"bench: no candidate value fits the field {spec.key!r} ({spec.kind})")


def _plan(templates, branch_ids, station_ids, total, rng):
    """Service rows (plus secret and company-link rows keyed by row index), most of them at
    workstations; at most `total`."""
    chain_types = [t for t in templates.values() if "chain" in t.interface.scopes]
    branch_types = [t for t in templates.values() if "branch" in t.interface.scopes]
    station_types = [t for t in templates.values() if "workstation" in t.interface.scopes]
    # Protecting a branch service blocks that type at its workstations; only protect types a
    # workstation cannot have, so the seeded data never contradicts protection.
    protectable = {t.interface.key for t in branch_types if "workstation" not in t.interface.scopes}
    # The edited service and what it requires come first, so small counts keep them.
    first = {EDITED, *templates[EDITED].interface.requires} if EDITED in templates else set()
    chain_types.sort(key=lambda t: t.interface.key not in first)
    places = [(t, None, None) for t in chain_types]
    places += [(t, branch_id, None) for branch_id in branch_ids for t in branch_types]
    room = max(total - len(places), 0)
    per_station = -(-room // len(station_ids)) if station_ids else 0
    for index, station_id in enumerate(station_ids):
        for offset in range(min(per_station, len(station_types))):
            places.append((station_types[(index + offset) % len(station_types)], None, station_id))
    places = places[:total]

    rows, secrets, links = [], [], []
    today = date.today()
    for index, (template, branch_id, station_id) in enumerate(places):
        interface = template.interface
        token = (f"w{station_id}" if station_id is not None
                 else f"b{branch_id}" if branch_id is not None else "chain")
        start = None
        if rng.random() < 0.05:
            start = today + timedelta(days=rng.randint(1, 90))
        rows.append({
            "interface_key": interface.key, "group_key": template.group_key,
            "name": f"{interface.name_de[:90]} {token}", "branch_id": branch_id,
            "workstation_id": station_id,
            "usage_server": "server" in interface.default_usages,
            "usage_client": "client" in interface.default_usages,
            "start_date": start,
            "protected": branch_id is not None and interface.key in protectable
            and rng.random() < 0.1,
            "enabled": rng.random() > 0.02, "values": template.stored,
            "unique_slot": interface_services.unique_slot_of(interface, token, template.typed),
            "updated_by": "Bench Admin",
        })
        secrets += [{"index": index, "field_key": key, "value": value}
                     for key, value in template.secrets.items() if value is not None]
        links += [{"index": index, "field_key": key, "company_id": company_id,
                   "exclusive_slot": interface_services.exclusive_slot_of(interface, key, token)}
                  for key, ids in template.companies.items() for company_id in ids]
    return rows, secrets, links


ACTIONS = (("update", 70), ("create", 20), ("copy", 3), ("delete", 5), ("reveal", 2))


def _changes(rng, count, service_rows, service_ids, station_branch, branch_names, user_ids):
    """`count` change-log entries over the last three years (inside the retention)."""
    now = datetime.now(timezone.utc)
    span = int(timedelta(days=3 * 365 - 2).total_seconds())
    actions = [action for action, weight in ACTIONS for _ in range(weight)]
    users = [(user_id, "Bench Admin" if number == 0 else f"Mitarbeiter {number:02d}")
             for number, user_id in enumerate(user_ids)]
    branch_ids = list(branch_names)
    stations = list(station_branch)
    rows = []
    for _ in range(count):
        action = rng.choice(actions)
        user_id, user_name = rng.choice(users)
        kind = rng.random()
        if kind < 0.7 and service_rows:
            index = rng.randrange(len(service_rows))
            row = service_rows[index]
            branch_id = row["branch_id"] or station_branch.get(row["workstation_id"])
            entity = ("interface_service", service_ids[index], row["name"])
            fields = [spec.key for spec in catalogue.get_interface(row["interface_key"]).fields]
        elif kind < 0.85:
            station_id = rng.choice(stations)
            branch_id = station_branch[station_id]
            entity = ("workstation", station_id, f"ws-{station_id:04d}")
            fields = ["name", "description"]
        elif kind < 0.95:
            branch_id = rng.choice(branch_ids)
            entity = ("branch", branch_id, branch_names[branch_id])
            fields = ["city", "street", "office_email", "office_phone"]
        else:
            branch_id = None
            entity = ("user", rng.choice(user_ids), "Mitarbeiter")
            fields = ["email", "phone", "password"]
        changes = []
        if action in ("update", "create", "copy") and fields:
            for key in rng.sample(fields, min(len(fields), rng.randint(1, 3))):
                if key in ("password", "api_key") or action == "reveal":
                    changes.append({"field": key, "secret": True})
                else:
                    changes.append({"field": key, "old": None if action != "update" else
                                    f"alt {rng.randint(1, 999)}", "new": f"neu {rng.randint(1, 999)}"})
        elif action == "reveal":
            changes.append({"field": "password", "secret": True})
        rows.append({
            "at": now - timedelta(seconds=rng.randint(60, span)),
            "user_id": user_id, "user_name": user_name, "entity_type": entity[0],
            "entity_id": entity[1], "entity_label": entity[2], "action": action,
            "branch_id": branch_id, "branch_name": branch_names.get(branch_id, ""),
            "changes": changes,
        })
        if len(rows) == CHUNK:
            db.session.execute(insert(ChangeLogEntry), rows)
            rows = []
    if rows:
        db.session.execute(insert(ChangeLogEntry), rows)


def _customers(rng, count, branch_ids):
    """`count` customers spread over the branches; their numbers as the app derives them."""
    ids = []
    for start in range(0, count, CHUNK):
        ids += _insert_ids(Customer, [{
            "branch_id": branch_ids[number % len(branch_ids)],
            "salutation": rng.choice(("Frau", "Herr", "")),
            "first_name": rng.choice(FIRST_NAMES), "last_name": rng.choice(LAST_NAMES),
            "street": f"Hauptstraße {number % 200 + 1}",
            "postal_code": f"{10000 + number % 89999}",
            "city": f"Stadt {number % len(branch_ids) + 1}", "phone": f"+49 30 {number:07d}",
            "email": f"kunde{number}@example.org", "updated_by": "Bench Admin",
        } for number in range(start, min(count, start + CHUNK))])
    _update_many(Customer, [{"id": cid, "number": f"K-{cid:06d}"} for cid in ids])
    return ids


def _orders(rng, count, customer_ids, company_ids, service_rows, service_ids):
    """`count` ear-mould orders over the last two years, oldest first: two per process (left
    and right), each routed to an ear-mould ordering service, with its delivery row."""
    if not count or not customer_ids:
        return
    services = [(service_ids[index], row) for index, row in enumerate(service_rows)
                if row["group_key"] == "ear_mould_ordering"]
    customer_branch = dict(db.session.execute(db.select(Customer.id, Customer.branch_id)).all())
    now = datetime.now(timezone.utc)
    span = int(timedelta(days=2 * 365).total_seconds())
    times = sorted(now - timedelta(seconds=rng.randint(60, span)) for _ in range((count + 1) // 2))
    states = [(status, state) for status, state, weight in ORDER_STATES for _ in range(weight)]
    for start in range(0, len(times), CHUNK // 2):
        batch = times[start:start + CHUNK // 2]
        processes = [{"customer_id": rng.choice(customer_ids), "process_type": "ear_mould",
                      "title": "Otoplastik", "updated_by": "Bench Admin"} for _ in batch]
        for row in processes:
            row["branch_id"] = customer_branch[row["customer_id"]]
        process_ids = _insert_ids(Process, processes)
        positions = [{"process_id": pid, "side": side, "style": "Vollschale",
                      "material": "Silikon 40 Shore", "venting": 1.0, "colour": "transparent",
                      "impression_ref": f"ABD-{side[0].upper()}-{pid}",
                      "updated_by": "Bench Admin"}
                     for pid in process_ids for side in ("left", "right")]
        position_ids = _insert_ids(EarMouldPosition, positions)
        orders, deliveries = [], []
        for number, position_id in enumerate(position_ids):
            if start * 2 + number >= count:
                break
            process = processes[number // 2]
            at = batch[number // 2]
            status, state = rng.choice(states)
            service_id, service = rng.choice(services) if services else (None, STANDARD)
            company_id = rng.choice(company_ids)
            orders.append({
                "order_type": "ear_mould", "branch_id": process["branch_id"],
                "supplier_id": company_id, "company_id": company_id, "service_id": service_id,
                "interface_key": service["interface_key"], "service_name": service["name"],
                "process_id": positions[number]["process_id"], "position_id": position_id,
                "status": status, "ordered_at": at, "ordered_by": "Bench Admin",
                "external_number": f"EXT-{start * 2 + number:07d}"
                if status in ("ordered", "confirmed", "delivered") else "",
                "error_message": "Der Partner lehnt die Bestellung ab."
                if status == "error" else "",
                "created_at": at, "updated_at": at, "updated_by": "Bench Admin",
            })
            deliveries.append((state, at))
        order_ids = _insert_ids(Order, orders)
        _update_many(Order, [{"id": oid, "number": f"B-{row['ordered_at']:%Y}-{oid:06d}"}
                             for oid, row in zip(order_ids, orders)])
        _insert_many(Outbound, [{
            "kind": ORDER_KIND, "subject_type": ORDER_SUBJECT, "subject_id": oid,
            "exclusive_key": f"order:{oid}",
            "idempotency_key": str(uuid.UUID(int=rng.getrandbits(128))),
            "state": state, "attempts": 0 if state == "pending" else 1, "next_attempt_at": at,
            "requested_by": "Bench Admin", "progress": {}, "created_at": at,
            "started_at": None if state == "pending" else at,
            "finished_at": None if state == "pending" else at + timedelta(seconds=2),
            "last_error": "abgelehnt" if state == "failed" else "",
        } for oid, (state, at) in zip(order_ids, deliveries)])


def _update_many(model, rows):
    """Bulk UPDATE by primary key."""
    for start in range(0, len(rows), CHUNK):
        db.session.execute(update(model), rows[start:start + CHUNK])
