"""WTForms classes for every form; Flask-WTF adds the CSRF token to each."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..models.people import ROLE_LABELS
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..services.passwords import MIN_LENGTH as PASSWORD_MIN
from ..services.signoffs import DEFAULT_NOTE_MAX, REASON_MAX


class EmptyForm(FlaskForm):
    """A one-button form: only the CSRF token."""


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class SignoffForm(FlaskForm):
    level = RadioField("Level", coerce=int, validators=[DataRequired(message="Choose a level.")])
    shown_on = DateField(
        "Date shown", validators=[DataRequired(message="Enter the date, like 2026-05-31.")]
    )
    note = TextAreaField(
        "Note",
        validators=[
            Optional(),
            Length(
                max=DEFAULT_NOTE_MAX,
                message="The note is too long: at most %(max)d characters. Nothing was saved.",
            ),
        ],
    )
    note_visibility = RadioField(
        "Who can see the note",
        choices=[("mentee", "The mentee can see this"), ("staff", "Staff only")],
        default="mentee",
    )
    support = SelectField(
        "How much help",
        choices=[("", "Not recorded")] + list(SUPPORT_LEVELS.items()),
        default="",
    )
    place = StringField("Where (optional)", validators=[Optional(), Length(max=200)])
    practised_with = SelectField(
        "With whom",
        choices=[("", "Not recorded")] + list(PRACTISED_WITH.items()),
        default="",
    )
    idempotency_key = HiddenField()


class CorrectionForm(SignoffForm):
    reason = TextAreaField(
        "Why correct it",
        validators=[
            DataRequired(message="Say why this entry is being corrected."),
            Length(max=REASON_MAX),
        ],
    )


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
    # FileField from flask_wtf reads request.files.
    from flask_wtf.file import FileField, FileRequired

    file = FileField("Curriculum file (.yaml)", validators=[FileRequired(message="Choose a file.")])
    del FileField, FileRequired


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    actor = StringField("Person (username)", validators=[Optional(), Length(max=64)])
    mentee = StringField("Mentee record number", validators=[Optional(), Length(max=32)])
    action = StringField("Action", validators=[Optional(), Length(max=64)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])


class CaseloadFilterForm(FlaskForm):
    class Meta:
        csrf = False

    mentor = SelectField("Mentor", coerce=str, validators=[Optional()])
    status = SelectField(
        "Status",
        choices=[("active", "Active"), ("discharged", "Discharged"), ("all", "All")],
        default="active",
        validators=[Optional()],
    )
    stalled = BooleanField("Only stalled (no sign-off in 30 days)")
    sort = HiddenField()
