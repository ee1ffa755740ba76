"""The permission table of docs/permissions.md, driven over every route of the app: who reads
what (a refused read is a 404, so it does not reveal the record), and that no POST by someone
who may not change a record changes anything. A route missing from the table fails the test,
so a new screen gets its row here and in the docs."""
import pytest
from sqlalchemy import text

from tests.factories import new_process
from webapp.customers.models import Customer
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.interfaces import catalogue
from webapp.interfaces.rollout_models import Rollout
from webapp.notifications.models import Notification
from webapp.ordering.models import Order
from webapp.org.models import BranchOrganisation
from webapp.org.services import get_chain

ROLES = ("admin", "manager", "staff")
OWN, OTHER, CHAIN = "own", "other", "chain"

# What each GET route shows, and to whom: endpoint → (records it is asked for, rule).
# Rules: "everyone" (any logged-in user), "admin" (403 for the others), "manager" (admins and
# branch managers; 403 for staff), "branch-edit" (a change screen: admins all; branch managers
# their branches' records, 403 for the chain's; staff 403; 404 where they do not read), "branch"
# (admins all; others only their branches' and the chain's, 404 otherwise), "customer"
# (chain-wide unless the chain keeps customers to their
# branches), "customer-work" (working on a process: admins, and the users of its branch; 403
# for the others), "customer-delete" (admins and the customer's branch managers), "public" (no
# login needed).
READS = {
    "main.index": ((None,), "everyone"),
    "main.health": ((None,), "public"),
    "main.ready": ((None,), "public"),
    "main.help_get": ((None,), "everyone"),  # Hilfe (F1): each screen's help, no record
    "auth.login_get": ((None,), "public"),
    "auth.oidc_login": ((None,), "public"),
    "auth.oidc_callback": ((None,), "public"),
    "users.account_get": ((None,), "everyone"),
    "auth.locks_get": ((None,), "admin"),
    "org.chain_get": ((None,), "everyone"),
    "org.branches": ((None,), "everyone"),
    "org.branch_get": ((OWN, OTHER), "everyone"),
    "org.branch_new_get": ((None,), "everyone"),
    "org.branch_delete_get": ((OWN, OTHER), "admin"),
    # Filialorganisationen: chain-wide groups of branches, everyone reads them.
    "org.organisations": ((None,), "everyone"),
    "org.organisation_get": ((OWN,), "everyone"),
    "org.organisation_new_get": ((None,), "admin"),
    "org.organisation_delete_get": ((OWN,), "admin"),
    "org.workstations": ((None,), "everyone"),
    "org.workstation_get": ((OWN, OTHER), "branch"),
    "org.workstation_new_get": ((None,), "everyone"),
    "org.workstation_delete_get": ((OWN, OTHER), "branch"),
    "effective.workstation_get": ((OWN, OTHER), "branch"),
    "effective.branch_get": ((OWN, OTHER), "branch"),
    "interfaces.export_chain_get": ((None,), "everyone"),  # Konfiguration exportieren
    "interfaces.export_branch_get": ((OWN, OTHER), "branch"),
    "interfaces.export_workstation_get": ((OWN, OTHER), "branch"),
    "interfaces.import_get": ((None,), "admin"),
    "users.users": ((None,), "everyone"),
    "users.user_get": ((OWN,), "everyone"),
    "users.user_new_get": ((None,), "admin"),
    "users.user_delete_get": ((OWN,), "admin"),
    "companies.companies": ((None,), "everyone"),
    "companies.company_get": ((OWN,), "everyone"),
    "companies.company_new_get": ((None,), "everyone"),
    "companies.company_delete_get": ((OWN,), "admin"),
    "documents.documents": ((None,), "everyone"),
    "documents.document_get": ((OWN,), "everyone"),
    "documents.document_new_get": ((None,), "everyone"),
    "documents.document_delete_get": ((OWN,), "admin"),
    "documents.file_get": ((OWN,), "everyone"),
    "documents.picker_get": ((None,), "everyone"),  # a redirect to the list without htmx
    "documents.picker_results_get": ((None,), "everyone"),
    "directory.settings_get": ((None,), "everyone"),  # a redirect to Schnittstellen
    "changelog.entries": ((None,), "manager"),
    "changelog.entries_csv": ((None,), "manager"),
    # Vergleichen / Diesen Stand wiederherstellen (issue 18)
    "changelog.service_versions_get": ((OWN, OTHER, CHAIN), "log"),
    "changelog.branch_versions_get": ((OWN, OTHER), "log"),
    "changelog.workstation_versions_get": ((OWN, OTHER), "log"),
    "changelog.service_restore_get": ((OWN, OTHER, CHAIN), "log-edit"),
    "changelog.branch_restore_get": ((OWN, OTHER), "log-edit"),
    "changelog.workstation_restore_get": ((OWN, OTHER), "log-edit"),
    "interfaces.list_get": ((None, OWN, OTHER), "branch"),
    "interfaces.edit_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.copy_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.delete_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.history_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.action_status_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.action_history_get": ((OWN, OTHER, CHAIN), "branch"),
    "interfaces.credential_plan_get": ((OWN, OTHER, CHAIN), "branch-edit"),
    # Auf Filialen übertragen: administrators only, from any chain or branch service.
    "interfaces.rollout_form_get": ((OWN, OTHER, CHAIN), "admin"),
    "interfaces.rollouts_get": ((None,), "admin"),
    "interfaces.rollout_get": ((OWN,), "admin"),
    "interfaces.help_get": ((None,), "everyone"),
    "interfaces.new_get": ((None, OWN, OTHER), "branch"),
    "interfaces.new_form_get": ((None, OWN, OTHER), "branch"),
    "interfaces.choices_get": ((None, OWN, OTHER), "branch"),
    "interfaces.row_get": ((None,), "everyone"),
    "interfaces.health_get": ((None,), "everyone"),
    "customers.customers": ((None,), "everyone"),
    "customers.customer_get": ((OWN, OTHER), "customer"),
    "customers.customer_new_get": ((None,), "everyone"),
    "customers.customer_delete_get": ((OWN, OTHER), "customer-delete"),
    "processes.customer_processes_get": ((OWN, OTHER), "customer"),
    "processes.process_new_get": ((OWN, OTHER), "customer"),
    "processes.process_get": ((OWN, OTHER), "customer"),
    "cards.step_get": ((OWN, OTHER), "customer"),
    "cards.customer_cards_get": ((OWN, OTHER), "customer"),
    "cards.employee_get": ((OWN,), "admin"),
    "processes.positions_get": ((OWN, OTHER), "customer"),
    "processes.position_get": ((OWN, OTHER), "customer"),
    "processes.position_new_get": ((OWN, OTHER), "customer"),
    "processes.position_delete_get": ((OWN, OTHER), "customer-work"),
    "processes.templates": ((None,), "everyone"),
    "processes.template_get": ((OWN,), "everyone"),
    "processes.template_new_get": ((None,), "everyone"),
    "processes.template_delete_get": ((OWN,), "admin"),
    "ordering.step_get": ((OWN, OTHER), "customer"),
    "ordering.process_orders_get": ((OWN, OTHER), "customer"),
    "ordering.orders": ((None,), "everyone"),
    "ordering.orders_csv": ((None,), "everyone"),
    "ordering.new_order_get": ((None,), "everyone"),
    "ordering.order_get": ((OWN, OTHER), "branch"),
    "ordering.cancel_get": ((OWN, OTHER), "branch"),
    "ordering.status_get": ((OWN, OTHER), "branch"),
    "ordering.statuses_get": ((None,), "everyone"),  # a list's poll: leaves out orders not read
    "ordering.document_get": ((OWN, OTHER), "branch"),
    "notifications.list_get": ((None,), "everyone"),  # SiNNO: everyone's own notifications
    "notifications.badge_get": ((None,), "everyone"),
    "sinno.chats_get": ((None,), "everyone"),  # SiNNO: the conversations of customers read
    "sinno.customer_app_get": ((OWN, OTHER), "customer"),
    "operations.index": ((None,), "admin"),  # Verwaltung → Betrieb
    "operations.outbound_get": ((None,), "admin"),
}
# GET routes that show no record: the app's static files.
NOT_PAGES = {"static"}


