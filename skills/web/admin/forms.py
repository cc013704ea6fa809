"""Forms for the admin pages."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...models.people import ROLE_LABELS
from ...services import organisations
from ...services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..forms import RequiredSelectField, SelectChoice, date_field


def role_choices() -> list[SelectChoice]:
    # A fresh list per field: WTForms 3.3 wants SelectChoice objects, not tuples.
    return [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class RolesField(SelectMultipleField):
    """Roles as a group of checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def password_field(label: LazyString) -> PasswordField:
    # The length and common-password rules live in services.passwords, one message each;
    # the form only bounds the input.
    return PasswordField(
        label,
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=PASSWORD_MAX)],
    )


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    roles = RolesField(
        _l("Roles"),
        choices=role_choices(),
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    password = password_field(_l("Password"))


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    roles = RolesField(
        _l("Roles"),
        choices=role_choices(),
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )
    version_id = HiddenField()


class PasswordResetForm(FlaskForm):
    password = password_field(_l("New password"))


class MenteeForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    preferred_name = StringField(
        _l("Preferred name (optional)"), validators=[Optional(), Length(max=80)]
    )
    record_number = StringField(
        _l("Record number (optional)"), validators=[Optional(), Length(max=32)]
    )
    start_date = date_field(_l("Start date"))
    version_id = HiddenField()


class MenteeEnrolForm(MenteeForm):
    """A new mentee record with, optionally, a login, a mentor and a case manager."""

    # The service checks the username and password rules and that both or neither are
    # given, with messages that say what is allowed.
    username = StringField(_l("Username (optional)"), validators=[Optional(), Length(max=64)])
    password = PasswordField(
        _l("First password (optional)"), validators=[Optional(), Length(max=PASSWORD_MAX)]
    )
    # The service says why a person cannot be assigned (deactivated, lacks the role),
    # clearer than "not a valid choice" when the list changed since the page loaded.
    # (A lambda: `id_or_none` is defined further down.)
    mentor_id = SelectField(_l("Mentor"), coerce=lambda v: id_or_none(v), validate_choice=False)
    case_manager_id = SelectField(
        _l("Case manager"), coerce=lambda v: id_or_none(v), validate_choice=False
    )
    confirm_duplicate = BooleanField(_l("This is a different person: add them anyway"))


class LinkLoginForm(FlaskForm):
    user_id = RequiredSelectField(
        _l("Login"),
        placeholder=_l("Choose a login"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a login."))],
        choices=[],
    )


class DischargeForm(FlaskForm):
    discharged_on = date_field(_l("Discharge date"))


class DeactivateForm(FlaskForm):
    # Removed by the view when the person has no open assignments: nothing to choose.
    assignments = RadioField(
        _l("Their assignments"),
        choices=[
            SelectChoice("end", _l("End them today")),
            SelectChoice("keep", _l("Keep them for now")),
        ],
        validators=[InputRequired(message=_l("Choose what happens to their assignments."))],
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # Read unvalidated: the query cuts a long search short (people_queries.SEARCH_MAX).
    q = StringField(_l("Search"))


class AssignmentForm(FlaskForm):
    staff_id = RequiredSelectField(
        _l("Staff member"),
        placeholder=_l("Choose a staff member"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a staff member."))],
        choices=[],
    )
    mentee_id = RequiredSelectField(
        _l("Mentee"),
        placeholder=_l("Choose a mentee"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a mentee."))],
        choices=[],
    )
    kind = SelectField(
        _l("As"),
        choices=[
            SelectChoice("mentor", _l("Mentor")),
            SelectChoice("case_manager", _l("Case manager")),
        ],
    )
    starts_on = date_field(_l("Starts on"))


class EndAssignmentForm(FlaskForm):
    ends_on = date_field(_l("Access stops on"))


class CurriculaInUseForm(FlaskForm):
    """Which curricula of the shared library the organisation uses (choices set by the view)."""

    curricula = SelectMultipleField(
        _l("Curricula from the shared library"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


class CurriculumUploadForm(FlaskForm):
    file = FileField(
        _l("Curriculum file (.yaml)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(
                ["yaml", "yml"],
                message=_l("Only curriculum files ending in .yaml or .yml can be uploaded."),
            ),
        ],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField(_l("Person (username)"), validators=[Optional(), Length(max=64)])
    mentee = StringField(_l("Mentee record number"), validators=[Optional(), Length(max=32)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    since = date_field(_l("From"), required=False)  # a day in the organization's zone
    until = date_field(_l("To"), required=False)

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("The “To” date is before the “From” date."))


class AssignmentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    show = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("current", _l("Current and upcoming")),
            SelectChoice("ended", _l("Ended")),
            SelectChoice("all", _l("All")),
        ],
        default="current",
        validators=[Optional()],
    )
    mentee = StringField(_l("Mentee record number"), validators=[Optional(), Length(max=32)])
    # Read unvalidated: the query cuts a long search short (people_queries.SEARCH_MAX).
    q = StringField(_l("Search"))


def time_zone_choices() -> list[SelectChoice]:
    """US zones by their everyday names first, then every other IANA zone."""
    us = organisations.US_TIME_ZONES
    return [
        SelectChoice(
            name,
            f"{us[name]} ({name})" if name in us else name.replace("_", " "),
            optgroup=_("United States") if name in us else _("Other time zones"),
        )
        for name in organisations.time_zones()
    ]


class SettingsForm(FlaskForm):
    name = StringField(
        _l("Organization name"),
        validators=[DataRequired(message=_l("Enter the organization's name.")), Length(max=200)],
    )
    # The service checks the zone and the roles, with messages that say what is allowed.
    time_zone = SelectField(_l("Time zone"), choices=time_zone_choices, validate_choice=False)
    two_step_roles = RolesField(
        _l("Who must use two-step sign-in"), choices=role_choices(), validate_choice=False
    )


class TransferSourceForm(FlaskForm):
    class Meta:
        csrf = False  # choosing whose caseload to show changes nothing

    source = SelectField(
        _l("Whose mentees"),
        validators=[DataRequired(message=_l("Choose whose mentees to move."))],
        choices=[],
    )


class ChecklistField(SelectMultipleField):
    """Choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def record_id(value: object) -> int:
    """A record id from a form; ValueError beyond what a database id can hold (SQLite
    would fail on it rather than find nothing)."""
    number = int(str(value))
    if not 0 < number < 2**63:
        raise ValueError("not a record id")
    return number


def id_or_none(value: object) -> int | None:
    """A select's record id, or None for its "Choose ..." placeholder."""
    return None if value in ("", None) else record_id(value)


class TransferForm(FlaskForm):
    # The service says why a person cannot take over (deactivated, lacks the role),
    # clearer than "not a valid choice" when the list changed since the page loaded.
    target_id = SelectField(
        _l("Move them to"),
        coerce=id_or_none,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose who takes over these mentees."))],
        choices=[],
    )
    effective_on = date_field(_l("From"))
    # The service checks each id against the caseload and says which mentee is wrong,
    # clearer than WTForms' "not a valid choice" when someone else moved them meanwhile.
    mentee_ids = ChecklistField(
        _l("Mentees to move"), coerce=record_id, validate_choice=False, choices=[]
    )
    idempotency_key = HiddenField()

    # Not DataRequired: that marks every checkbox `required`, as if each had to be ticked.
    def validate_mentee_ids(self, field: ChecklistField) -> None:
        if not field.data:
            raise ValidationError(_("Tick at least one mentee to move."))


class RosterImportForm(FlaskForm):
    files = MultipleFileField(
        _l("Roster files (.csv)"),
        validators=[FileRequired(message=_l("Choose one or more files."))],
    )
    confirm_duplicates = BooleanField(
        _l("The mentees flagged as possible duplicates are different people: import them too")
    )
