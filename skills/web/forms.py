"""WTForms classes for every form; Flask-WTF adds the CSRF token to each."""

from collections.abc import Iterable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
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

# types-WTForms 3.2 predates SelectChoice (new in WTForms 3.3); `unused-ignore` keeps a
# newer stub package that has it from failing the check.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined,unused-ignore]
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.passwords import MAX_LENGTH as PASSWORD_MAX
from ..services.signoffs import (
    DEFAULT_NOTE_MAX,
    LOWER_CONFIRMATION,
    REASON_MAX,
    SignoffDetails,
)

T = TypeVar("T")


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


def submitted(data: T | None) -> T:
    """The data of a required field once its form has validated: `DataRequired` refused
    an empty one, though WTForms types `data` as optional until then."""
    if data is None:
        raise RuntimeError("a required field has no data after validation")
    return data


class LanguageForm(FlaskForm):
    # Choices are set per request (the first names the browser's choice in the reader's
    # language); the service checks the value.
    language = SelectField(_l("Language"), validate_choice=False)


class EmptyForm(FlaskForm):
    """A one-button form: only the CSRF token."""


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])


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

    def validate_new(self, field: PasswordField) -> None:
        # Keeping a password someone else chose would defeat the change they were asked for.
        if field.data and field.data == self.current.data:
            raise ValidationError("Choose a new password, different from the current one.")


class SelfRatingForm(FlaskForm):
    rating = RadioField(
        "How do you feel about this skill?",
        choices=choices([("can", "I can do this"), ("help", "I'd like help with this")]),
        validators=[DataRequired()],
    )


class DidItForm(FlaskForm):
    note = TextAreaField(
        "Tell your mentor about it (you can skip this)", validators=[Optional(), Length(max=500)]
    )


class ConfirmForm(FlaskForm):
    words = TextAreaField(
        "In your own words (you can skip this)", validators=[Optional(), Length(max=500)]
    )


class SignoffForm(FlaskForm):
    # InputRequired, not DataRequired: level 0 ("Not started") is falsy but a real choice.
    level = RadioField("Level", coerce=int, validators=[InputRequired(message="Choose a level.")])
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
    what_we_did = TextAreaField("What we did", validators=[Optional(), Length(max=600)])
    how_it_went = TextAreaField("How it went", validators=[Optional(), Length(max=600)])
    next_step = TextAreaField("Next step", validators=[Optional(), Length(max=600)])
    note_visibility = RadioField(
        "Who can see the note",
        choices=choices([("staff", "Staff only"), ("mentee", "The mentee can see this")]),
        default=SignoffDetails.note_visibility,
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
    # Shown only when a save would lower the mentee's level (services.signoffs).
    confirm_lower = BooleanField(LOWER_CONFIRMATION)


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        "Your reply", validators=[DataRequired(message="Write a short reply."), Length(max=500)]
    )


class GroupSessionForm(FlaskForm):
    """The session's own fields; each attendee's level and note are read per mentee."""

    skill_id = SelectField("Skill practiced", coerce=int, validators=[DataRequired()])
    held_on = DateField(
        "Date", validators=[DataRequired(message="Enter the date, like 2026-05-31.")]
    )
    place = StringField("Where", validators=[Optional(), Length(max=200)])
    topic = StringField("Topic", validators=[Optional(), Length(max=200)])
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
