"""The effective configuration's ServiceRow decodes a service's stored values when first read,
as json.loads does, and takes values a driver decoded itself as they are (issue 15)."""
import json

import pytest

from webapp.interfaces.resolver import ServiceRow, _decoded


@pytest.mark.parametrize("text", ['{"a": 1}', ' {"a": [1, 2.5, null]} ', '{"x": "\\u00e4"}\n',
                                  '{}'])
def test_decoded_is_json_loads(text):
    """_decoded gives what json.loads gives, whitespace around the JSON or not."""
    assert _decoded(text) == json.loads(text)


@pytest.mark.parametrize("text", [" nonsense", '{"a": 1} more', "{} {}"])
def test_decoded_refuses_what_json_loads_refuses(text):
    """Not JSON, or more after it: the same error as json.loads."""
    with pytest.raises(ValueError):
        _decoded(text)


def row(values):
    return ServiceRow((7, "smtp", "SMTP", None, None, None, False, True, True, False, values))


def test_service_row_values_from_text_or_decoded():
    """SQLite's text is decoded once; a driver's dict is kept."""
    from_text = row('{"host": "mail.example.org", "port": 587}')
    assert from_text.values == {"host": "mail.example.org", "port": 587}
    assert from_text.values is from_text.values
    decoded = {"host": "mail.example.org"}
    assert row(decoded).values is decoded
    assert from_text.scope == "chain"