def expected(rule, role, scope, customers_by_branch=False):
    """The status `role` gets for a record of `scope` under `rule` (200: it reads it)."""
    if rule in ("public", "everyone"):
        return 200
    if rule == "admin":
        return 200 if role == "admin" else 403
    if rule == "manager":
        return 200 if role in ("admin", "manager") else 403
    if rule == "branch":
        return 404 if scope == OTHER and role != "admin" else 200
    if rule in ("log", "log-edit"):  # one record in the change log: compare (log), restore
        if role == "staff":
            return 403
        if role == "manager" and scope == OTHER:
            return 404
        return 403 if rule == "log-edit" and role == "manager" and scope == CHAIN else 200
    if rule == "branch-edit":  # a change screen of a record: where one may change it
        if role == "admin":
            return 200
        if scope == OTHER:
            return 404
        return 200 if role == "manager" and scope == OWN else 403
    if rule.startswith("customer"):
        if role == "admin":
            return 200
        if scope == OTHER:
            if customers_by_branch:
                return 404
            return 403 if rule != "customer" else 200
        return 403 if rule == "customer-delete" and role == "staff" else 200
    raise AssertionError(rule)


@pytest.fixture
def records(app, world, make_service):
    """One record of each kind in Stuttgart (own: maria's and sam's branch), in Ulm (other)
    and chain-wide, as URL arguments per endpoint argument name."""
    chain_service = make_service("smtp", name="Mail Kette")
    st_service = make_service("smtp", name="Mail ST", branch_id=world.st.id)
    ul_service = make_service("smtp", name="Mail UL", branch_id=world.ul.id)
    st_till_service = make_service("smtp", {"port": "25"}, name="Mail ST-Kasse",
                                   workstation_id=world.st_till.id)
    ul_till_service = make_service("smtp", {"port": "25"}, name="Mail UL-Kasse",
                                   workstation_id=world.ul_till.id)
    ul_customer = Customer(number="K-000002", branch=world.ul, first_name="Udo",
                           last_name="Ulmer", city="Ulm")
    db.session.add(ul_customer)
    db.session.flush()
    st_position = world.process.positions[0]
    ul_process = new_process(ul_customer, world.template, world.ul)
    orders = {}
    for scope, branch, process in ((OWN, world.st, world.process), (OTHER, world.ul, ul_process)):
        order = Order(branch_id=branch.id, supplier_id=world.dreve.id, company_id=world.dreve.id,
                      interface_key="ear_mould_standard_order", service_name="Standard",
                      process_id=process.id, position_id=process.positions[0].id,
                      status="created", updated_by="test")
        db.session.add(order)
        db.session.flush()
        order.number = f"B-2026-{order.id:06d}"
        orders[scope] = order
    document = DocumentTemplate(name="Karte GOLD", kind="card_layout", file_name="gold.pdf",
                                file_type="application/pdf", file_size=9,
                                file_data=b"%PDF-1.4\n", updated_by="test")
    db.session.add(document)
    organisation = BranchOrganisation(name="Region Süd", branches=[world.st, world.ul],
                                      updated_by="test")
    db.session.add(organisation)
    rollout = Rollout(source_id=st_service.id, source_name=st_service.name,
                      interface_key="smtp", state="done", created_by="test")
    db.session.add(rollout)
    # SiNNO: a notification of the admin's, which nobody else may mark read.
    notification = Notification(user_id=world.admin.id, kind="sinno_chat", topic="t",
                                params={})
    db.session.add(notification)
    db.session.commit()
    return {
        OWN: dict(branch_id=world.st.id, station_id=world.st_till.id, service_id=st_service.id,
                  order_id=orders[OWN].id, customer_id=world.customer.id,
                  process_id=world.process.id, position_id=st_position.id,
                  user_id=world.staff.id, company_id=world.dreve.id,
                  template_id=world.template.id, document_id=document.id,
                  notification_id=notification.id, organisation_id=organisation.id,
                  rollout_id=rollout.id),
        OTHER: dict(branch_id=world.ul.id, station_id=world.ul_till.id,
                    service_id=ul_service.id, order_id=orders[OTHER].id,
                    customer_id=ul_customer.id, process_id=ul_process.id,
                    position_id=ul_process.positions[0].id),
        CHAIN: dict(service_id=chain_service.id),
        "station_services": {OWN: st_till_service.id, OTHER: ul_till_service.id},
        "table": next((interface.key, interface.tables[0].key)
                      for _group, interface in catalogue.search("") if interface.tables),
    }


