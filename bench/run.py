"""Benchmark: the app under gunicorn (2 workers) on a seeded throwaway database, driven over
loopback by wrk (a load generator written in C, so the client is not what limits the baseline);
reports requests/s (also as a ratio to /health), p50 and p99.

    .venv/bin/python -m bench.run                      # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql://… .venv/bin/python -m bench.run   # an EMPTY database

Needs Debian's wrk (apt-get install wrk) and refuses to start without it. Bounded: each
endpoint gets --seconds; gunicorn runs in its own process group and is stopped on exit, on an
error and on Ctrl-C. Traffic goes to 127.0.0.1 only. An endpoint fails when any of its
responses is not 2xx or wrk saw a socket error (exit status 1). See bench/README.md for the
figures and how the data is seeded.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
HX = {"HX-Request": "true"}
INSTALL_WRK = ("bench: wrk is missing. The benchmark drives the server with wrk, a load "
               "generator written in C (Python clients saturate before the server does). "
               "Install it: apt-get install wrk")


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict
    requires: str | None = None  # a URL rule that must exist, else the endpoint is skipped


@dataclass
class Result:
    """What wrk measured for one endpoint (latencies in seconds)."""

    endpoint: Endpoint
    requests: int
    non_2xx: int
    seconds: float
    p50: float
    p99: float
    socket_errors: dict = field(default_factory=dict)  # connect, read, write, timeout
    baseline_rate: float | None = None  # /health's req/s measured just before this endpoint

    @property
    def errors(self):
        """Responses that were not 2xx plus requests that got no response."""
        return self.non_2xx + sum(self.socket_errors.values())

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failure(self):
        """Why the endpoint failed, or "" when it did not."""
        problems = [f"{self.non_2xx} responses not 2xx"] if self.non_2xx else []
        problems += [f"{count} {kind} errors" for kind, count in self.socket_errors.items()
                     if count]
        if not self.requests:
            problems.append("no response at all")
        return ", ".join(problems)


def endpoints(seeded):
    found = [
        Endpoint("health (baseline)", "/health", {}),
        Endpoint("interface search fragment", "/interfaces/?q=smtp", HX, "/interfaces/"),
        Endpoint("interface list page", "/interfaces/", {}, "/interfaces/"),
        Endpoint("effective configuration (workstation)",
                 f"/workstations/{seeded.workstation_id}/effective", {}),
        Endpoint("change log page", "/changelog/", {}),
        Endpoint("change log search fragment",
                 "/changelog/?q=neu&type=interface_service", HX),
    ]
    if seeded.card_service_id is not None:
        found.append(Endpoint("interface editor (card templates table)",
                              f"/interfaces/{seeded.card_service_id}", {},
                              "/interfaces/<int:service_id>"))
    found += [Endpoint("order list", "/orders/", {}, "/orders/"),
              Endpoint("customer list", "/customers/", {}, "/customers/")]
    return found


def find_wrk():
    """The path of wrk; SystemExit saying how to install it when it is missing."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(INSTALL_WRK)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    from .seed import add_data_options  # as _seed: bench.seed imports the app's models
    add_data_options(parser)
    parser.add_argument("--seconds", type=int, default=8, help="wrk's duration per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)
    results = run(args)
    print(report(results, args))
    failed = [r for r in results if r.failure]
    for result in failed:
        print(f"bench: FAILED {result.endpoint.name} ({result.endpoint.path}): {result.failure}",
              file=sys.stderr)
    return 1 if failed else 0


def run(args):
    """Seed, serve, measure; always stops gunicorn. Returns [Result]."""
    wrk = find_wrk()  # before seeding: refuse at once
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
            found = endpoints(seeded)
            for endpoint in found:
                if endpoint.requires and endpoint.requires not in rules:
                    print(f"skipped {endpoint.name}: {endpoint.requires} does not exist yet",
                          file=sys.stderr)
                    continue
                # The baseline again just before each page: on a machine that other work
                # shares, the load moves within a run, and a ratio to a /health measured
                # minutes earlier moves with it.
                baseline = drive(server.url, found[0], cookies, args, wrk) if results else None
                results.append(drive(server.url, endpoint, cookies, args, wrk))
                if baseline is not None:
                    results[-1].baseline_rate = baseline.rate
                print(f"{endpoint.name}: {results[-1].rate:.1f} req/s", file=sys.stderr)
        return results


def _seed(url, folder, args):
    """Create the schema and the data in-process (the app factory, not the server)."""
    from webapp import create_app, demo
    from webapp.extensions import db

    from .seed import seed_from

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
        seeded = seed_from(args)
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


def drive(base_url, endpoint, cookies, args, wrk):
    """wrk requests `endpoint` with `args.connections` connections on `args.threads` threads
    for `args.seconds`, with the session cookie (and the endpoint's headers), after a short
    warm-up that is not counted. The Lua script counts responses that are not 2xx and prints
    the summary with p50/p99 as one JSON line."""
    url = base_url + endpoint.path
    warm = requests.Session()
    warm.cookies.update(cookies)
    for _ in range(3):
        warm.get(url, headers=endpoint.headers, timeout=30, allow_redirects=False)
    headers = {**endpoint.headers}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    command = [wrk, "--threads", str(args.threads), "--connections", str(args.connections),
               "--duration", f"{args.seconds}s", "--timeout", "30s", "--script", str(WRK_SCRIPT)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 90,
                          check=False)
    summary = next((json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines()
                    if line.startswith("BENCH-JSON ")), None)
    if done.returncode != 0 or summary is None:
        raise SystemExit(f"bench: wrk failed on {endpoint.path} (exit status {done.returncode}):"
                         f"\n{done.stdout}{done.stderr}")
    errors = summary["errors"]
    return Result(endpoint, summary["requests"], summary["non2xx"],
                  summary["duration_us"] / 1e6, summary["latency_us"]["p50"] / 1e6,
                  summary["latency_us"]["p99"] / 1e6,
                  {kind: errors[kind] for kind in ("connect", "read", "write", "timeout")})


def report(results, args):
    """A Markdown table: requests/s, /health's requests/s measured just before, the ratio to
    it, p50 and p99 in milliseconds."""
    first = results[0].rate if results else 0
    lines = [f"wrk: {args.threads} threads, {args.connections} connections, {args.seconds:g} s "
             f"per endpoint, /health again before each; gunicorn --workers {args.workers}", "",
             "| endpoint | requests | errors | req/s | /health req/s before | ratio to /health "
             "| p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        baseline = result.baseline_rate or first
        ratio = result.rate / baseline if baseline else math.nan
        lines.append(f"| {result.endpoint.name} (`{result.endpoint.path}`) | {result.requests} | "
                     f"{result.errors} | {result.rate:.1f} | {baseline:.1f} | {ratio:.3f} | "
                     f"{result.p50 * 1000:.1f} | {result.p99 * 1000:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; gunicorn stopped", file=sys.stderr)
        sys.exit(130)
