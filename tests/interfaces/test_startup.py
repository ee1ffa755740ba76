"""The app factory validates the interface catalogue: a malformed entry stops the start."""
import dataclasses

import pytest

from tests.factories import make_config
from webapp import create_app
from webapp.interfaces import catalogue


def test_a_malformed_catalogue_stops_the_app_factory(monkeypatch, tmp_path):
    """create_app() refuses to build an app on a broken catalogue, naming the entry."""
    group = catalogue.GROUPS[0]
    broken_field = dataclasses.replace(group.interfaces[0].fields[0], kind="textarea")
    broken = dataclasses.replace(group, interfaces=(dataclasses.replace(
        group.interfaces[0], fields=(broken_field, *group.interfaces[0].fields[1:])),
        *group.interfaces[1:]))
    monkeypatch.setattr(catalogue, "GROUPS", (broken, *catalogue.GROUPS[1:]))
    monkeypatch.setattr(catalogue, "_index", None)
    with pytest.raises(catalogue.CatalogueError, match="kind 'textarea'"):
        create_app(make_config(tmp_path))