def _url(app, rule, scope, records):
    """The URL of `rule` for the record of `scope` (None: the rule's plain page)."""
    values = {}
    for name in rule.arguments:
        if name == "interface_key":
            values.setdefault(name, "smtp")
        elif name == "table_key":
            values["interface_key"], values[name] = records["table"]
        elif name == "field_key":
            values[name] = "password"
        elif name == "action_key":
            values[name] = "test"
        elif name in ("step_id", "line_no", "outbound_id"):
            values[name] = 1
        elif name == "service_id" and "station_id" in rule.arguments:
            values[name] = records["station_services"][scope]
        else:
            source = records[scope] if scope else {}
            values[name] = source.get(name, records[OWN].get(name))
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def _get_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint not in NOT_PAGES]


def test_every_get_route_has_a_row(app):
    """A new page needs a row in READS (and in docs/permissions.md)."""
    assert sorted({rule.endpoint for rule in _get_rules(app)} - set(READS)) == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("customers_by_branch", (False, True), ids=("chain-wide", "by-branch"))
def test_reads_follow_the_table(app, client, auth, world, records, role, customers_by_branch):
    """Every GET route, for each record it shows (own branch, another branch, chain-wide),
    answers the role as the table says: 200, 403 for a screen not theirs, 404 for a record
    outside what they read."""
    if customers_by_branch:
        get_chain().customers_by_branch = True
        db.session.commit()
    auth.login({"admin": world.admin, "manager": world.manager, "staff": world.staff}[role])
    wrong = []
    for rule in _get_rules(app):
        scopes, kind = READS[rule.endpoint]
        for scope in scopes:
            if scope is None and rule.arguments - {"interface_key", "table_key"}:
                continue
            if scope is not None and not rule.arguments - {"interface_key", "table_key"}:
                continue
            if scope == CHAIN and "station_id" in rule.arguments:
                continue
            url = _url(app, rule, scope, records)
            status = client.get(url).status_code
            want = expected(kind, role, scope, customers_by_branch)
            if rule.endpoint == "ordering.document_get" and want == 200 and status == 409:
                continue  # read, but this order has no form to print (no service routes it)
            if kind == "public" and status in (200, 302):
                continue
            if rule.endpoint == "main.ready" and status == 503:
                continue  # a readiness answer (no worker runs here), not a refusal
            if status != want and not (want == 200 and status in (302, 303)):
                wrong.append(f"{rule.endpoint} {url}: {status}, expected {want}")
    assert not wrong, "\n".join(wrong)


def _snapshot():
    """Every row of every table the screens change (not the login bookkeeping)."""
    skip = {"login_attempts", "login_sessions", "change_log"}
    return {table.name: db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
            for table in db.metadata.sorted_tables if table.name not in skip}


@pytest.mark.parametrize("role", ("manager", "staff"))
def test_no_post_changes_another_branchs_records(app, client, auth, world, records, role):
    """Every POST route, aimed at a record of another branch (or, for screens that are not
    theirs, at any record) with a valid CSRF token, changes nothing and is refused."""
    auth.login({"manager": world.manager, "staff": world.staff}[role])
    token = auth.csrf_token()
    before = _snapshot()
    changed = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.login_post", "auth.logout_post",
                                                          "main.set_language"):
            continue
        url = _url(app, rule, OTHER, records)
        response = client.post(url, data={"csrf_token": token, "name": "x", "version": "1"},
                               headers={"X-CSRFToken": token})
        db.session.expire_all()
        if response.status_code < 400 or _snapshot() != before:
            changed.append(f"{rule.endpoint} {url}: {response.status_code}")
    assert not changed, "\n".join(changed)
