"""Forms for session notes, their signing, addenda, comments and billing settings."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..models.session_notes import MODES
from ..services.session_notes import ADDENDUM_MAX, COMMENT_MAX, PART_MAX, PLACE_MAX
from .forms import choices


def optional_int(value: object) -> int | None:
    """A select's value as an int; the empty "Choose ..." option is None."""
    return None if value in ("", None) else int(str(value))


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes: easier than a multi-select on a phone. The choices are set by
    the view; the service checks each value, so a stale form gets a clear message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        pass


def _part(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=PART_MAX, message=f"At most {PART_MAX} characters. Nothing was saved."),
        ],
    )


class SessionNoteForm(FlaskForm):
    # The service checks the mentee is on the mentor's caseload, with a clear message.
    mentee_id = SelectField(
        "Mentee",
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(message="Choose the mentee you met.")],
    )
    contact_on = DateField(
        "Date", validators=[DataRequired(message="Enter the date, like 2026-11-05.")]
    )
    starts_at = TimeField(
        "Start time", validators=[DataRequired(message="Enter the start time, like 14:00.")]
    )
    ends_at = TimeField(
        "End time", validators=[DataRequired(message="Enter the end time, like 14:45.")]
    )
    mode = RadioField(
        "How you met",
        choices=choices(MODES.items()),
        default="in_person",
        validators=[InputRequired(message="Choose how you met: in person, phone or video.")],
    )
    place = StringField("Where (optional)", validators=[Optional(), Length(max=PLACE_MAX)])
    skill_ids = CheckboxesField("Skills and goals worked on", coerce=int)
    signoff_ids = CheckboxesField("Sign-offs made in this session", coerce=int)
    what_we_did = _part("What we did")
    how_it_went = _part("How it went")
    next_step = _part("Next step")
    note_visibility = RadioField(
        "Who can see the note",
        choices=choices([("staff", "Staff only"), ("mentee", "The mentee can see this")]),
        default="staff",
    )
    idempotency_key = HiddenField()


class AddendumForm(FlaskForm):
    text = TextAreaField(
        "Addendum",
        validators=[DataRequired(message="Write the addendum."), Length(max=ADDENDUM_MAX)],
    )


class CommentForm(FlaskForm):
    words = TextAreaField(
        "Your comment",
        validators=[
            DataRequired(message="Write your comment first."),
            Length(max=COMMENT_MAX, message=f"Please keep it under {COMMENT_MAX} characters."),
        ],
    )


class CredentialForm(FlaskForm):
    credential = StringField(
        "Credential (for example CPS)", validators=[Optional(), Length(max=40)]
    )


class BillingMonthForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    month = StringField("Month (YYYY-MM)", validators=[Optional(), Length(max=7)])


class BillingSettingsForm(FlaskForm):
    billing_code = StringField("Service code", validators=[DataRequired(), Length(max=16)])
    billing_modifiers = StringField("Modifiers (optional)", validators=[Optional(), Length(max=32)])
    unit_minutes = IntegerField(
        "Minutes per unit", validators=[InputRequired(message="Enter a number of minutes.")]
    )
    unit_threshold = IntegerField(
        "A part unit counts from (minutes)",
        validators=[InputRequired(message="Enter a number of minutes.")],
    )
    sign_within_days = IntegerField(
        "Days to sign a note in", validators=[InputRequired(message="Enter a number of days.")]
    )
