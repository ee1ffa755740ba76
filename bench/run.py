"""Benchmark: the app under gunicorn (2 workers) on a seeded throwaway database, driven over
loopback by concurrent clients; reports requests/s (also as a ratio to /health) and p50/p99.

    .venv/bin/python -m bench.run                      # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://… .venv/bin/python -m bench.run   # an EMPTY database

Bounded: each endpoint gets at most --seconds and --requests; gunicorn runs in its own process
group and is stopped on exit, on an error and on Ctrl-C. Traffic goes to 127.0.0.1 only.
See bench/README.md for the figures and how the data is seeded.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import percentile

ROOT = Path(__file__).resolve().parent.parent
HX = {"HX-Request": "true"}


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict
    requires: str | None = None  # a URL rule that must exist, else the endpoint is skipped


@dataclass
class Result:
    endpoint: Endpoint
    requests: int
    errors: int
    seconds: float
    latencies: list  # seconds

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share):
        return percentile(self.latencies, share)


def endpoints(seeded):
    return [
        Endpoint("health (baseline)", "/health", {}),
        Endpoint("interface search fragment", "/interfaces/?q=smtp", HX, "/interfaces/"),
        Endpoint("interface list page", "/interfaces/", {}, "/interfaces/"),
        Endpoint("effective configuration (workstation)",
                 f"/workstations/{seeded.workstation_id}/effective", {}),
        Endpoint("change log page", "/changelog/", {}),
        Endpoint("change log search fragment",
                 "/changelog/?q=neu&type=interface_service", HX),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--workstations", type=int, default=500)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint")
    parser.add_argument("--requests", type=int, default=20_000, help="at most, per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)
    results = run(args)
    print(report(results, args))
    return 0 if all(not r.errors for r in results) else 1


def run(args):
    """Seed, serve, measure; always stops gunicorn. Returns [Result]."""
    with tempfile.TemporaryDirectory(prefix="schnittstellen-bench-") as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.db'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
               "ENCRYPTION_KEYS": "bench-encryption-key", "SCHNITTSTELLEN_INSTANCE_PATH": folder,
               # plain http on loopback: the session cookie must not be Secure-only
               "SCHNITTSTELLEN_SESSION_COOKIE_SECURE": "false"}
        started = time.monotonic()
        seeded, rules = _seed(url, folder, args)
        print(f"seeded {seeded.counts} in {time.monotonic() - started:.1f} s", file=sys.stderr)
        with Server(env, args.workers) as server:
            cookies = _log_in(server.url, seeded)
            results = []
            for endpoint in endpoints(seeded):
                if endpoint.requires and endpoint.requires not in rules:
                    print(f"skipped {endpoint.name}: {endpoint.requires} does not exist yet",
                          file=sys.stderr)
                    continue
                results.append(drive(server.url, endpoint, cookies, args))
                print(f"{endpoint.name}: {results[-1].rate:.1f} req/s", file=sys.stderr)
        return results


def _seed(url, folder, args):
    """Create the schema and the data in-process (the app factory, not the server)."""
    from webapp import create_app, demo
    from webapp.extensions import db

    from .seed import seed

    # The demo's settings allow one ordering program, as an operator would for the
    # command-line services the benchmark seeds.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key",
                      "ENCRYPTION_KEYS": "bench-encryption-key", **demo.SETTINGS})
    with app.app_context():
        inspector = db.inspect(db.engine)
        if inspector.get_table_names():
            raise SystemExit("bench: the database is not empty; BENCH_DATABASE_URL must name an "
                             "empty database (the benchmark fills it).")
        db.create_all()
        seeded = seed(branches=args.branches, workstations=args.workstations,
                      services=args.services, changes=args.changes)
        rules = {rule.rule for rule in app.url_map.iter_rules()}
        db.engine.dispose()
    return seeded, rules


class Server:
    """gunicorn serving app:app on a free loopback port, in its own process group."""

    def __init__(self, env, workers):
        self.env, self.workers = env, workers
        self.process = None

    def __enter__(self):
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
            cwd=ROOT, env=self.env, start_new_session=True)
        # SIGTERM (e.g. from a CI timeout) must unwind through __exit__ like Ctrl-C does.
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/health", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bench: gunicorn did not come up")
            time.sleep(0.2)

    def __exit__(self, *_exc):
        signal.signal(signal.SIGTERM, self._previous)
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_in(base_url, seeded):
    """Log in through the login form (with its CSRF token); returns the session cookies."""
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    response = session.post(f"{base_url}/login", allow_redirects=False, timeout=10, data={
        "username": seeded.admin_username, "password": seeded.admin_password,
        "csrf_token": token[1] if token else ""})
    if response.status_code != 303:
        raise SystemExit(f"bench: login failed ({response.status_code})")
    return session.cookies.get_dict()


def drive(base_url, endpoint, cookies, args):
    """`args.clients` threads request `endpoint` until `args.seconds` pass or `args.requests`
    are done (after a short warm-up that is not counted)."""
    url = base_url + endpoint.path
    warm = requests.Session()
    warm.cookies.update(cookies)
    for _ in range(3):
        warm.get(url, headers=endpoint.headers, timeout=30)
    lock = threading.Lock()
    latencies, errors, issued = [], [0], [0]
    deadline = time.monotonic() + args.seconds

    def client():
        session = requests.Session()
        session.cookies.update(cookies)
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= args.requests:
                    return
                issued[0] += 1
            began = time.perf_counter()
            try:
                response = session.get(url, headers=endpoint.headers, timeout=30,
                                       allow_redirects=False)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                errors[0] += not ok

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(endpoint, len(latencies), errors[0], time.monotonic() - started, latencies)


def report(results, args):
    """A Markdown table: requests/s, ratio to the baseline, p50 and p99 in milliseconds."""
    baseline = results[0].rate if results else 0
    lines = [f"{args.clients} clients, {args.workers} gunicorn workers, at most {args.seconds:g} s"
             f" / {args.requests} requests per endpoint", "",
             "| endpoint | requests | errors | req/s | ratio to /health | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        ratio = result.rate / baseline if baseline else float("nan")
        lines.append(f"| {result.endpoint.name} (`{result.endpoint.path}`) | {result.requests} | "
                     f"{result.errors} | {result.rate:.1f} | {ratio:.2f} | "
                     f"{result.percentile(0.5) * 1000:.1f} | {result.percentile(0.99) * 1000:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; gunicorn stopped", file=sys.stderr)
        sys.exit(130)
