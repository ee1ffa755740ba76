"""Who may change services — enforced by the services themselves, not only the screens."""
import pytest

from tests.factories import SMTP_RAW
from webapp.errors import PermissionDenied
from webapp.interfaces import services


def test_admin_changes_everything(world, make_service):
    """Chain, branch and workstation services are the admin's to change."""
    for where in ({}, {"branch_id": world.ul.id}, {"workstation_id": world.ul_till.id}):
        service = make_service("smtp", **where)
        assert services.can_edit_service(world.admin, service)
        assert services.update_service(world.admin, service, {"name": "neu"}, None,
                                       service.version)
        services.delete_service(world.admin, service)


def test_branch_manager_own_branches_and_their_workstations(world, make_service):
    """Maria (Stuttgart) manages Stuttgart's and its tills' services, nothing else (the
    admin sets the mail server up: its host is an admin-only field)."""
    own = make_service("smtp", branch_id=world.st.id)
    till = make_service("tse_swissbit", {"drive_letter": "E:"}, actor=world.manager,
                        workstation_id=world.st_till.id)
    assert services.update_service(world.manager, own, {"protected": True}, None, own.version)
    services.delete_service(world.manager, till)
    with pytest.raises(PermissionDenied, match="own branches"):
        make_service("smtp", actor=world.manager, branch_id=world.ul.id)
    with pytest.raises(PermissionDenied, match="own branches"):
        make_service("tse_swissbit", {"drive_letter": "E:"}, actor=world.manager,
                     workstation_id=world.ul_till.id)
    with pytest.raises(PermissionDenied, match="own branches"):
        services.update_service(world.manager, own, {"branch_id": world.ul.id}, None,
                                own.version)


def test_branch_manager_reads_but_cannot_change_chain_services(world, make_service):
    """Chain-wide services are visible to branch managers and changed only by admins."""
    chain = make_service("smtp")
    assert [row.id for row in services.search_services().items] == [chain.id]
    assert not services.can_edit_service(world.manager, chain)
    assert not services.can_create_in(world.manager, None)
    assert services.can_create_in(world.manager, world.st.id)
    with pytest.raises(PermissionDenied, match="Only administrators"):
        make_service("smtp", actor=world.manager, name="Chain 2")
    with pytest.raises(PermissionDenied, match="Only administrators"):
        services.update_service(world.manager, chain, {"name": "x"}, None, chain.version)
    with pytest.raises(PermissionDenied):
        services.delete_service(world.manager, chain)
    own = make_service("smtp", branch_id=world.st.id)
    with pytest.raises(PermissionDenied, match="Only administrators"):
        services.update_service(world.manager, own, {"branch_id": None}, None, own.version)
    with pytest.raises(PermissionDenied, match="Only administrators"):
        services.copy_service(world.manager, own, {"branch_id": None})


def test_staff_reads_only(world, make_service):
    """Staff may list services but create, change, copy and delete nothing."""
    service = make_service("smtp", branch_id=world.st.id)
    assert services.search_services().total == 1
    assert not services.can_edit_service(world.staff, service)
    message = "read services but not change them"
    with pytest.raises(PermissionDenied, match=message):
        make_service("smtp", actor=world.staff, raw=dict(SMTP_RAW), branch_id=world.st.id,
                     name="x")
    with pytest.raises(PermissionDenied, match=message):
        services.update_service(world.staff, service, {"name": "x"}, None, service.version)
    with pytest.raises(PermissionDenied, match=message):
        services.copy_service(world.staff, service, {"branch_id": world.ul.id})
    with pytest.raises(PermissionDenied, match=message):
        services.delete_service(world.staff, service)
