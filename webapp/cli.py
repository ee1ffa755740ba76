"""`flask` commands: demo data, admin bootstrap, worker, housekeeping."""
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from rq import Queue
from sqlalchemy import text

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import crypto, demo
from .config import VERSION
from .auth import services as login_locks
from .auth.services import prune_login_attempts
from .directory import services as directory
from .directory import settings as directory_settings
from .extensions import db
from .main import readiness
from .permissions import ADMIN
from .queue import AppWorker, connect
from .schedule import Ticker
from .schedule import tick as tick_once
from .users.models import User
from .users.sessions import prune_sessions
from .users.services import check_password_policy


def init_app(app):
    for command in (seed_demo_command, create_admin_command, worker_command,
                    prune_login_attempts_command, disable_directory_login_command,
                    login_locks_command, lift_login_lock_command, doctor_command,
                    version_command):
        app.cli.add_command(command)


@click.command("seed-demo")
@with_appcontext
@click.option("--force", is_flag=True,
              help="Seed even though the database has users that are not demo users.")
def seed_demo_command(force):
    """Create the demo chain "Hörwelt Demo" (idempotent: only what is missing)."""
    foreign = demo.foreign_users()
    if foreign and not force:
        raise click.ClickException(
            "The database has users that are not demo users (" + ", ".join(foreign[:5]) + "). "
            "Seeding adds logins with a published password; use --force if you mean it.")
    created = demo.seed()
    click.echo(f"Demo chain ready ({created} records created).")


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.option("--name", help="Display name (default: the username).")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create_admin_command(username, name, email, password_stdin):
    """Create a local administrator; the password must meet the password policy."""
    username = username.strip().lower()
    if db.session.scalar(db.select(User).where(db.func.lower(User.username) == username)):
        raise click.ClickException(f"User {username!r} exists already.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # Outside a request there is no user or session to pick a language from.
    with force_locale("en"):
        problems = [str(problem) for problem in check_password_policy(password)]
    if problems:
        raise click.ClickException("The password needs " + ", ".join(problems) + ".")
    user = User(username=username, name=name or username, email=email, role=ADMIN,
                auth_source="local", updated_by="flask create-admin")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Administrator {username!r} created.")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queues", "-q", multiple=True, metavar="NAMES",
              help="Queues to work on, comma-separated or repeated (default: RQ_QUEUES).")
@click.option("--tick", default=60, show_default=True,
              help="Seconds between two looks at the periodic jobs.")
def worker_command(burst, queues, tick):
    """Run an RQ worker with its scheduler and the periodic-job ticker. Start several for
    more throughput; each periodic job is still enqueued once per interval."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set.")
    names = [n.strip() for value in queues for n in value.split(",") if n.strip()]
    names = names or current_app.config["RQ_QUEUES"]
    # The parent must not hold database connections the work-horses would inherit.
    db.session.remove()
    db.engine.dispose()
    # The ticker has its own client: it must not share a connection pool with the worker.
    ticker_queue = Queue(names[0], connection=connect(url))
    tick_once(ticker_queue)
    worker = AppWorker(names, connection=connect(url))
    ticker = None
    if not burst:
        ticker = Ticker(ticker_queue, every=tick)
        ticker.start()
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        if ticker:
            ticker.stop()
        ticker_queue.connection.close()
        worker.connection.close()


@click.command("prune-login-attempts")
@with_appcontext
def prune_login_attempts_command():
    """Delete old login attempts and ended login sessions now (the workers also do it daily)."""
    count, sessions = prune_login_attempts(), prune_sessions()
    db.session.commit()  # a command has no request to commit its unit of work
    click.echo(f"{count} login attempts deleted.")
    click.echo(f"{sessions} ended login sessions deleted.")


@click.command("disable-directory-login")
@with_appcontext
def disable_directory_login_command():
    """Switch the LDAP and OpenID Connect login services off, when a broken directory
    setting keeps every administrator out (README: recovering from a broken directory
    setting). Local accounts keep working; `flask create-admin` makes one if none is left."""
    names = [service.name for service in directory.disable_login_services("flask disable-directory-login")]
    db.session.commit()  # a command has no request to commit its unit of work
    for name in names:
        click.echo(f"Switched off: {name}")
    if not names:
        click.echo("No LDAP or OpenID Connect service was switched on.")
    for kind, setting in ((directory_settings.LDAP, "LDAP_URL"),
                          (directory_settings.OIDC, "OIDC_ISSUER")):
        source = directory_settings.read(kind)
        if source.source == directory_settings.CONFIGURATION and source.enabled:
            click.echo(f"No {kind} service exists, so the instance configuration applies "
                       f"({setting} is set): remove it, or set up the service and switch it off.")


@dataclass(frozen=True)
class Operator:
    """Whoever runs a command on the server: they could edit the database anyway, so they
    act as an administrator; the change log names the command."""
    name: str
    id: None = None
    role: str = ADMIN


@click.command("login-locks")
@with_appcontext
def login_locks_command():
    """List the login locks in force (as Anmeldesperren does)."""
    accounts, addresses = login_locks.current_locks(Operator("flask login-locks"))
    for lock in (*accounts, *addresses):
        click.echo(f"{lock}\t{lock.failures} failures\tuntil {lock.until:%Y-%m-%d %H:%M} UTC")
    if not accounts and not addresses:
        click.echo("No login locks.")


@click.command("lift-login-lock")
@with_appcontext
@click.argument("address")
@click.option("--username", "-u", default="",
              help="The username locked at ADDRESS; without it, the lock of the address itself.")
def lift_login_lock_command(address, username):
    """Lift a login lock, as an administrator does under Anmeldesperren, when nobody who
    could log in is left (e.g. every administrator locked out at the office's address)."""
    lock = login_locks.lift_lock(Operator("flask lift-login-lock"), username, address)
    db.session.commit()  # a command has no request to commit its unit of work
    if lock is None:
        raise click.ClickException(f"No lock in force for {username + ' @ ' if username else ''}"
                                   f"{address}; `flask login-locks` lists them.")
    click.echo(f"Lifted: {lock}")


@click.command("version")
def version_command():
    """Print the version of this installation (the file VERSION)."""
    click.echo(VERSION)


@click.command("doctor")
@with_appcontext
@click.option("--before-start", is_flag=True,
              help="Only what an install decides (keys, translations, database, migrations), "
                   "not the services started after it (Redis, workers, scheduler).")
def doctor_command(before_start):
    """Check keys, translations, database, migrations, Redis, workers, the scheduler and
    overdue outbound work; say what to fix. Exits 1 when something is wrong."""
    click.echo(f"Schnittstellen {VERSION}")
    checks = [_keys_check(), _translations_check(), readiness.database(), _encoding_check(),
              _migrations_check()]
    if not before_start:
        checks += [readiness.redis_server(), readiness.workers(), readiness.scheduler(),
                   readiness.overdue_outbound()]
    for check in checks:
        click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name:<12}  {check.detail}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        raise click.ClickException("Not ready: " + ", ".join(failed))
    click.echo("All checks passed." + (" Once the web server and the workers run, "
                                       "`flask --app app doctor` checks them too." if before_start else ""))


