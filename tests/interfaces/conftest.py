"""Interface tests read English messages; the shared `world` and `make_service` are in
tests/conftest.py."""
import pytest

from tests.factories import make_config
from webapp.extensions import db


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def english(world):
    """The world's users read English (a module asks with usefixtures("english"))."""
    for user in (world.admin, world.manager, world.staff):
        user.preferred_language = "en"
    db.session.commit()
