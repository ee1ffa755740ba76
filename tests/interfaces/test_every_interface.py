"""Every group of the catalogue can be opened in the UI and has a configurable interface."""
import re

from webapp.interfaces.catalogue import GROUPS


def _form_url(interface, station_id):
    if "branch" in interface.scopes or "chain" in interface.scopes:
        return f"/interfaces/new/{interface.key}"
    return f"/workstations/{station_id}/interfaces/new/{interface.key}"


def test_every_interface_opens_with_an_input_per_field(client, admin, make_branch, make_workstation):
    """All 47 groups: each interface's Neu form renders (200) with a control for each field,
    and each group has at least one interface with fields."""
    station = make_workstation("ST-KASSE", make_branch("Stuttgart", "ST"))
    assert len(GROUPS) == 47
    for group in GROUPS:
        configurable = 0
        for interface in group.interfaces:
            response = client.get(_form_url(interface, station))
            assert response.status_code == 200, (group.key, interface.key)
            html = response.get_data(as_text=True)
            for spec in interface.fields:
                assert re.search(rf'name="{re.escape(spec.key)}(-clear)?"', html), (interface.key, spec.key)
            configurable += bool(interface.fields)
        assert configurable, group.key
