"""WTForms classes for every form; Flask-WTF adds the CSRF token to each."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..services.signoffs import DEFAULT_NOTE_MAX, REASON_MAX


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A one-button form: only the CSRF token."""


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code",
        validators=[DataRequired(message="Enter the code from your app."), Length(max=12)],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new = PasswordField("New password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


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
        choices=choices([("mentee", "The mentee can see this"), ("staff", "Staff only")]),
        default="mentee",
    )
    support = SelectField(
        "How much help",
        choices=choices([("", "Not recorded"), *SUPPORT_LEVELS.items()]),
        default="",
    )
    place = StringField("Where (optional)", validators=[Optional(), Length(max=200)])
    practised_with = SelectField(
        "With whom",
        choices=choices([("", "Not recorded"), *PRACTISED_WITH.items()]),
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


class CaseloadFilterForm(FlaskForm):
    class Meta:
        csrf = False

    mentor = SelectField("Mentor", coerce=str, validators=[Optional()])
    status = SelectField(
        "Status",
        choices=choices([("active", "Active"), ("discharged", "Discharged"), ("all", "All")]),
        default="active",
        validators=[Optional()],
    )
    stalled = BooleanField("Only stalled (no sign-off in 30 days)")
    sort = HiddenField()
