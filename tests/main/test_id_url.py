"""views_helpers.id_url: a list's row links, built from one URL, are url_for's."""
from flask import url_for

from webapp.views_helpers import id_url


def test_id_url_answers_what_url_for_answers(app):
    """The same text as url_for for any id, also under a script root and with more values."""
    for root in ("", "/schnittstellen"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            customer_url = id_url("customers.customer_get", "customer_id")
            history_url = id_url("interfaces.action_history_get", "service_id",
                                 action_key="submit")
            for record_id in (1, 42, 10 ** 12):
                assert customer_url(record_id) == url_for("customers.customer_get",
                                                          customer_id=record_id)
                assert history_url(record_id) == url_for(
                    "interfaces.action_history_get", service_id=record_id, action_key="submit")
            assert customer_url(7).startswith(root + "/customers/")
