"""The interface screens' markup written in Python for speed (issue 15) is the markup the
templates' loops and translations wrote, escaped alike."""
from collections import namedtuple

import pytest
from flask import render_template_string, session, url_for

from webapp.interfaces.forms import picker_label
from webapp.changelog.display import LINK_MARKER
from webapp.interfaces.services import SORTS
from webapp.interfaces.views import SORT_COLUMNS, branch_options, list_urls

Row = namedtuple("Row", "id name")
HOSTILE = 'Ulm <"Münster"> & Söhne\'s {{ x }} %(field)s'
BRANCHES = [Row(1, "Filiale 001"), Row(2, HOSTILE), Row(30, "")]
# The loop services.html held before branch_options.
LOOP = ('{% for b in branches %}<option value="{{ b.id }}"{% if b.id == chosen %} selected'
        '{% endif %}>{{ b.name }}</option>{% endfor %}')


@pytest.mark.parametrize("chosen", [None, "chain", 1, 2, 30, 99])
@pytest.mark.parametrize("branches", [BRANCHES, []])
def test_branch_options_are_the_templates_loop(app, chosen, branches):
    """Any chosen branch (or none, or the chain), names with markup: the same options."""
    with app.test_request_context("/"):
        expected = render_template_string(
            "<select>" + LOOP + "</select>", branches=branches, chosen=chosen)
        assert render_template_string(
            "<select>{{ options }}</select>", options=branch_options(branches, chosen)) == expected


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("label", ["Anschreiben", HOSTILE, ""])
def test_picker_label_is_the_templates_translation(app, language, label):
    """The search button's aria-label, made once per label: what the template's _() made."""
    with app.test_request_context("/"):
        session["lang"] = language
        pickers = {}
        expected = render_template_string(
            "{{ _('Search … %(field)s', field=label) }}", label=label)
        assert expected.startswith("Suchen …" if language == "de" else "Search …")
        assert render_template_string("{{ made }}", made=picker_label(label, pickers)) == expected
        assert picker_label(label, pickers) is picker_label(label, pickers)


@pytest.mark.parametrize("sargs", [{}, {"station_id": 7}])
@pytest.mark.parametrize("query", [
    {}, {"q": "Müller & Söhne <b> a+b/c?d=e#f %20"}, {"group": "email", "branch": 3, "ws": "y"},
    {"q": f"x{LINK_MARKER}y", "branch": "chain"}, {"q": str(LINK_MARKER)}])
@pytest.mark.parametrize("sort", SORTS)
def test_list_urls_are_url_fors(app, sargs, query, sort):
    """The list's sort links, its bare address and the address as shown: url_for's, any
    search (the marker's digits in it too), in a workstation's settings too."""
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": "/app"}):
        sort_urls, list_url, canonical_url = list_urls(sargs, dict(query), sort)
        assert sort_urls == {key: url_for("interfaces.list_get", **sargs, **query, sort=key)
                             for key in SORT_COLUMNS}
        assert list_url == url_for("interfaces.list_get", **sargs)
        shown = dict(query, **({"sort": sort} if sort != "group" else {}))
        assert canonical_url == url_for("interfaces.list_get", **sargs, **shown)
