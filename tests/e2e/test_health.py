"""The health board in Chromium at 1366×768 (German UI): reached from the bar's Zustand beside
Schnittstellen, the passed test green with its age, many branches scrolling inside the table
area (the page itself never scrolls sideways, the group column stays), and "Nur Probleme"
replacing the board without a reload."""
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.org.models import Branch
from webapp.outbound.models import DONE, FAILED, Outbound

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1366, "height": 768}


def finished_test(service, ok, when):
    db.session.add(Outbound(
        kind="service_action", subject_type="service", subject_id=service.id, action="test",
        idempotency_key=str(uuid.uuid4()), state=DONE if ok else FAILED, requested_by="System",
        progress={"steps": [], "ok": ok}, created_at=when, started_at=when, finished_at=when))
    db.session.commit()


def test_board_reads_well_at_laptop_width(page, live_server, world, make_service, log_in,
                                          tmp_path):
    world.admin.set_password(PASSWORD)
    chain = make_service("smtp", name="Mailserver Zentrale", usage_server=True)
    finished_test(chain, True, utcnow() - timedelta(minutes=5))
    for index in range(10):
        branch = Branch(name=f"Filiale Nummer {index + 1}", short_code=f"F{index}")
        db.session.add(branch)
        db.session.commit()
        if index == 3:
            broken = make_service("smtp", name="Mail Filiale 4", branch_id=branch.id,
                                  usage_server=True)
            finished_test(broken, False, utcnow())
    page.set_viewport_size(VIEWPORT)
    log_in("admin")

    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    navigation.get_by_role("link", name="Zustand").click()
    expect(page.get_by_role("heading", name="Zustand der Schnittstellen", level=1)).to_be_visible()
    expect(navigation.locator('a[aria-current="page"]')).to_have_text("Zustand")
    table = page.get_by_role("table", name="Schnittstellen nach Gruppe (Zeilen) und Filiale "
                                           "(Spalten)")
    ulm = table.get_by_role("cell").filter(has_text="Mailserver Zentrale").last
    expect(ulm).to_contain_text("Bestanden")
    expect(ulm).to_contain_text("vor 5 Minuten")
    page.screenshot(path=str(tmp_path / "health.png"), full_page=True)

    # Twelve branch columns scroll inside their region, not the page; the group stays.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    region = page.get_by_role("region", name="Schnittstellen nach Gruppe (Zeilen) und Filiale "
                                             "(Spalten)")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    region.evaluate("el => el.scrollLeft = el.scrollWidth")
    group = table.get_by_role("rowheader", name="E-Mail")
    box = group.bounding_box()
    assert box["x"] >= 0 and box["x"] < 60
    expect(page.get_by_role("img", name="Bestandene und fehlgeschlagene Verbindungstests pro "
                                        "Tag")).to_be_visible()

    page.evaluate("window.__noReload = true")
    page.get_by_label("Nur Probleme").check()
    expect(table.get_by_role("columnheader")).to_have_text(["Gruppe", "Filiale Nummer 4"])
    expect(page).to_have_url(f"{live_server.url}/interfaces/health?group=&branch=&problems=1")
    expect(page.locator("#health-status")).to_have_text("Probleme: 1")
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "health-problems.png"), full_page=True)
