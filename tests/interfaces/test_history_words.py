"""interfaces.history.words: the change log's words for a service's fields, found by the
service's type, or across the catalogue for a type it no longer has."""
from webapp.interfaces import catalogue, history


def _first(kind_test):
    for group in catalogue.load():
        for interface in group.interfaces:
            for spec in (*interface.fields, *interface.tables):
                if kind_test(spec):
                    return interface, spec
    raise AssertionError("the catalogue has no such field")


def test_words_of_a_choice_a_table_and_other_fields(app):
    interface, choice = _first(lambda spec: getattr(spec, "kind", None) == "choice")
    value = choice.choices[0][0] if isinstance(choice.choices[0], tuple) else choice.choices[0]
    table_interface, table = _first(lambda spec: getattr(spec, "kind", None) is None)
    with app.test_request_context():
        label = choice.choice_label(value, history.ui_language())
        assert history.words(choice.key, value, interface.key) == label
        # A type the catalogue no longer has, or none: the key's meaning across types.
        assert history.words(choice.key, value, "no_such_type") == history.words(
            choice.key, value, None)
        assert history.words(table.key, [["a"], ["b"]], table_interface.key)  in ("2 Zeilen", "2 rows")
        assert history.words("name", "Mail", interface.key) is None
        assert history.words("no_such_field", "x", interface.key) is None
