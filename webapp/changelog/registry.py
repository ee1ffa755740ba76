"""What the change log knows about the records it describes. The change log sits below every
domain and imports none: each domain registers its entity types at start-up (create_app calls
the packages' history.register(log) as it registers their blueprints), with

- the type's label and, while the record exists, a link to it;
- the field labels, in the order its form shows them;
- how stored values are put into words (codes by their labels, another record's id by that
  record's name — registered by the package that knows both).

Booleans, empty values, decimals, lists and secrets read the same for every type
(changelog.display)."""
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import current_app, url_for
from wtforms.fields.core import UnboundField

EXTENSION = "changelog"


@dataclass(frozen=True)
class EntityType:
    """One `entity_type` of changelog.record(...).

    `model` answers whether the record still exists and, for references, its `name`.
    `detail` names a column of the model that `link` and `labels` depend on (an interface
    service's interface type, a position's process). `link(entity_id, detail)` → the URL of
    the record's page, built from its arguments alone (a page of entries calls it once per
    type and detail and puts each id where it stood). `labels` is {field: label} in form
    order, or detail → such a dict; `field_label(field)` labels fields named at run time
    ("customer_number:Ulm"). `words` is {field: value → words}, or (field, value, detail) →
    words, None for the common rules."""

    key: str
    label: object
    model: object = None
    link: Callable | None = None
    detail: str | None = None
    labels: Mapping | Callable = field(default_factory=dict)
    field_label: Callable | None = None
    words: Mapping | Callable = field(default_factory=dict)
    admin_only: bool = False  # entries only administrators may read
    # Its records can be compared and restored (changelog.versions.Versions), or None.
    versions: object = None

    def labels_for(self, detail=None):
        return self.labels(detail) if callable(self.labels) else self.labels

    def words_for(self, name, value, detail=None):
        if callable(self.words):
            return self.words(name, value, detail)
        to_words = self.words.get(name)
        return None if to_words is None else to_words(value)


class Registry:
    """The entity types of one app, in the order they were registered (the change log's type
    filter offers them so), and the fields that name another record by id."""

    def __init__(self):
        self.types = {}
        self.references = {}  # (entity type, field) → referenced entity type

    def entity(self, key, label, **options):
        """Register an entity type; see EntityType for the options."""
        self.types[key] = EntityType(key, label, **options)

    def reference(self, entity_type, name, referenced):
        """`name` of `entity_type` stores the id of a `referenced` record: show its name."""
        self.references[(entity_type, name)] = referenced

    def get(self, key):
        return self.types.get(key)

    def type_label(self, key):
        found = self.types.get(key)
        return found.label if found is not None else key

    def keys(self):
        return tuple(self.types)

    def admin_only(self):
        return tuple(key for key, kind in self.types.items() if kind.admin_only)


def init_app(app):
    """A fresh registry for `app`; the factory hands it to each domain's register()."""
    registry = Registry()
    app.extensions[EXTENSION] = registry
    return registry


def of(app):
    """The registry of `app`."""
    return app.extensions[EXTENSION]


def current():
    """The registry of the app that handles the request."""
    return of(current_app)


def page(endpoint, argument=None):
    """A `link` to the record's own page: url_for(endpoint, <argument>=the record's id)."""
    def link(entity_id, _detail):
        return url_for(endpoint, **({argument: entity_id} if argument else {}))
    link.uses_detail = False  # one address format for every detail (changelog.display)
    return link


def form_labels(form_class):
    """{field name: label} of a WTForms class, in the order the form shows its fields: the
    labels a change log entry shows are the ones its editor shows."""
    fields = [(name, getattr(form_class, name, None)) for name in dir(form_class)]
    fields = sorted(((name, unbound) for name, unbound in fields
                     if isinstance(unbound, UnboundField)),
                    key=lambda pair: pair[1].creation_counter)
    labels = {}
    for name, unbound in fields:
        label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
        if label is not None:
            labels[name] = label
    return labels
