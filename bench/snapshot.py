"""Render the benchmark's pages and their neighbours into a folder, in German and English, so
that two versions of the code can be compared byte for byte: the speed work of issue 15 must
not change what users see.

    .venv/bin/python -m bench.profile --data /tmp/bench-data    # seeds the data once
    .venv/bin/python -m bench.snapshot /tmp/snap-new --data /tmp/bench-data
    git worktree add /tmp/old <commit>
    .venv/bin/pybabel compile -d /tmp/old/webapp/translations -D messages
    .venv/bin/python -m bench.snapshot /tmp/snap-old --data /tmp/bench-data --code /tmp/old
    diff -r /tmp/snap-old /tmp/snap-new                         # must print nothing

--code renders with the app (webapp/, templates/) of another checkout; the data must have
been seeded for the schema both versions share.

With --hostile it renders a copy of the data in which every text a page shows (names of
branches, workstations, services, customers, companies and users, field values, change-log
labels and changes, order notes and errors) ends in markup and quotes, ` <i>x</i> & "q" 's`:
a page that stops escaping something shows up in the diff. The CSRF tokens, nonces and the
login's own session list (/account) are what differs from one run to the next; the tokens
are masked and /account is not rendered. Every page must answer 200; a few editors are also
posted input they refuse (422, nothing saved) to compare their error states.
"""
import argparse
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path

HX = {"HX-Request": "true"}
MARKUP = ' <i>x</i> & "q" \'s'
# The texts --hostile marks, by table.
SHOWN = {"branches": ["name", "city"], "workstations": ["name", "description"],
         "interface_services": ["name"],
         "customers": ["first_name", "last_name", "city", "phone", "postal_code"],
         "change_log": ["entity_label", "user_name", "branch_name"],
         "orders": ["service_name", "note", "error_message", "external_number",
                    "external_status"],
         "companies": ["name"], "users": ["name"]}
MASKS = ((r'(csrf_token"[^>]*value=")[^"]+', r"\1X"), (r'("X-CSRFToken": ")[^"]+', r"\1X"),
         (r'(name="csrf-token" content=")[^"]+', r"\1X"), (r'nonce="[^"]+"', 'nonce="X"'))


def pages(seeded):
    """(path, headers): the benchmark's pages, their searches, sorts, filters and next pages,
    and the other lists and editors of the same data."""
    ws, branch, card = seeded.workstation_id, seeded.branch_id, seeded.card_service_id
    return [
        ("/interfaces/", {}), ("/interfaces/?q=smtp", HX), ("/interfaces/?q=smtp", {}),
        ("/interfaces/?page=3", {}), ("/interfaces/?sort=branch", {}), ("/interfaces/?ws=y", {}),
        ("/interfaces/?ws=y&sort=branch", HX), ("/interfaces/?branch=chain", HX),
        ("/interfaces/?q=kasse&ws=y", HX), ("/interfaces/?q=m%C3%BCller", HX),
        ("/interfaces/?group=email", HX), ("/interfaces/?group=email&q=a", {}),
        (f"/workstations/{ws}/effective", {}), (f"/branches/{branch}/effective", {}),
        (f"/workstations/{ws}/effective?q=mail", HX),
        ("/changelog/", {}), ("/changelog/?q=neu&type=interface_service", HX),
        ("/changelog/?page=2", {}),
        *([(f"/interfaces/{card}", {}), (f"/interfaces/{card}", HX)] if card else []),
        ("/interfaces/1", {}), ("/interfaces/3", {}),
        ("/orders/", {}), ("/orders/?page=2", HX), ("/customers/", {}),
        ("/customers/?q=m%C3%BC", HX), ("/customers/?page=4", {}),
        ("/branches/", {}), ("/workstations/", {}), ("/companies/", {}), ("/users/", {}),
        ("/", {}), ("/chain", {}), (f"/workstations/{ws}/interfaces", {}),
        ("/interfaces/new", {}), ("/operations/", {}), ("/help", {}),
    ]


