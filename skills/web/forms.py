"""WTForms classes for every form; Flask-WTF adds the CSRF token to each."""

from collections.abc import Iterable, Iterator
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
from wtforms.fields.choices import (  # type: ignore[attr-defined,unused-ignore]
    Choice,
    SelectChoice,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..models.voice import SELF_RATINGS
from ..services.languages import LANGUAGES
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


# Dates as a date picker sends them, and as a person types them where a browser has none
# (US order); the message says the typed form, the picker's needs none.
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
DATE_MESSAGE = _l("Enter the date, like 05/31/2026.")


def date_field(label: Any, required: bool = True) -> Any:
    """A date field as every form has it: `DATE_FORMATS`, and `DATE_MESSAGE` if empty."""
    needed = DataRequired(message=DATE_MESSAGE) if required else Optional()
    return DateField(label, format=DATE_FORMATS, validators=[needed])


class RequiredSelectField(SelectField):
    """A select that must be answered. It opens on an empty first option ("Choose a
    mentee"): HTML requires one on a required select, and nothing is chosen for the
    person by accident. That option gives None, so only DataRequired's message shows."""

    def __init__(self, *args: Any, placeholder: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def _empty(self) -> Choice:
        return Choice("", str(self.placeholder), self.data in (None, ""), {})

    def iter_choices(self) -> Iterator[Any]:
        yield self._empty()
        yield from super().iter_choices()

    def iter_groups(self) -> Iterator[Any]:
        yield None, [self._empty()]  # a group of None: the option stands outside any optgroup
        yield from super().iter_groups()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and valuelist[0] == "":
            self.data = None
        else:
            super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        if self.data is not None:
            super().pre_validate(form)


class LanguageForm(FlaskForm):
    # Choices are set per request (the first names the browser's choice in the reader's
    # language); the service checks the value.
    language = SelectField(_l("Language"), validate_choice=False)


def language_form(chosen: str | None, browser: str) -> LanguageForm:
    """The language chooser showing `chosen`: "" (labelled `browser`, as the person or an
    admin reads it) for the browser's language, then each language the program speaks."""
    form = LanguageForm(data={"language": chosen or ""})
    form.language.choices = choices([("", browser), *LANGUAGES.items()])
    return form


class EmptyForm(FlaskForm):
    """A one-button form: only the CSRF token."""


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code"),
        validators=[DataRequired(message=_l("Enter the code from your app.")), Length(max=12)],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])

    def validate_new(self, field: PasswordField) -> None:
        # Keeping a password someone else chose would defeat the change they were asked for.
        if field.data and field.data == self.current.data:
            raise ValidationError(_l("Choose a new password, different from the current one."))


class SelfRatingForm(FlaskForm):
    rating = RadioField(
        _l("How do you feel about this skill?"),
        choices=choices(SELF_RATINGS.items()),
        validators=[DataRequired()],
    )


class DidItForm(FlaskForm):
    note = TextAreaField(
        _l("Tell your mentor about it (you can skip this)"),
        validators=[Optional(), Length(max=500)],
    )


class ConfirmForm(FlaskForm):
    words = TextAreaField(
        _l("In your own words (you can skip this)"), validators=[Optional(), Length(max=500)]
    )


class SignoffForm(FlaskForm):
    # InputRequired, not DataRequired: level 0 ("Not started") is falsy but a real choice.
    level = RadioField(
        _l("Level"), coerce=int, validators=[InputRequired(message=_l("Choose a level."))]
    )
    shown_on = date_field(_l("Date shown"))
    note = TextAreaField(
        _l("Note"),
        validators=[
            Optional(),
            Length(
                max=DEFAULT_NOTE_MAX,
                message=_l("The note is too long: at most %(max)d characters. Nothing was saved."),
            ),
        ],
    )
    what_we_did = TextAreaField(_l("What we did"), validators=[Optional(), Length(max=600)])
    how_it_went = TextAreaField(_l("How it went"), validators=[Optional(), Length(max=600)])
    next_step = TextAreaField(_l("Next step"), validators=[Optional(), Length(max=600)])
    note_visibility = RadioField(
        _l("Who can see the note"),
        choices=choices([("staff", _l("Staff only")), ("mentee", _l("The mentee can see this"))]),
        default=SignoffDetails.note_visibility,
    )
    support = SelectField(
        _l("How much help"),
        choices=choices([("", _l("Not recorded")), *SUPPORT_LEVELS.items()]),
        default="",
    )
    place = StringField(_l("Where (optional)"), validators=[Optional(), Length(max=200)])
    practised_with = SelectField(
        _l("With whom"),
        choices=choices([("", _l("Not recorded")), *PRACTISED_WITH.items()]),
        default="",
    )
    idempotency_key = HiddenField()
    # Shown only when a save would lower the mentee's level (services.signoffs).
    confirm_lower = BooleanField(LOWER_CONFIRMATION)


class ReplyForm(FlaskForm):
    reply = TextAreaField(
        _l("Your reply"),
        validators=[DataRequired(message=_l("Write a short reply.")), Length(max=500)],
    )


class GroupSessionForm(FlaskForm):
    """The session's own fields; each attendee's level and note are read per mentee."""

    skill_id = RequiredSelectField(
        _l("Skill practiced"),
        placeholder=_l("Choose a skill"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the skill practiced."))],
    )
    held_on = date_field(_l("Date"))
    place = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])
    idempotency_key = HiddenField()


class CorrectionForm(SignoffForm):
    reason = TextAreaField(
        _l("Why correct it"),
        validators=[
            DataRequired(message=_l("Say why this entry is being corrected.")),
            Length(max=REASON_MAX),
        ],
    )


class CaseloadFilterForm(FlaskForm):
    class Meta:
        csrf = False

    mentor = SelectField(_l("Mentor"), coerce=str, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=choices(
            [("active", _l("Active")), ("discharged", _l("Discharged")), ("all", _l("All"))]
        ),
        default="active",
        validators=[Optional()],
    )
    stalled = BooleanField(_l("Only stalled (no sign-off in 30 days)"))
    sort = HiddenField()
