"""The change log in Chromium (German UI): every filter narrows the entries in place and the
URL follows, so the filtered view can be bookmarked and reloaded."""
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db

pytestmark = pytest.mark.e2e


def test_filters_narrow_the_entries_without_a_page_load(page, live_server, log_in, make_user,
                                                        make_branch):
    """Change type, then branch, then a search term: each swaps only the table."""
    make_user("admin", role="admin", name="Anna Admin")
    branch_id = make_branch("Stuttgart Mitte", "ST")
    with live_server.app.app_context():
        for day, (entity_type, label, action, branch) in enumerate((
                ("branch", "Stuttgart Mitte", "update", (branch_id, "Stuttgart Mitte")),
                ("company", "Dreve Otoplastik", "create", None),
                ("workstation", "ST-KASSE", "delete", (branch_id, "Stuttgart Mitte")),
                ("company", "Egger", "delete", None)), start=1):
            db.session.add(ChangeLogEntry(
                at=datetime(2026, 3, day, 9, tzinfo=timezone.utc), user_name="Anna Admin",
                entity_type=entity_type, entity_id=day, entity_label=label, action=action,
                branch_id=branch[0] if branch else None, branch_name=branch[1] if branch else "",
                changes=[{"field": "name", "old": "alt", "new": label}]))
        db.session.commit()
    log_in("admin")

    navigation = page.get_by_role("navigation")
    navigation.get_by_text("Verwaltung").click()
    navigation.get_by_role("link", name="Änderungsprotokoll").click()
    expect(page.get_by_role("heading", name="Änderungsprotokoll", level=1)).to_be_visible()
    rows = page.locator("#changelog-entries tbody tr")
    expect(rows).to_have_count(4)
    page.evaluate("window.__noReload = true")

    page.get_by_label("Änderungstyp").select_option(label="Gelöscht")
    expect(page).to_have_url(re.compile(r"action=delete"))
    expect(rows).to_have_count(2)
    page.get_by_label("Filiale").select_option(label="Stuttgart Mitte")
    expect(page).to_have_url(re.compile(rf"branch={branch_id}"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ST-KASSE")
    page.get_by_label("Filiale").select_option(label="Alle")
    page.get_by_label("Suchbegriff").fill("egger")
    expect(page).to_have_url(re.compile(r"q=egger"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Egger")
    assert page.evaluate("window.__noReload") is True

    page.reload()
    expect(page.get_by_label("Suchbegriff")).to_have_value("egger")
    expect(page.get_by_label("Änderungstyp")).to_have_value("delete")
    expect(rows).to_have_count(1)
