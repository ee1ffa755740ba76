"""The layer contract of docs/architecture.md, checked over the real import graph (grimp reads
every import, those inside functions included): imports point one way, nothing forms a
cycle, and no import hides in a function body to dodge one."""
import ast
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A module may import its own unit and the units below it, never one above.
LAYERS = (
    ("kernel", ("webapp.config", "webapp.extensions", "webapp.models_base", "webapp.errors",
                "webapp.permissions", "webapp.crypto", "webapp.i18n", "webapp.hx", "webapp.queue",
                "webapp.security", "webapp.forms", "webapp.uow", "webapp.references",
                "webapp.params", "webapp.outbound_policy", "webapp.programs",
                "webapp.probes", "webapp.schedule", "webapp.logs", "webapp.csv_export",
                "webapp.submissions", "webapp.moments", "webapp.templating")),
    ("outbound", ("webapp.outbound",)),
    ("changelog", ("webapp.changelog",)),
    ("records", ("webapp.records", "webapp.views_helpers")),
    ("org", ("webapp.org",)),
    ("companies", ("webapp.companies",)),
    # Master data other domains choose from (a card's layout and cover letter).
    ("documents", ("webapp.documents",)),
    ("users", ("webapp.users",)),
    # The app's own notification area: per user, below every domain that notifies.
    ("notifications", ("webapp.notifications",)),
    ("customers", ("webapp.customers",)),
    ("interfaces", ("webapp.interfaces",)),
    # Login reads its directory and provider settings from interface services (resolver).
    ("directory", ("webapp.directory",)),
    ("auth", ("webapp.auth",)),
    ("processes", ("webapp.processes",)),
    ("ordering", ("webapp.ordering",)),
    # Customer cards: ordered from a process step or for an employee (issue 13).
    ("cards", ("webapp.cards",)),
    # Audoora builds on the ordering adapters' conventions; its ordering (issue 12) on orders.
    ("audoora", ("webapp.audoora",)),
    # SiNNO, the customer app (issue 14): login, chat, notifications, customer activation.
    ("sinno", ("webapp.sinno",)),
    ("audit", ("webapp.audit",)),
    # Verwaltung → Betrieb: queues, workers and outbound work of every domain (issue 17).
    ("operations", ("webapp.operations",)),
    ("main", ("webapp.main",)),
    ("factory", ("webapp", "webapp.models", "webapp.cli", "webapp.demo", "webapp.devrun")),
    ("jobs", ("jobs",)),
)
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}

# Imports inside a function body that are not there to dodge a cycle, with the reason.
DEFERRED_ALLOWED = {
    # A bare `rq worker` builds the app on first use; a job module must never build it at
    # import time.
    ("jobs", "factory"),
}


def unit_of(module):
    """The layer unit a module belongs to: the longest listed prefix."""
    best = None
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (name, prefix)
    return best and best[0]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("webapp", "jobs", cache_dir=None)


def upward_imports(graph, layers_rank=RANK):
    """Every import from a module to a unit above its own, as 'a -> b (unit a -> unit b)'."""
    found = []
    for module in sorted(graph.modules):
        unit = unit_of(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            other = unit_of(imported)
            if unit is None or other is None:
                found.append(f"{module} -> {imported}: not in any layer (add it to LAYERS)")
            elif layers_rank[other] > layers_rank[unit]:
                found.append(f"{module} -> {imported} ({unit} -> {other})")
    return found


def module_cycles(graph):
    """Strongly connected groups of modules (Tarjan), largest first; a package's __init__
    is imported implicitly by its modules, which grimp rightly does not count."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(groups, key=len, reverse=True)


def deferred_imports(paths=("webapp", "jobs")):
    """Imports of project modules inside function bodies: (file:line, importing unit, imported unit)."""
    found = []
    for top in paths:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            tree = ast.parse(path.read_text(), str(path))
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    target = _imported_module(node, package)
                    if target and target.split(".")[0] in ("webapp", "jobs"):
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append((where, unit_of(module), unit_of(target)))
    return found


def _imported_module(node, package):
    if isinstance(node, ast.Import):
        return node.names[0].name
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            return node.module
        base = package.split(".")
        base = base[:len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))
    return None


def test_the_graph_sees_every_module(graph):
    """A folder without __init__.py would be a namespace package that grimp skips, and its
    imports would go unchecked."""
    files = {".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
             for top in ("webapp", "jobs") for path in (ROOT / top).rglob("*.py")}
    assert files - set(graph.modules) == set()


def test_every_import_points_down_the_layers(graph):
    """No module imports a unit above its own (docs/architecture.md lists the order)."""
    found = upward_imports(graph)
    assert not found, "imports up the layers:\n" + "\n".join(found)


def test_no_import_cycles(graph):
    """No group of modules imports each other in a circle, directly or round about."""
    found = module_cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(g) for g in found)


def test_no_imports_deferred_to_dodge_a_cycle():
    """Project imports sit at the top of the module; the few that may not say why above."""
    found = [f"{where} ({unit} -> {other})" for where, unit, other in deferred_imports()
             if (unit, other) not in DEFERRED_ALLOWED]
    assert not found, "imports inside functions:\n" + "\n".join(found)


def test_the_checker_catches_an_upward_import_and_a_cycle():
    """The contract is not vacuous: an import from org up to ordering, and a pair of modules
    importing each other, are both reported."""
    graph = grimp.build_graph("webapp", "jobs", cache_dir=None)
    graph.add_import(importer="webapp.org.services", imported="webapp.ordering.models")
    graph.add_import(importer="webapp.ordering.models", imported="webapp.org.services")
    assert "webapp.org.services -> webapp.ordering.models (org -> ordering)" in upward_imports(graph)
    assert any({"webapp.org.services", "webapp.ordering.models"} <= set(group)
               for group in module_cycles(graph))


# What templates may call: formatting and Flask's own helpers, nothing that reads the database.
TEMPLATE_GLOBALS = {
    "_", "config", "csrf_meta_tag", "csrf_token", "cycler", "dict", "g", "get_flashed_messages",
    "get_locale", "gettext", "joiner", "lipsum", "namespace", "ngettext", "npgettext", "pgettext",
    "range", "request", "role_label", "session", "url_for", "wants_fragment",
    "app_version",  # a string read once at start (webapp/config.py VERSION), no query
}


def test_templates_get_values_not_functions_that_query(app):
    """No domain registers a template global: a page's view builds what it shows (a new
    global needs a look at whether it touches the database, then a place in this list)."""
    assert set(app.jinja_env.globals) == TEMPLATE_GLOBALS


def test_no_template_compares_roles():
    """Templates show buttons by the services' answers (`may`), never by a role name."""
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted((ROOT / "templates").rglob("*.html"))
             for number, line in enumerate(path.read_text().splitlines(), start=1)
             if re.search(r"\.role\s*(==|!=|\bin\b)|\brole\s*(==|!=)", line)]
    assert not found, "role comparisons in templates:\n" + "\n".join(found)


if __name__ == "__main__":  # python -m tests.test_architecture: the whole list at once
    g = grimp.build_graph("webapp", "jobs", cache_dir=None)
    print("\n".join(upward_imports(g)))
    print("\n".join(" <-> ".join(group) for group in module_cycles(g)))
    print("\n".join(f"{w} ({u} -> {o})" for w, u, o in deferred_imports() if (u, o) not in DEFERRED_ALLOWED))
