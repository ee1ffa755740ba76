"""Interface tests read English messages; the shared `world` and `make_service` are in
tests/conftest.py."""
import pytest

from tests.factories import make_config


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en")