def _keys_check():
    """The keys are configured, distinct, and the encryption key reads a stored secret."""
    config = current_app.config
    generated = current_app.extensions.get("schnittstellen.generated_keys", [])
    if config["SECRET_KEY"] == config["ENCRYPTION_KEYS"]:
        return readiness.Check("keys", False, "SECRET_KEY and ENCRYPTION_KEYS are the same: "
                                              "give ENCRYPTION_KEYS a key of its own")
    if len(str(config["SECRET_KEY"])) < 32:
        return readiness.Check("keys", False, "SECRET_KEY is shorter than 32 characters: "
                                              "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    for model, key in crypto.encrypted_columns():
        column = getattr(model, key)
        try:
            db.session.scalar(db.select(column).where(column.is_not(None)).limit(1))
        except crypto.SecretUnreadable:
            return readiness.Check("keys", False, f"a stored secret ({model.__name__}.{key}) does "
                                   "not decrypt with ENCRYPTION_KEYS: restore the key it was saved with")
        except Exception:  # noqa: BLE001 - the database check reports it
            db.session.rollback()
            break
    where = ("generated into the instance folder (development only)" if generated
             else "configured")
    return readiness.Check("keys", True, where + "; stored secrets decrypt")


def _translations_check():
    """Every catalogue is compiled: the .mo files are not in git, and without them the UI
    falls back to English."""
    folder = Path(current_app.root_path, "translations")
    catalogues = sorted(folder.glob("*/LC_MESSAGES/messages.po"))
    missing = [po.parent.parent.name for po in catalogues if not po.with_suffix(".mo").exists()]
    if missing:
        return readiness.Check("translations", False, f"not compiled: {', '.join(missing)}: run "
                               "`pybabel compile -d webapp/translations -D messages` "
                               "(deploy/install.sh does)")
    return readiness.Check("translations", True,
                           "compiled: " + ", ".join(po.parent.parent.name for po in catalogues))


def _encoding_check():
    """PostgreSQL stores text as UTF-8: searches fold umlauts and ß, and take ASCII values by
    their byte length (records.folded_for_like), which only UTF-8 keeps apart."""
    if db.engine.dialect.name != "postgresql":
        return readiness.Check("encoding", True, "SQLite stores text as UTF-8")
    try:
        encoding = db.session.scalar(text("SHOW server_encoding"))
    except Exception as error:  # noqa: BLE001 - reported, not raised
        db.session.rollback()
        return readiness.Check("encoding", False, f"unknown: {type(error).__name__}")
    encoding = encoding.decode() if isinstance(encoding, bytes) else encoding
    if encoding != "UTF8":
        return readiness.Check("encoding", False, f"the database is {encoding}: searches for "
                               "umlauts fail; create it with `createdb -E UTF8 -T template0` "
                               "and move the data over (pg_dump, pg_restore)")
    return readiness.Check("encoding", True, "UTF8")


def _migrations_check():
    """The database is at the migrations' head: `flask db upgrade` has run for this version."""
    try:
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return readiness.Check("migrations", False, f"unknown: {type(error).__name__}: {error}")
    heads = set(script.get_heads())
    if current != heads:
        return readiness.Check("migrations", False, f"database at {', '.join(sorted(current)) or 'nothing'}, "
                               f"code at {', '.join(sorted(heads))}: run `flask --app app db upgrade`")
    return readiness.Check("migrations", True, f"at {', '.join(sorted(heads))}")
