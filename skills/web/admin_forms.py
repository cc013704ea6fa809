"""Forms for the admin pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..models.people import ROLE_LABELS
from ..services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..services.passwords import MIN_LENGTH as PASSWORD_MIN

ROLE_CHOICES = list(ROLE_LABELS.items())


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    roles = SelectMultipleField(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[DataRequired(message="Choose at least one role.")],
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)]
    )


class UserEditForm(FlaskForm):
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    roles = SelectMultipleField(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[DataRequired(message="Choose at least one role.")],
    )
    version_id = HiddenField()


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)]
    )


class MenteeForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    preferred_name = StringField(
        "Preferred name (optional)", validators=[Optional(), Length(max=80)]
    )
    record_number = StringField("Record number (optional)", validators=[Optional(), Length(max=32)])
    start_date = DateField(
        "Start date", validators=[DataRequired(message="Enter the date, like 2026-05-31.")]
    )
    version_id = HiddenField()


class LinkLoginForm(FlaskForm):
    user_id = SelectField("Login", coerce=int, validators=[DataRequired()])


class DischargeForm(FlaskForm):
    discharged_on = DateField("Discharge date", validators=[DataRequired()])


class AssignmentForm(FlaskForm):
    staff_id = SelectField("Staff member", coerce=int, validators=[DataRequired()])
    mentee_id = SelectField("Mentee", coerce=int, validators=[DataRequired()])
    kind = SelectField("As", choices=[("mentor", "Mentor"), ("case_manager", "Case manager")])
    starts_on = DateField("Starts on", validators=[DataRequired()])


class EndAssignmentForm(FlaskForm):
    ends_on = DateField("Access stops on", validators=[DataRequired()])


class CurriculumUploadForm(FlaskForm):
    file = FileField("Curriculum file (.yaml)", validators=[FileRequired(message="Choose a file.")])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField("Person (username)", validators=[Optional(), Length(max=64)])
    mentee = StringField("Mentee record number", validators=[Optional(), Length(max=32)])
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
