"""What people read about an order: the order form built from build_request."""
from datetime import datetime, timezone

from tests.factories import ear_mould_raw
from webapp.extensions import db
from webapp.ordering import pipeline, services
from webapp.ordering.adapters import order_document


def test_order_form_shows_the_order_time_in_the_chains_time_zone_and_no_secret(world, make_service):
    """02:15 UTC in November is 03:15 in Berlin; the form never carries the service's secrets."""
    make_service("ear_mould_standard_order",
                 {"companies": [str(world.dreve.id)], "supplier": str(world.dreve.id),
                  "delivery": "print_fax", "order_template": "Bestellschein"},
                 branch_id=world.st.id)
    make_service("dreve_smartorder", ear_mould_raw(world.egger, supplier=world.egger),
                 branch_id=world.st.id)
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    order.ordered_at = datetime(2026, 11, 21, 2, 15, tzinfo=timezone.utc)
    db.session.commit()
    request = pipeline.build_request(order, order.outbound, with_secrets=False)
    text, html = order_document(request)
    assert "21.11.2026 03:15" in text and "21.11.2026 03:15" in html
    assert request.secret("password") is None


def test_only_the_e_mail_adapter_gets_the_chains_smtp_service(world, make_service):
    """The SMTP service (and its password) goes into the request of e-mail orders only: a
    Dreve order's request has none, though the chain has one."""
    make_service("smtp", {"host": "mail.example.org", "port": "587", "encryption": "starttls",
                          "username": "u", "password": "smtp-secret",
                          "sender_address": "filiale@example.org"})
    make_service("ear_mould_standard_order",
                 {"companies": [str(world.egger.id)], "supplier": str(world.egger.id),
                  "delivery": "email", "order_template": "Bestellschein",
                  "subject": "Otoplastikbestellung"},
                 branch_id=world.st.id)
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 branch_id=world.st.id)
    by_mail, _ = services.place_order(world.staff, world.process, world.egger.id)
    services.cancel(world.staff, by_mail)
    (by_partner,) = services.place_order(world.staff, world.process, world.dreve.id)
    mail_request = pipeline.build_request(by_mail, by_mail.outbound)
    assert mail_request.smtp_config["host"] == "mail.example.org"
    assert mail_request.smtp_secret("password") == "smtp-secret"
    partner_request = pipeline.build_request(by_partner, by_partner.outbound)
    assert partner_request.smtp_config is None
