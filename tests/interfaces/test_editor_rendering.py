"""The editor's cheaper rendering (issue 15) gives the same markup as the generic one."""
import pytest
from flask import request, url_for
from markupsafe import Markup
from wtforms import Form, SelectField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, HiddenInput, TextInput, html_params

from tests.factories import HX, ear_mould_raw
from webapp.forms import optional_id
from webapp.interfaces import catalogue
from webapp.interfaces.catalogue.schema import FieldSpec
from webapp.interfaces.forms import (
    FlatSelect, QuickCheckboxInput, QuickHiddenInput, QuickTextInput, ServiceForm,
    picker_url, interface_fields, quick_html_params, with_default_rows,
)

CHOICES = [("", "All branches"), ("1", "Filiale 001"), ("2", 'Ulm <"Münster"> & Söhne\'s'),
           ("30", "")]


def forms_of(**field_options):
    """The same field with WTForms' Select and with FlatSelect."""
    class Generic(Form):
        branch_id = SelectField("Branch", coerce=optional_id, **field_options)

    class Flat(Form):
        branch_id = SelectField("Branch", coerce=optional_id, widget=FlatSelect(),
                                **field_options)
    return Generic, Flat


@pytest.mark.parametrize("data", [None, 1, 2, 30, 99])
@pytest.mark.parametrize("kwargs", [{}, {"disabled": True, "aria-describedby": "branch_id-help"},
                                    {"autofocus": False}, {"aria-invalid": "true"}])
def test_flat_select_renders_as_wtforms_select(data, kwargs):
    """Any selection, empty and escaped labels, extra attributes: the same markup."""
    generic, flat = forms_of()
    rendered = []
    for form_class in (generic, flat):
        form = form_class(data={"branch_id": data})
        form.branch_id.choices = CHOICES
        rendered.append(str(form.branch_id(**kwargs)))
    assert rendered[0] == rendered[1]
    assert ("selected value" in rendered[1]) == (data in (None, 1, 2, 30))


def test_flat_select_keeps_flags_and_other_choices():
    """A required field's flag is rendered; choices it does not handle (groups, three-tuples)
    take WTForms' own path."""
    generic, flat = forms_of(validators=[DataRequired()])
    for choices in (CHOICES, [("1", "a", {"data-x": "y"})], {"Group": [("1", "a")]}):
        rendered = []
        for form_class in (generic, flat):
            form = form_class(data={"branch_id": 1})
            form.branch_id.choices = choices
            rendered.append(str(form.branch_id()))
        assert rendered[0] == rendered[1]
    assert " required" in rendered[1]


def test_the_service_form_reads_no_wtforms_catalogue(app):
    """Building the editor's form translates nothing through WTForms, whose catalogue
    Flask-WTF would read from disk once per request; its hidden version keeps its label."""
    with app.test_request_context("/"):
        form = ServiceForm(formdata=None, data={"name": "Mail"}, version=3)
        assert not hasattr(request, "wtforms_translations")
        assert form.version.label.text == "Version"
        assert 'value="3"' in str(form.hidden_tag())


def test_the_editor_reads_its_service_and_secrets_in_one_statement(client, auth, world,
                                                                   make_service, count_queries):
    """The service comes with its branch and secret states in one statement; its company
    links, which the editor does not show (the values do), are not read."""
    service = make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                           name="Dreve ST", branch_id=world.st.id)
    auth.login(world.admin)
    with count_queries() as counter:
        page = client.get(f"/interfaces/{service.id}", headers=HX).get_data(as_text=True)
    reading = [s for s in counter.statements if "interface_service_secrets" in s]
    assert len(reading) == 1 and "FROM interface_services" in reading[0]
    assert not [s for s in counter.statements if "interface_service_companies" in s]
    assert f'<option value="{world.dreve.id}" selected>' in page
    assert 'class="badge ok"' in page  # the password is set


@pytest.mark.parametrize("kwargs", [
    {"name": "name", "id": "name", "type": "text", "value": 'Mail <"Ulm"> & Söhne\'s',
     "required": True, "autofocus": False},
    {"aria_describedby": "a b", "data_shown_if": "x", "class_": "c", "for_": "y"},
    {"value": Markup('<b title="x">'), "checked": True, "disabled": False},
    {"aria-invalid": "true", "value": 3},
])
def test_quick_html_params_renders_as_wtforms(kwargs):
    """The same attributes, in the same order and escaping, as wtforms' html_params."""
    assert str(quick_html_params(**kwargs)) == str(html_params(**kwargs))


