"""The effective configuration escapes every text from the database: its field rows come to
the template as ready HTML (issue 15), escaped as markupsafe escapes."""
import pytest
from markupsafe import escape

from tests.factories import SMTP_RAW, make_config
from webapp.extensions import db
from webapp.templating import escape_in_python as _escaped_in_python
from webapp.templating import escape_text as _escaped

HOSTILE = "<b>\"x\" & 'y'</b>"


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)


@pytest.mark.parametrize("text", ["", "plain", HOSTILE, "&amp; &lt;", "—ä<>&'\"" * 3])
def test_escaped_is_markupsafe_escape(text):
    """_escaped (markupsafe's own or ours) gives the characters markupsafe.escape gives, as a
    plain str."""
    for escaped in (_escaped, _escaped_in_python):
        assert escaped(text) == str(escape(text))
        assert type(escaped(text)) is str


def test_values_labels_and_names_are_escaped(client, auth, world, make_service):
    """Markup in a value, a service's name and a company's name shows as text."""
    make_service("smtp", {**SMTP_RAW, "sender_name": HOSTILE}, name=f"SMTP {HOSTILE}",
                 branch_id=world.st.id)
    world.dreve.name = HOSTILE
    make_service("email_order", {"company": str(world.dreve.id), "subject": HOSTILE,
                                 "order_template": "Standard"}, name="Bestellung")
    db.session.commit()
    auth.login(world.admin)
    body = client.get(f"/workstations/{world.st_till.id}/effective").get_data(as_text=True)
    assert HOSTILE not in body
    assert body.count(str(escape(HOSTILE))) >= 4  # sender, service name, subject, company
    assert "<td>&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;</td>" in body
