"""Schnittstellen: administration of a shop chain's interfaces."""
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (cli, crypto, hx, i18n, logs, outbound_policy, params, programs, records, references,
               security, templating, uow)
from . import config as config_module
from . import models  # noqa: F401  (every table, for metadata and migrations)
from .audit import views as audit_views
from .audoora import partners as audoora_partners
from .audoora import portal as audoora_portal
from .audoora import orders as audoora_orders
from .audoora import registration as audoora_registration
from .audoora import views as audoora_views
from .cards import connection_test as card_connection_test
from .cards import info as card_info
from .cards import provider as card_provider
from .cards import services as card_services
from .cards import views as card_views
from .auth import history as auth_history
from .auth import views as auth_views
from .cards import checks as card_checks
from .changelog import registry as changelog_registry
from .companies import history as companies_history
from .companies import services as company_services
from .companies import views as companies_views
from .config import ROOT
from .customers import page as customer_page
from .customers import history as customers_history
from .customers import services as customer_services
from .customers import views as customers_views
from .directory import checks as directory_checks
from .directory import history as directory_history
from .directory import testers as directory_testers
from .directory import views as directory_views
from .documents import history as documents_history
from .documents import views as documents_views
from .extensions import babel, csrf, db, htmx, login_manager, migrate
from .interfaces import action_views  # noqa: F401  (its routes join the interfaces blueprint)
from .interfaces import credential_plan_views  # noqa: F401  (its routes join the blueprint)
from .interfaces import credential_plans
from .interfaces import actions as interface_actions
from .interfaces import effective_views
from .interfaces import health_checks
from .interfaces import health_views  # noqa: F401  (its route joins the interfaces blueprint)
from .interfaces import history as interfaces_history
from .interfaces import rollout_views  # noqa: F401  (its routes join the interfaces blueprint)
from .interfaces import rollouts
from .interfaces import services as interface_services
from .interfaces import transfer_views  # noqa: F401  (its routes join the interfaces blueprint)
from .interfaces import views as interfaces_views
from .interfaces.catalogue import load as load_catalogue
from .main import help_views  # noqa: F401  (its route and the pages' help join the main blueprint)
from .main import views as main_views
from .notifications import services as notification_services
from .notifications import views as notifications_views
from .operations import views as operations_views
from .ordering import connection_test as ordering_connection_test
from .ordering import pipeline as ordering_pipeline
from .ordering import services as ordering_services
from .ordering import views as ordering_views
from .org import history as org_history
from .org import services as org_services
from .org import views as org_views
from .org.services import chain_timezone
from .outbound import handlers as outbound_handlers
from .processes import page as process_page
from .processes import history as processes_history
from .processes import services as process_services
from .processes import views as processes_views
from .sinno import activation as sinno_activation
from .sinno import chat as sinno_chat
from .sinno import session as sinno_session
from .sinno import views as sinno_views
from .users import history as users_history
from .users import services as user_services
from .users import views as users_views

# The factory is the top of the layers (docs/architecture.md): it imports every domain and
# wires what the lower layers offer (blueprints, registries, hooks); nothing imports it back
# but the entry points (app.py, jobs, devrun).
BLUEPRINTS = (main_views, auth_views, org_views, users_views, companies_views, documents_views,
              directory_views,
              audit_views, effective_views, interfaces_views, customers_views,
              processes_views, ordering_views, audoora_views, card_views, notifications_views,
              sinno_views, operations_views)
# What the change log shows of each domain's records; its type filter offers them in this order.
HISTORIES = (interfaces_history, customers_history, processes_history, org_history,
             users_history, companies_history, documents_history, directory_history,
             auth_history)


