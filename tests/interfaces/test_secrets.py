"""Service secrets: encrypted at rest, write-only, never copied, logged without values, and
revealed only to admins when the chain allows it — with a log entry."""
import json

import pytest
from sqlalchemy import text

from tests.factories import SMTP_RAW
from webapp import crypto
from webapp.changelog.models import ChangeLogEntry
from webapp.errors import DomainError, PermissionDenied
from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.models import ServiceSecret
from webapp.org.services import get_chain

PASSWORD = "Postfach-Passwort-7"


def raw_secret(service_id):
    return db.session.execute(text(
        "SELECT value FROM interface_service_secrets WHERE service_id = :id "
        "AND field_key = 'password'"), {"id": service_id}).scalar()


def entries(service_id):
    return db.session.scalars(db.select(ChangeLogEntry).where(
        ChangeLogEntry.entity_id == service_id).order_by(ChangeLogEntry.id)).all()


@pytest.fixture
def smtp(make_service):
    return make_service("smtp", {**SMTP_RAW, "username": "filiale", "password": PASSWORD})


def test_stored_encrypted_not_in_the_values(smtp):
    """The raw column holds a Fernet token, not the password; the JSON values lack it."""
    stored = raw_secret(smtp.id)
    assert stored.startswith("gAAAAA") and PASSWORD not in stored
    row = db.session.execute(text("SELECT field_values FROM interface_services")).scalar()
    stored_values = row if isinstance(row, dict) else json.loads(row)  # PostgreSQL: a dict
    assert PASSWORD not in json.dumps(stored_values) and "password" not in stored_values
    assert (ServiceSecret, "value") in crypto.encrypted_columns()


def test_states_replace_keep_clear(world, smtp):
    """Set / not set; an empty input keeps it, a new one replaces it, '-clear' clears it."""
    assert services.secret_states(smtp) == {"password": True}
    assert services.update_service(world.admin, smtp, {}, {**SMTP_RAW, "username": "filiale"},
                                   smtp.version) is False
    assert services.update_service(world.admin, smtp, {}, {**SMTP_RAW, "username": "filiale",
                                                           "password": "neu"}, smtp.version)
    assert services.stored_secret(smtp, "password") == "neu"
    assert services.update_service(world.admin, smtp, {}, {**SMTP_RAW, "username": "filiale",
                                                           "password-clear": "y"}, smtp.version)
    assert services.secret_states(smtp) == {"password": False}
    assert raw_secret(smtp.id) is None


def test_change_log_says_changed_without_any_value(world, smtp):
    """Create and replace are logged as {'field': 'password', 'secret': True}; replacing with
    the same value is no change at all."""
    services.update_service(world.admin, smtp, {}, {**SMTP_RAW, "username": "filiale",
                                                    "password": "anders"}, smtp.version)
    assert not services.update_service(world.admin, smtp, {}, {
        **SMTP_RAW, "username": "filiale", "password": "anders"}, smtp.version)
    created, updated = entries(smtp.id)
    assert {"field": "password", "secret": True} in created.changes
    assert updated.changes == [{"field": "password", "secret": True}]
    for entry in (created, updated):
        dumped = json.dumps(entry.changes)
        assert PASSWORD not in dumped and "anders" not in dumped


def test_search_and_copies_never_carry_secrets(world, smtp):
    """Listed services expose no secret; a copy starts with every secret unset."""
    (listed,) = services.search_services().items
    assert "password" not in listed._mapping and "values" not in listed._mapping
    assert set(listed._mapping) == {"id", "name", "interface_key", "protected", "usage_server",
                                    "usage_client", "enabled", "start_date", "branch_name",
                                    "workstation_name"}
    copy = services.copy_service(world.admin, smtp, {"branch_id": world.st.id})
    assert services.secret_states(copy) == {"password": False}
    assert services.service_values(copy)["username"] == "filiale"
    assert db.session.scalar(db.select(db.func.count()).select_from(ServiceSecret)) == 1


def test_reveal_only_for_admins_when_the_chain_allows(world, smtp):
    """Off by default; branch managers never; with the option an admin sees it, and the
    reveal is logged with the field name only."""
    with pytest.raises(PermissionDenied):
        services.reveal_secret(world.admin, smtp, "password")
    get_chain().admins_may_view_secrets = True
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.reveal_secret(world.manager, smtp, "password")
    assert services.reveal_secret(world.admin, smtp, "password") == PASSWORD
    reveal = entries(smtp.id)[-1]
    assert reveal.action == "reveal" and reveal.user_name == "Anna Admin"
    assert reveal.changes == [{"field": "password", "secret": True}]
    with pytest.raises(DomainError):
        services.reveal_secret(world.admin, smtp, "host")


def test_rotation_re_encrypts_service_secrets(app, runner, smtp):
    """`flask rotate-encryption-keys` finds the service secrets too."""
    before = raw_secret(smtp.id)
    app.config["ENCRYPTION_KEYS"] = "new-key, test-encryption-key"
    result = runner.invoke(args=["rotate-encryption-keys"])
    assert result.exit_code == 0, result.output
    assert "ServiceSecret.value: 1" in result.output
    db.session.expire_all()
    assert raw_secret(smtp.id) != before
    app.config["ENCRYPTION_KEYS"] = "new-key"
    assert services.stored_secret(db.session.merge(smtp), "password") == PASSWORD
