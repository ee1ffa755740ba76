from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from ..forms import (CheckboxesField, NoMarkup, Phone, PostalCode, VersionedForm, optional_id,
                     record_id, strip)
from . import services

TIMEZONES = sorted(tz for tz in available_timezones() if "/" in tz and not tz.startswith("Etc/"))


class ChainForm(VersionedForm):
    name = StringField(_l("Name of the chain"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(tz) for tz in TIMEZONES],
                           validators=[DataRequired()])
    admins_may_view_secrets = BooleanField(_l("Administrators may view stored passwords"))
    customers_by_branch = BooleanField(
        _l("Staff see only the customers of their own branches"),
        description=_l("Off: customers are chain-wide and can be served in any branch. On: "
                       "branch managers and staff find only customers whose branch is one of "
                       "theirs; administrators see all."))
    health_check_time = StringField(
        _l("Nightly connection tests at"), filters=[strip], render_kw={"type": "time"},
        validators=[Optional(), Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                       message=_l("A time of day such as 02:00."))],
        description=_l("Every night at this time (the chain's time zone) the server tests the "
                       "connection of every active server-side service. Empty: no nightly "
                       "tests."))
    health_alert_after = IntegerField(
        _l("Alert after failed tests in a row"), default=3,
        validators=[DataRequired(), NumberRange(1, 30)],
        description=_l("Users who want to hear about interface failures get an e-mail and "
                       "a notice on the health board after this many failed connection tests "
                       "of a service in a row, and once more when it passes again."))
    audoora_auto_refresh = BooleanField(
        _l("Refresh the Audoora registration automatically at night"),
        description=_l("On: every night after 3:00 (the chain's time zone) the registration "
                       "of each Audoora service is refreshed when a branch, user or customer "
                       "number changed since the last one. It sends every branch and user of "
                       "the chain, as \"Registrierung aktualisieren\" does."))


def lab_choices(form, field):
    """The labs (companies with the lab role) plus whatever the field has now
    (services.ear_mould_labs), after an empty choice."""
    return [SelectChoice("", _l("— none —"))] + [
        SelectChoice(company_id, name)
        for company_id, name in services.ear_mould_labs(field.object_data)]


class BranchForm(VersionedForm):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    short_code = StringField(_l("Short code"), filters=[strip],
                             validators=[DataRequired(), Length(max=10),
                                         Regexp(r"^[A-Za-z0-9_-]+$",
                                                message=_l("Letters, digits, - and _ only."))])
    street = StringField(_l("Street"), filters=[strip], validators=[Length(max=120), NoMarkup()])
    postal_code = StringField(_l("Postal code"), filters=[strip],
                              validators=[Length(max=10), PostalCode()])
    city = StringField(_l("City"), filters=[strip], validators=[Length(max=80), NoMarkup()])
    office_street = StringField(_l("Street"), filters=[strip],
                                validators=[Length(max=120), NoMarkup()])
    office_postal_code = StringField(_l("Postal code"), filters=[strip],
                                     validators=[Length(max=10), PostalCode()])
    office_city = StringField(_l("City"), filters=[strip], validators=[Length(max=80), NoMarkup()])
    office_email = StringField(_l("E-mail"), filters=[strip],
                               validators=[Optional(), Length(max=254), Email(check_deliverability=False)])
    office_phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40), Phone()])
    ear_mould_lab_id = SelectField(
        _l("Predefined ear-mould lab"), coerce=optional_id, validate_choice=True, choices=lab_choices,
        description=_l("Preselected at the order service step of this branch's processes."))


class WorkstationForm(VersionedForm):
    name = StringField(_l("Name / host name"), filters=[strip],
                       validators=[DataRequired(), Length(max=63),
                                   Regexp(r"^[A-Za-z0-9][A-Za-z0-9.-]*$",
                                          message=_l("A host name: letters, digits, dots and hyphens."))])
    description = StringField(_l("Description"), filters=[strip],
                              validators=[Length(max=200), NoMarkup()])
    branch_id = SelectField(_l("Branch"), coerce=record_id, validate_choice=True,
                            validators=[DataRequired()])


class BranchOrganisationForm(VersionedForm):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    description = StringField(_l("Description"), filters=[strip],
                              validators=[Length(max=200), NoMarkup()])
    # Choices: every branch (views._organisation_choices); at least one (the service says).
    branch_ids = CheckboxesField(_l("Branches"), coerce=record_id)
