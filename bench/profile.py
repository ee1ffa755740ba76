"""Profile the benchmark's pages in-process: the same seeded data as `make bench`, the Flask
test client one request at a time (no server, no network), so what is left is the cost of our
code, the templates and the database per request.

    .venv/bin/python -m bench.profile                       # every endpoint: ms and statements
    .venv/bin/python -m bench.profile --profile "order list"  # plus cProfile's top functions
    .venv/bin/python -m bench.profile --data /tmp/bench-data  # seed once, reuse on later runs

Per endpoint it prints the mean wall-clock and CPU time of `--requests` requests after a
warm-up (with `--rounds N`, the round with the least CPU time of N such rounds: other work on
the machine only ever adds time, so the best round is the steadiest figure to compare), the ratio of `/health`'s CPU time in the same run to the endpoint's (CPU time moves
less than wall-clock time when other work shares the machine), and the number of SQL
statements of one request. With `--profile NAME` (repeatable; a substring of the endpoint's
name) it also prints cProfile's top functions by cumulative CPU time for that endpoint. The
garbage collector is set up as app.py sets it up for gunicorn. The request log goes to stderr
as in production; the results go to stdout.
"""
import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from .run import endpoints
from .seed import ADMIN_PASSWORD, ADMIN_USERNAME, Seeded, add_data_options, seed_from


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder for the seeded SQLite database, kept and reused")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="report the best of N rounds")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="measure only these endpoints (a substring of the name; repeatable)")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME")
    parser.add_argument("--top", type=int, default=40)
    add_data_options(parser)
    args = parser.parse_args(argv)
    if args.data:
        Path(args.data).mkdir(parents=True, exist_ok=True)
        return measure(args, args.data)
    with tempfile.TemporaryDirectory(prefix="schnittstellen-profile-") as folder:
        return measure(args, folder)


def measure(args, folder):
    from webapp import create_app, demo
    from webapp.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key",
                      "ENCRYPTION_KEYS": "bench-encryption-key", **demo.SETTINGS})
    with app.app_context():
        seeded = _seeded(db, args, folder)
    gc.freeze()  # as app.py
    gc.set_threshold(50_000, 10, 10)
    client = app.test_client()
    _log_in(client, seeded)
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda *_a, **_k: statements.append(1))
    rows = []
    baseline = None
    for endpoint in endpoints(seeded):
        if args.only and baseline is not None and not _named(endpoint, args.only):
            continue
        headers = dict(endpoint.headers)
        for _ in range(3):
            response = client.get(endpoint.path, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{endpoint.path}: {response.status_code}")
        statements.clear()
        client.get(endpoint.path, headers=headers)
        count = len(statements)
        ms, cpu_ms = min((_round(client, endpoint.path, headers, args.requests)
                          for _ in range(args.rounds)), key=lambda times: times[1])
        baseline = baseline or cpu_ms
        rows.append((endpoint.name, endpoint.path, ms, cpu_ms, baseline / cpu_ms, count,
                     len(response.data)))
        if _named(endpoint, args.profile):
            _profile(client, endpoint.path, headers, args)
    print("| endpoint | ms | CPU ms | ratio to /health (CPU) | statements | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path, ms, cpu_ms, ratio, count, size in rows:
        print(f"| {name} (`{path}`) | {ms:.2f} | {cpu_ms:.2f} | {ratio:.3f} | {count} | {size} |")
    return 0


def _named(endpoint, names):
    return any(name.lower() in endpoint.name.lower() for name in names)


def _round(client, path, headers, requests):
    """Mean wall-clock and CPU milliseconds of `requests` requests."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        client.get(path, headers=headers)
    return ((time.perf_counter() - started) * 1000 / requests,
            (time.process_time() - cpu) * 1000 / requests)


def _seeded(db, args, folder):
    """Seed an empty database, or read back what an earlier run seeded into `folder`."""
    marker = Path(folder) / "seeded.txt"
    if db.inspect(db.engine).get_table_names():
        if not marker.exists():
            raise SystemExit("bench.profile: the database is not empty and was not seeded here")
        values = marker.read_text().split()
        return Seeded(ADMIN_USERNAME, ADMIN_PASSWORD, int(values[0]), int(values[1]), {},
                      int(values[2]) if values[2] != "-" else None)
    db.create_all()
    started = time.monotonic()
    seeded = seed_from(args)
    print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
    card = seeded.card_service_id if seeded.card_service_id is not None else "-"
    marker.write_text(f"{seeded.workstation_id} {seeded.branch_id} {card}\n")
    return seeded


def _log_in(client, seeded):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post("/login", data={
        "username": seeded.admin_username, "password": seeded.admin_password,
        "csrf_token": token[1] if token else ""})
    if response.status_code != 303:
        raise SystemExit(f"bench.profile: login failed ({response.status_code})")


def _profile(client, path, headers, args):
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.requests):
        client.get(path, headers=headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"\n## cProfile: {path} ({args.requests} requests)\n")
    print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
