"""Forms for the admin pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...models.people import ROLE_LABELS
from ...services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..forms import SelectChoice

DATE_MESSAGE = "Enter the date, like 2026-05-31."


def role_choices() -> list[SelectChoice]:
    # A fresh list per field: WTForms 3.3 wants SelectChoice objects, not tuples.
    return [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class RolesField(SelectMultipleField):
    """Roles as a group of checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def password_field(label: str) -> PasswordField:
    # The length and common-password rules live in services.passwords, one message each;
    # the form only bounds the input.
    return PasswordField(
        label,
        validators=[DataRequired(message="Enter a password."), Length(max=PASSWORD_MAX)],
    )


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    roles = RolesField(
        "Roles",
        choices=role_choices(),
        validators=[DataRequired(message="Choose at least one role.")],
    )
    password = password_field("Password")


class UserEditForm(FlaskForm):
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    roles = RolesField(
        "Roles",
        choices=role_choices(),
        validators=[DataRequired(message="Choose at least one role.")],
    )
    version_id = HiddenField()


class PasswordResetForm(FlaskForm):
    password = password_field("New password")


class MenteeForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    preferred_name = StringField(
        "Preferred name (optional)", validators=[Optional(), Length(max=80)]
    )
    record_number = StringField("Record number (optional)", validators=[Optional(), Length(max=32)])
    start_date = DateField("Start date", validators=[DataRequired(message=DATE_MESSAGE)])
    version_id = HiddenField()


class LinkLoginForm(FlaskForm):
    user_id = SelectField(
        "Login", coerce=int, validators=[DataRequired(message="Choose a login.")], choices=[]
    )


class DischargeForm(FlaskForm):
    discharged_on = DateField("Discharge date", validators=[DataRequired(message=DATE_MESSAGE)])


class AssignmentForm(FlaskForm):
    staff_id = SelectField(
        "Staff member",
        coerce=int,
        validators=[DataRequired(message="Choose a staff member.")],
        choices=[],
    )
    mentee_id = SelectField(
        "Mentee", coerce=int, validators=[DataRequired(message="Choose a mentee.")], choices=[]
    )
    kind = SelectField(
        "As",
        choices=[SelectChoice("mentor", "Mentor"), SelectChoice("case_manager", "Case manager")],
    )
    starts_on = DateField("Starts on", validators=[DataRequired(message=DATE_MESSAGE)])


class EndAssignmentForm(FlaskForm):
    ends_on = DateField("Access stops on", validators=[DataRequired(message=DATE_MESSAGE)])


class CurriculumUploadForm(FlaskForm):
    file = FileField(
        "Curriculum file (.yaml)",
        validators=[
            FileRequired(message="Choose a file."),
            FileAllowed(
                ["yaml", "yml"],
                message="Only curriculum files ending in .yaml or .yml can be uploaded.",
            ),
        ],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField("Person (username)", validators=[Optional(), Length(max=64)])
    mentee = StringField("Mentee record number", validators=[Optional(), Length(max=32)])
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC)", validators=[Optional()])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The “To” date is before the “From” date.")


class AssignmentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    show = SelectField(
        "Show",
        choices=[
            SelectChoice("current", "Current and upcoming"),
            SelectChoice("ended", "Ended"),
            SelectChoice("all", "All"),
        ],
        default="current",
        validators=[Optional()],
    )
    mentee = StringField("Mentee record number", validators=[Optional(), Length(max=32)])
