"""Forms for session notes (one mentee, a group, an edit), signing, addenda, comments,
the credential and billing settings. Labels are in the reader's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...models.session_notes import MODE_LABELS
from ...services.session_notes import ADDENDUM_MAX, COMMENT_MAX, PART_MAX, PLACE_MAX
from ..forms import choices, date_field

VISIBILITY_LABELS = {
    "staff": _l("Staff only"),
    "mentee": _l("The mentee can see this"),
}
KEY_MAX = 40  # a form key is 32 hex digits; group notes add ":<mentee id>" to it


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
            Length(
                max=PART_MAX,
                message=_l("At most %(max)d characters. Nothing was saved.", max=PART_MAX),
            ),
        ],
    )


class ContactForm(FlaskForm):
    """What every note of a contact shares: when, how, where, what was worked on."""

    contact_on = date_field(_l("Date"))
    starts_at = TimeField(
        _l("Start time"),
        validators=[DataRequired(message=_l("Enter the start time, like 14:00."))],
    )
    ends_at = TimeField(
        _l("End time"), validators=[DataRequired(message=_l("Enter the end time, like 14:45."))]
    )
    mode = RadioField(
        _l("How you met"),
        choices=choices(MODE_LABELS.items()),
        default="in_person",
        validators=[InputRequired(message=_l("Choose how you met: in person, phone or video."))],
    )
    place = StringField(_l("Where (optional)"), validators=[Optional(), Length(max=PLACE_MAX)])
    skill_ids = CheckboxesField(_l("Skills and goals worked on"), coerce=int)
    what_we_did = _part(_l("What we did"))
    next_step = _part(_l("Next step"))
    note_visibility = RadioField(
        _l("Who can see the note"),
        choices=choices(VISIBILITY_LABELS.items()),
        default="staff",
    )
    idempotency_key = HiddenField(validators=[Optional(), Length(max=KEY_MAX)])


class SessionNoteForm(ContactForm):
    # The service checks the mentee is on the mentor's caseload, with a clear message.
    mentee_id = SelectField(
        _l("Mentee"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose the mentee you met."))],
    )
    how_it_went = _part(_l("How it went"))
    signoff_ids = CheckboxesField(_l("Sign-offs made in this session"), coerce=int)
    # A new sign-off made with the note; the service checks the skill and the level.
    signoff_skill_id = SelectField(
        _l("Skill signed off"), coerce=optional_int, validate_choice=False
    )
    signoff_level = SelectField(_l("Level reached"), coerce=optional_int, validate_choice=False)
    # Shown only when the sign-off would lower the mentee's level (services.signoffs).
    confirm_lower = BooleanField(_l("Yes, record the lower level"))

    def validate_signoff_level(self, field: SelectField) -> None:
        if self.signoff_skill_id.data is not None and field.data is None:
            raise ValidationError(_l("Choose the level reached in this session."))
        if self.signoff_skill_id.data is None and field.data is not None:
            raise ValidationError(_l("Choose the skill this level is for, or no level."))


class EditNoteForm(ContactForm):
    how_it_went = _part(_l("How it went"))
    # How many earlier versions the note had when the form was opened.
    seen_versions = HiddenField()


class GroupNoteForm(ContactForm):
    """The contact's shared fields; who came and each one's "how it went" are read per
    mentee (attend-<id>, how_it_went-<id>), as on the group sign-off form."""


class AddendumForm(FlaskForm):
    text = TextAreaField(
        _l("Addendum"),
        validators=[
            DataRequired(message=_l("Write the addendum.")),
            Length(max=ADDENDUM_MAX),
        ],
    )


class CommentForm(FlaskForm):
    words = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write your comment first.")),
            Length(
                max=COMMENT_MAX,
                message=_l("Please keep it under %(max)d characters.", max=COMMENT_MAX),
            ),
        ],
    )


class CredentialForm(FlaskForm):
    credential = StringField(
        _l("Credential (for example CPS)"), validators=[Optional(), Length(max=40)]
    )


class BillingMonthForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # A month picker where the browser has one ("November 2026"); it sends 2026-11.
    month = StringField(_l("Month"), validators=[Optional(), Length(max=7)])


class BillingSettingsForm(FlaskForm):
    billing_code = StringField(_l("Service code"), validators=[DataRequired(), Length(max=16)])
    billing_modifiers = StringField(
        _l("Modifiers (optional)"), validators=[Optional(), Length(max=32)]
    )
    group_modifiers = StringField(
        _l("Modifiers added for a group (optional)"), validators=[Optional(), Length(max=32)]
    )
    unit_minutes = IntegerField(
        _l("Minutes per unit"),
        validators=[InputRequired(message=_l("Enter a number of minutes."))],
    )
    unit_threshold = IntegerField(
        _l("A part unit counts from (minutes)"),
        validators=[InputRequired(message=_l("Enter a number of minutes."))],
    )
    sign_within_days = IntegerField(
        _l("Days to sign a note in"),
        validators=[InputRequired(message=_l("Enter a number of days."))],
    )
