"""The interface screens' markup written in Python for speed (issue 15) is the markup the
templates' loops and translations wrote, escaped alike."""
from collections import namedtuple

import pytest
from flask import render_template_string, session

from webapp.interfaces.forms import picker_label
from webapp.interfaces.views import branch_options

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
