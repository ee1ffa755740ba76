"""get_adapter covers the nine ear-mould interfaces of the catalogue, and the adapters' protocol
table says what the sandbox (and so docs/partners/) says."""
import pytest

from sandbox import PARTNERS
from webapp.interfaces.catalogue.data_acoustics import EAR_MOULD_ORDERING
from webapp.ordering.adapters import ADAPTERS, get_adapter
from webapp.ordering.adapters.https import PROTOCOLS

from .conftest import PARTNER_NAMES


def test_every_ear_mould_interface_has_an_adapter():
    """The nine catalogue keys, no more; an unknown key is a KeyError."""
    assert set(ADAPTERS) == {interface.key for interface in EAR_MOULD_ORDERING.interfaces}
    assert all(key in get_adapter(key).interface_keys for key in ADAPTERS)
    with pytest.raises(KeyError):
        get_adapter("fax_machine")
    lookups = {key for key, adapter in ADAPTERS.items() if adapter.can_lookup}
    assert lookups == set(PROTOCOLS)


@pytest.mark.parametrize("key", sorted(PROTOCOLS))
def test_the_protocol_table_matches_the_sandbox(key):
    """Paths, credentials, field names, words and numbers as the sandbox speaks them."""
    ours, theirs = PROTOCOLS[key], PARTNERS[PARTNER_NAMES[key]]
    auth = theirs["auth"]
    assert ours.collection == "/" + theirs["collection"]
    assert ours.auth == auth["kind"]
    assert (ours.number_field, ours.reference_field, ours.container) == (
        theirs["number_field"], theirs["reference"], theirs["container"])
    assert (ours.fields, ours.sides, ours.statuses) == (
        theirs["fields"], theirs["sides"], theirs["statuses"])
    assert ours.login_path == auth.get("login", "")
    if auth["kind"] == "bearer":
        assert (ours.user_field, ours.password_field, ours.token_field) == (
            auth["user_field"], auth["password_field"], auth["token_field"])
    if auth["kind"] == "session":
        assert ours.token_field == auth["cookie"]
    if auth["kind"] == "api_key":
        assert (ours.key_header, ours.account_header) == (auth["header"],
                                                          auth["account_header"])