def create_app(test_config=None):
    """Build the app: defaults → instance/config.py → environment → test_config."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("SCHNITTSTELLEN_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config_module.DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config_module.from_environment())
        app.config.from_prefixed_env("SCHNITTSTELLEN")
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    logs.init_app(app)  # first: what follows may log
    _keys(app)
    _trust_proxies(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)

    load_catalogue()  # a malformed catalogue entry stops the start, naming the entry
    # Malformed ALLOWED_PROGRAMS / OUTBOUND_* settings stop the start, naming the setting.
    programs.init_app(app)
    outbound_policy.init_app(app)

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app, chain_timezone=chain_timezone)
    app.jinja_env.template_class = templating.Template
    app.jinja_env.globals["app_version"] = config_module.VERSION  # the page footer
    hx.init_app(app)
    security.init_app(app)
    uow.init_app(app)
    params.init_app(app)  # before the blueprints add their rules: bounded <int:…> ids
    _sqlite_pragmas(app)

    for views in BLUEPRINTS:
        app.register_blueprint(views.bp)
    change_log = changelog_registry.init_app(app)
    for history in HISTORIES:
        history.register(change_log)
    _register_with_lower_layers()

    cli.init_app(app)
    crypto.register_cli(app)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return app


def _register_with_lower_layers():
    """Higher domains plug into the pages and rules of lower ones (STYLE.md 13)."""
    for tab in processes_views.CUSTOMER_TABS:
        customer_page.register_tab(tab)
    process_page.register_part("ordering", ordering_views.process_page_part)
    # Customer cards (issue 13): the process step Kundenkarte, the customer's cards, the
    # employee card, the batches and "Informationen anfordern".
    process_page.register_part("cards", card_views.process_page_part)
    customer_page.register_tab(card_views.CUSTOMER_TAB)
    users_views.register_user_part("cards", card_views.user_part)
    outbound_handlers.register(card_provider.BATCH_HANDLER)
    outbound_handlers.register(card_provider.INFO_HANDLER)
    card_info.register_runner()
    interface_actions.register_tester(card_services.INTERFACE, card_connection_test.tester)
    process_services.register_position_holder("orders", ordering_services.positions_held)
    org_services.register_lab_choices(company_services.labs)
    outbound_handlers.register(ordering_pipeline.HANDLER)
    outbound_handlers.register(interface_actions.HANDLER)
    outbound_handlers.register(health_checks.ALERT_HANDLER)
    outbound_handlers.register(audoora_portal.HANDLER)
    outbound_handlers.register(audoora_orders.HANDLER)
    ordering_views.register_order_part("audoora", audoora_views.order_part)
    outbound_handlers.register(audoora_portal.PARTNERS_HANDLER)
    audoora_registration.register_runners()
    audoora_partners.register_runner()
    outbound_handlers.listen(interface_actions.KIND, "health", health_checks.on_test_finished)
    # Zugangsdaten planmäßig ändern (issue 18): the swap's test resolves its plan; alerts.
    outbound_handlers.register(credential_plans.ALERT_HANDLER)
    outbound_handlers.listen(interface_actions.KIND, "credential_plans",
                             credential_plans.on_test_finished)
    notification_services.register_kind(credential_plans.NOTIFICATION, credential_plans.describe)
    notification_services.register_kind(rollouts.NOTIFICATION, rollouts.describe)
    # SiNNO (issue 14): Anmelden/Abmelden, the chat's sync and answers, app access.
    customer_page.register_tab(sinno_views.CUSTOMER_TAB)
    for handler in (sinno_session.HANDLER, sinno_chat.SYNC_HANDLER, sinno_chat.ANSWER_HANDLER,
                    sinno_activation.HANDLER):
        outbound_handlers.register(handler)
    sinno_session.register_runners()
    interface_actions.register_tester(sinno_session.INTERFACE, sinno_session.tester)
    sinno_chat.register_runner()
    notification_services.register_kind(sinno_chat.NOTIFICATION, sinno_chat.describe)
    for interface_key, tester in ordering_connection_test.testers().items():
        interface_actions.register_tester(interface_key, tester)
    for interface_key, tester in directory_testers.TESTERS.items():
        interface_actions.register_tester(interface_key, tester)
        interface_services.register_check(interface_key, "directory",
                                          directory_checks.check_service)
    interface_services.register_check("card_order", "cards", card_checks.check_templates)
    _register_references()


def _register_references():
    """What still refers to a record, per kind, answered by the domains above its owner;
    refusals list the answers in this order."""
    for kind, name, finder in (
        ("branch", "users", user_services.users_of_branch),
        ("branch", "customer numbers", company_services.numbers_at_branch),
        ("branch", "interface services", interface_services.services_of_branch),
        ("branch", "customers", customer_services.customers_at_branch),
        ("branch", "processes", process_services.processes_at_branch),
        ("workstation", "interface services", interface_services.services_of_workstation),
        ("company", "interface services", interface_services.services_naming_company),
        ("company", "orders", ordering_services.orders_of_company),
        ("company", "processes", process_services.processes_choosing_company),
        ("customer", "processes", process_services.processes_of_customer),
        ("interface_service", "open orders", ordering_services.open_orders_of_service),
        ("document_template", "interface services", interface_services.services_naming_document),
        ("document_template", "card orders", card_checks.open_orders_naming_document),
        ("customer", "card orders", card_services.open_orders_of_customer),
    ):
        references.register(kind, name, finder)


def _trust_proxies(app):
    """Behind a reverse proxy every request comes from the proxy: login locks per address
    would lock everybody at once, and links would name the proxy's plain-http upstream. Only
    the configured number of hops is believed (docs/security.md)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    legacy = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    elif legacy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=legacy)


class MissingKeys(RuntimeError):
    """Outside development the keys must be configured: the message says how."""


KEY_FILES = {"SECRET_KEY": "secret_key", "ENCRYPTION_KEYS": "encryption.key"}


def is_development(app):
    """`make run`, the tests and FLASK_DEBUG: where keys may be made up on the spot."""
    return bool(app.config.get("TESTING") or app.config.get("DEVELOPMENT") or app.debug)


def _keys(app):
    """SECRET_KEY and ENCRYPTION_KEYS. Generated into the instance folder only in development:
    generated silently on a second machine (another worker host, a restored server), the
    encryption key would differ and every secret saved on the first would be unreadable."""
    missing = [name for name in KEY_FILES if not app.config.get(name)]
    if missing and not is_development(app):
        generated = [f"{name} is in {Path(app.instance_path) / KEY_FILES[name]}" for name in missing
                     if (Path(app.instance_path) / KEY_FILES[name]).exists()]
        raise MissingKeys(
            f"{' and '.join(missing)} not set. Outside development the keys must come from the "
            "environment (EnvironmentFile=/etc/schnittstellen/env, see deploy/schnittstellen.env): "
            "the same values on every machine of the installation, ENCRYPTION_KEYS kept safe "
            "forever. A new key: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            + (". This instance generated its own earlier; keep using them: " + "; ".join(generated)
               if generated else "")
            + ". For development set SCHNITTSTELLEN_DEVELOPMENT=true.")
    for name in missing:
        app.config[name] = _instance_secret(app, KEY_FILES[name])
    app.extensions["schnittstellen.generated_keys"] = missing  # `flask doctor` says so


def _instance_secret(app, filename):
    """Read a generated secret from the instance folder, creating it (mode 0600) on first start.
    Production passes SECRET_KEY / ENCRYPTION_KEYS through the environment instead."""
    path = Path(app.instance_path) / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _sqlite_pragmas(app):
    """SQLite shares the file between web and worker processes: WAL plus a busy timeout
    keeps them from failing with 'database is locked'; foreign keys are off by default."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # Searches fold umlauts and ß, which SQLite's lower() does not (records.contains).
            records.register_search_functions(dbapi_connection)