def test_the_service_form_renders_as_with_wtforms_widgets(app):
    """Each field of the editor's form, with its quick widget and with WTForms' own, checked
    or not, with a message or not: the same markup."""
    stock = {QuickTextInput: TextInput(), QuickCheckboxInput: CheckboxInput(),
             QuickHiddenInput: HiddenInput()}
    with app.test_request_context("/"):
        for data in ({"name": 'A "B" <c>', "start_date": "2026-01-31", "usage_server": True,
                      "protected": True, "enabled": False},
                     {"name": "", "start_date": "", "usage_client": True, "enabled": True}):
            form = ServiceForm(formdata=None, data=data, version=7)
            quick = [field for field in form if type(field.widget) in stock]
            # The seven fields and the CSRF token (on in the tests' app).
            assert len(quick) == (8 if "csrf_token" in form else 7)
            for field in quick:
                for kwargs in ({}, {"aria-invalid": "true", "aria-describedby": "x-error"}):
                    rendered = str(field(**kwargs))
                    widget, field.widget = field.widget, stock[type(field.widget)]
                    assert rendered == str(field(**kwargs))
                    field.widget = widget


def test_field_texts_follow_the_language(app):
    """Labels, help and choices worked out once per field are kept per language."""
    card = catalogue.get_interface("card_order")
    with app.test_request_context("/"):
        for lang in ("de", "en", "de"):
            _sections, tables = interface_fields(card, with_default_rows(card, {}), {}, lang,
                                                 lambda kind: [])
            fields = {view.spec.key: view for view in tables[0].rows[0][1]}
            spec = fields["ship_to"].spec
            assert fields["ship_to"].label == spec.text("label", lang)
            assert fields["ship_to"].options == [
                (value, label_en if lang == "en" else label_de)
                for value, label_de, label_en in spec.choices]
            assert fields["cover_letter"].shown_if[0] == "templates-0-ship_to"


@pytest.mark.parametrize("kind", ["cover_letter", ""])
def test_search_dialog_urls_are_url_fors(app, kind):
    """A document_template input's search dialog URL, built once per field, is what url_for
    gives for each input: any id, label and kind, under a script root too."""
    spec = FieldSpec(key="letter", kind="document_template", label_de="Brief & Söhne",
                     label_en="Letter", document_kind=kind)
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": "/app"}):
        pickers = {}
        for target in ("f-templates-0-letter", "f-templates-12-letter", "f-a b&c/ü?+%"):
            for label in ("Brief & Söhne", "Letter"):
                assert picker_url(spec, label, target, pickers) == url_for(
                    "documents.picker_get", target=target, kind=kind or None, label=label)
        assert len(pickers) == 2


@pytest.mark.parametrize("text", ["Branch", 'Ulm <"Münster"> & Söhne\'s', ""])
@pytest.mark.parametrize("kwargs", [{}, {"for_": "x<y"}, {"class_": "a\"b", "for": "z"},
                                    {"text": "Other <b>"}, {"hidden": True, "data_x": False}])
def test_quick_label_renders_as_wtforms_label(text, kwargs):
    from wtforms.fields.core import Label
    from webapp.interfaces.forms import QuickLabel
    assert str(QuickLabel("f-1", text)(**kwargs)) == str(Label("f-1", text)(**kwargs))


def test_the_service_form_labels_and_token_render_as_wtforms_own(app):
    """ServiceForm's labels and its CSRF token's input: the markup of WTForms' own."""
    from wtforms.fields.core import Label
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/"):
        form = ServiceForm(formdata=None, data={"name": "Mail"}, version=3)
        for field in form:
            assert str(field.label()) == str(Label(field.id, field.label.text)())
        assert str(form.csrf_token()) == str(HiddenInput()(form.csrf_token))
        assert 'name="csrf_token"' in str(form.hidden_tag())


@pytest.mark.parametrize("help_text, error", [("", None), ("Help", None), ("", "Wrong"),
                                              ("Help", "Wrong")])
def test_a_field_names_its_help_and_message(app, help_text, error):
    """aria-describedby names the help's id, then the message's, those the field has; each
    stands on its paragraph."""
    spec = FieldSpec(key="note", kind="text", label_de="Notiz", label_en="Note")
    with app.test_request_context("/"):
        html = app.jinja_env.get_template("interfaces/_fields.html").module.iface_fields
        from webapp.interfaces.forms import FieldView
        view = FieldView(spec=spec, name="t-0-note", label="Note", help=help_text, value="",
                         error=error)
        rendered = str(html([view]))
    described = [i for i, shown in (("f-t-0-note-help", help_text), ("f-t-0-note-error", error))
                 if shown]
    if described:
        assert f'aria-describedby="{" ".join(described)}"' in rendered
    else:
        assert "aria-describedby" not in rendered
    assert ('<p class="help" id="f-t-0-note-help">Help</p>' in rendered) == bool(help_text)
    assert ('<p class="error" id="f-t-0-note-error">Wrong</p>' in rendered) == bool(error)
    assert ('aria-invalid="true"' in rendered) == bool(error)


def test_an_added_row_is_one_row_and_its_button(client, auth, world):
    """Zeile hinzufügen answers one row of the numbered inputs (the macro table_rows, which
    renders the editor's rows too) before the next button."""
    auth.login(world.admin)
    added = client.get("/interfaces/rows/card_order/templates?row=0",
                       headers=HX).get_data(as_text=True)
    row = added.split('<button type="button" id="add-row-templates"')[0]
    assert row.lstrip("\n").startswith("<fieldset class=\"table-row\">")
    assert row.count("<fieldset") == 1
    assert 'name="templates-0-name"' in row
