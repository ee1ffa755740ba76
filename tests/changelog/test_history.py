"""A record's history panel shows its own life only, also where a database from before ids
were AUTOINCREMENT gave a new record a deleted one's id (issue 16)."""
from datetime import datetime, timedelta, timezone

from tests.factories import HX
from tests.translated import de
from webapp.changelog.services import entries_for
from webapp.extensions import db
from webapp.org.models import Branch


def test_history_starts_at_the_latest_creation(app, add_entry):
    """Without the record's created_at, entries_for starts at its latest 'create' or 'copy'
    entry: the deleted predecessor's entries under the same id stay out."""
    now = datetime.now(timezone.utc)
    add_entry("workstation", 7, "ALT-PC", action="create", at=now - timedelta(days=3))
    add_entry("workstation", 7, "ALT-PC", action="delete", at=now - timedelta(days=2))
    add_entry("workstation", 7, "NEU-PC", action="copy", at=now - timedelta(days=1))
    add_entry("workstation", 7, "NEU-PC", action="update", at=now)
    add_entry("interface_service", 7, "Mail", action="update", at=now - timedelta(days=4))
    with app.app_context():
        assert [(e.entity_label, e.action) for e in entries_for("workstation", 7)] == [
            ("NEU-PC", "update"), ("NEU-PC", "copy")]
        # A record whose creation was never logged keeps all its entries.
        assert len(entries_for("interface_service", 7)) == 1


def test_branch_history_hides_the_predecessor_under_its_id(client, auth, org, add_entry):
    """The branch editor's history leaves out what was logged under the branch's id before
    the branch was created: a deleted branch's creation, changes and deletion."""
    past = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    add_entry("branch", org.ul, "Alt-Filiale", action="create", at=past,
              changes=[{"field": "name", "old": None, "new": "Alt-Filiale"}])
    add_entry("branch", org.ul, "Alt-Filiale", action="update", at=past + timedelta(days=1),
              changes=[{"field": "city", "old": "Alt-Stadt", "new": "Neu-Stadt"}])
    add_entry("branch", org.ul, "Alt-Filiale", action="delete", at=past + timedelta(days=2))
    with client.application.app_context():
        created = db.session.get(Branch, org.ul).created_at
    add_entry("branch", org.ul, "Ulm", at=created + timedelta(seconds=1),
              changes=[{"field": "city", "old": "", "new": "Ulm"}])
    auth.login("admin")
    editor = client.get(f"/branches/{org.ul}", headers=HX).get_data(as_text=True)
    history = editor[editor.index('<details class="history">'):]
    assert f'{de("City")}: — → Ulm' in history
    assert "Alt-" not in history and de("deleted") not in history