def refused_posts(seeded):
    """(path, form): posts every editor refuses with 422 and its fields' messages (nothing is
    saved), so the forms' error states are compared too."""
    card = seeded.card_service_id or 1
    return [(f"/interfaces/{card}", {}), (f"/interfaces/{card}", {"name": "x" * 500,
                                                                 "version": "1"}),
            ("/customers/new", {}), ("/branches/new", {}), ("/companies/new", {})]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder for the rendered pages (emptied first)")
    parser.add_argument("--data", required=True,
                        help="a folder bench.profile seeded (its SQLite database is not changed)")
    parser.add_argument("--hostile", action="store_true",
                        help="render a copy of the data whose texts end in markup and quotes")
    parser.add_argument("--code", help="the checkout whose app renders (default: this one)")
    args = parser.parse_args(argv)
    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))
    data = Path(args.data)
    if not (data / "seeded.txt").exists():
        raise SystemExit(f"bench.snapshot: {data} holds no seeded data: "
                         f"run bench.profile --data {data} first")
    if args.hostile:
        copy = Path(args.out + ".data")
        shutil.rmtree(copy, ignore_errors=True)
        copy.mkdir(parents=True)
        shutil.copy(data / "seeded.txt", copy / "seeded.txt")
        # The backup API, not a file copy: what is still in the write-ahead log comes too.
        with sqlite3.connect(data / "bench.db") as source, \
                sqlite3.connect(copy / "bench.db") as target:
            source.backup(target)
        _mark(copy / "bench.db")
        data = copy
    return render(Path(args.out), data)


def _mark(database):
    """Append MARKUP to every text SHOWN lists and to every text in field values and changes."""
    def marked(value):
        if isinstance(value, str):
            return value + MARKUP
        if isinstance(value, list):
            return [marked(item) for item in value]
        if isinstance(value, dict):
            return {key: item if key in ("field", "secret", "key") else marked(item)
                    for key, item in value.items()}
        return value

    with sqlite3.connect(database) as connection:
        for table, columns in SHOWN.items():
            for column in columns:
                connection.execute(f"UPDATE {table} SET {column} = {column} || ? "
                                   f"WHERE {column} IS NOT NULL AND {column} != ''", (MARKUP,))
        for table, column in (("interface_services", "field_values"), ("change_log", "changes")):
            rows = connection.execute(f"SELECT id, {column} FROM {table} "
                                      f"WHERE {column} IS NOT NULL").fetchall()
            connection.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                                   [(json.dumps(marked(json.loads(value))), row_id)
                                    for row_id, value in rows])


def render(out, data):
    # Imported here, after --code chose where the app comes from (bench.profile imports it).
    from webapp import create_app, demo
    from webapp.extensions import db
    from webapp.users.models import User

    from .profile import _log_in, _seeded

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'bench.db'}",
                      "SECRET_KEY": "bench-secret-key", "ENCRYPTION_KEYS": "bench-encryption-key",
                      **demo.SETTINGS})
    with app.app_context():
        seeded = _seeded(db, None, str(data))
    failed = []
    for language in ("de", "en"):
        with app.app_context():
            db.session.execute(db.update(User).where(User.username == seeded.admin_username)
                               .values(preferred_language=language))
            db.session.commit()
        client = app.test_client()
        _log_in(client, seeded)
        for number, (path, headers) in enumerate(pages(seeded)):
            response = client.get(path, headers=headers)
            kind = "hx" if headers else "page"
            _write(out, f"{language}-{number:02d}-{kind}-" + re.sub(r"[^a-z0-9]+", "_", path),
                   response)
            if response.status_code != 200:
                failed.append(f"{path} ({language}): {response.status_code}")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          client.get("/customers/new").get_data(as_text=True))[1]
        for number, (path, form) in enumerate(refused_posts(seeded)):
            response = client.post(path, data={"csrf_token": token, **form}, headers=HX)
            _write(out, f"{language}-post-{number:02d}-" + re.sub(r"[^a-z0-9]+", "_", path),
                   response)
            if response.status_code != 422:
                failed.append(f"POST {path} ({language}): {response.status_code}, not 422")
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == seeded.admin_username)
                           .values(preferred_language="de"))
        db.session.commit()
    print(f"bench.snapshot: {len(list(out.iterdir()))} pages in {out}", file=sys.stderr)
    for failure in failed:
        print(f"bench.snapshot: not 200: {failure}", file=sys.stderr)
    return 1 if failed else 0


def _write(out, name, response):
    body = response.get_data(as_text=True)
    for pattern, mask in MASKS:
        body = re.sub(pattern, mask, body)
    (out / name).write_text(f"{response.status_code}\n{body}")


if __name__ == "__main__":
    sys.exit(main())
