"""Recording and correcting sign-offs.

Every rule is checked before anything is written, so a refused sign-off leaves the
database as it was. Events are only ever added; `status` keeps the current-status row
of the mentee and skill in step in the same transaction.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from .. import permissions
from ..extensions import db
from ..i18n import local_date
from ..models import Level, Mentee, SignoffEvent, Skill, User
from ..models.chain import seal
from ..models.signoffs import NOTE_VISIBILITY, PRACTISED_WITH, SUPPORT_LEVELS
from ..timeutil import today
from ..transactions import attach_inserted, lock_for_write
from . import audit
from .curriculum_view import reading_language
from .status import current_levels, recompute_status, write_status
from .view_cache import cached_view

DEFAULT_NOTE_MAX = 2000
# The box a mentor ticks to record a level lower than the current one.
LOWER_CONFIRMATION = _l("Yes, record the lower level")
REASON_MAX = 500
PLACE_MAX = 200


def _day(day: date) -> LazyString:
    """A date inside a message, formatted (by Babel) when the message is shown."""
    return LazyString(local_date, day)


class SignoffError(ValueError):
    """A sign-off rule was broken. `field` names the form field it concerns, if any.

    Messages are lazy strings: `str(error)` reads in the language of whoever is shown it
    (English outside a request)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class SignoffDetails:
    """What a mentor enters for one sign-off."""

    level: int
    shown_on: date
    note: str = ""
    # Staff only unless the mentor chooses to share it: a note about someone's care is
    # not shown to them by accident.
    note_visibility: str = "staff"
    support: str | None = None
    place: str | None = None
    practised_with: str | None = None


def note_max_length() -> int:
    try:
        return current_app.config.get("NOTE_MAX_LENGTH", DEFAULT_NOTE_MAX)
    except RuntimeError:  # no app context: plain scripts use the default
        return DEFAULT_NOTE_MAX


def level_scale(skill: Skill) -> list[Level]:
    return list(
        db.session.scalars(
            select(Level).where(Level.curriculum_id == skill.curriculum_id).order_by(Level.value)
        )
    )


def _scale_values(mentee: Mentee, skill: Skill) -> tuple[list[int], int]:
    """The level values of the skill's curriculum and its signed-off level, from the
    organisation's cached curriculum view (one small query while the curriculum is
    unchanged); SignoffError if the organisation does not use that curriculum
    (`in_use_by`, which builds the view): to its people, another organisation's skill
    does not exist."""
    view = cached_view(mentee.organisation_id)
    if skill.curriculum_id not in view.curricula:
        raise SignoffError(
            _l(
                "%(name)s’s program does not use the skill “%(skill)s”.",
                name=mentee.name,
                skill=skill.text_in("title", reading_language()),
            )
        )
    scale = view.levels[skill.curriculum_id]
    return [level.value for level in scale], view.signed_off_level(skill.curriculum_id)


def _check_details(mentee: Mentee, skill: Skill, details: SignoffDetails, on: date) -> int:
    """Refuse details that break a rule; return the curriculum's signed-off level."""
    if skill.retired:
        raise SignoffError(
            _l(
                "The skill “%(skill)s” is retired; it can no longer be signed off.",
                skill=skill.text_in("title", reading_language()),
            )
        )
    values, signed_off_level = _scale_values(mentee, skill)
    if details.level not in values:
        raise SignoffError(
            _l(
                "Level %(level)s is not in this curriculum's scale; choose one of %(values)s.",
                level=details.level,
                values=", ".join(map(str, values)),
            ),
            "level",
        )
    if details.shown_on > on:
        raise SignoffError(
            _l(
                "The date shown (%(day)s) is in the future; use today or an earlier date.",
                day=_day(details.shown_on),
            ),
            "shown_on",
        )
    if details.shown_on < mentee.start_date:
        raise SignoffError(
            _l(
                "The date shown (%(day)s) is before %(name)s started on %(start)s.",
                day=_day(details.shown_on),
                name=mentee.name,
                start=_day(mentee.start_date),
            ),
            "shown_on",
        )
    limit = note_max_length()
    if len(details.note) > limit:
        raise SignoffError(
            _l(
                "The note is %(length)s characters long; the limit is %(limit)s. "
                "Shorten it; nothing was saved.",
                length=len(details.note),
                limit=limit,
            ),
            "note",
        )
    if details.note_visibility not in NOTE_VISIBILITY:
        raise SignoffError(
            _l("Choose who can see the note: the mentee, or staff only."), "note_visibility"
        )
    if details.support is not None and details.support not in SUPPORT_LEVELS:
        raise SignoffError(
            _l("How much help must be one of: %(keys)s.", keys=", ".join(SUPPORT_LEVELS)),
            "support",
        )
    if details.practised_with is not None and details.practised_with not in PRACTISED_WITH:
        raise SignoffError(
            _l("Practiced with must be one of: %(keys)s.", keys=", ".join(PRACTISED_WITH)),
            "practised_with",
        )
    if details.place is not None and len(details.place) > PLACE_MAX:
        raise SignoffError(
            _l("The place is longer than %(max)s characters.", max=PLACE_MAX), "place"
        )
    return signed_off_level


def record_signoff(
    mentee: Mentee,
    skill: Skill,
    recorder: User,
    details: SignoffDetails,
    *,
    idempotency_key: str | None = None,
    group_session_id: int | None = None,
    on: date | None = None,
    audit_action: bool = True,
    allow_lower: bool = False,
) -> SignoffEvent:
    """Record a sign-off by a mentor currently assigned to the mentee; the caller commits.

    With an idempotency key already used for this mentee and skill, the earlier event
    is returned and nothing new is written. A level lower than the current one is
    refused unless `allow_lower` (the mentor confirmed it): nothing lowers a level
    silently. `audit_action=False` leaves the audit event to a caller that records a
    larger action (a group session) once.
    """
    on = on or today(mentee)
    # The details depend only on the form and the curriculum: check them before queueing.
    signed_off_level = _check_details(mentee, skill, details, on)
    # Writers for this mentee queue here, so the key check, the permission and the status
    # row below all see the latest commit: a double submit cannot record twice. The
    # queue is short: what follows is a handful of statements.
    lock_for_write(Mentee, mentee.id)
    if idempotency_key:
        earlier = db.session.scalar(
            select(SignoffEvent).where(SignoffEvent.idempotency_key == idempotency_key)
        )
        if earlier is not None:
            if (earlier.mentee_id, earlier.skill_id) != (mentee.id, skill.id):
                raise SignoffError(
                    _l("This form was already used for another sign-off; reload it.")
                )
            return earlier
    if not permissions.can_sign_off(recorder, mentee):
        raise SignoffError(
            _l(
                "%(name)s is not a mentor currently assigned to this mentee, "
                "or the mentee has been discharged.",
                name=recorder.display_name,
            )
        )
    if not allow_lower:
        _refuse_lowering(mentee, skill, details.level)
    event = _insert_event(
        mentee_id=mentee.id,
        skill_id=skill.id,
        kind="signoff",
        recorded_by_id=recorder.id,
        idempotency_key=idempotency_key or None,
        group_session_id=group_session_id,
        **_event_values(details),
    )
    write_status(mentee.id, skill, event, signed_off_level)
    if not audit_action:  # part of a larger action (a group session) audited once
        return event
    audit.record(
        "signoff.record",
        recorder,
        mentee=mentee,
        object_type="signoff_event",
        object_id=event.id,
        skill=skill.key,
        level=details.level,
    )
    return event


def lowered_levels(mentee_ids: list[int], skill: Skill, levels: dict[int, int]) -> dict[int, int]:
    """Of the new `levels` by mentee id, those below the mentee's current level for
    `skill`: {mentee id: current level}."""
    current = current_levels(mentee_ids, skill.id)
    return {
        mentee_id: current[mentee_id]
        for mentee_id, level in levels.items()
        if mentee_id in current and level < current[mentee_id]
    }


def _refuse_lowering(mentee: Mentee, skill: Skill, level: int) -> None:
    lowered = lowered_levels([mentee.id], skill, {mentee.id: level})
    if lowered:
        language = reading_language()
        names = {lv.value: lv.text_in("name", language) for lv in level_scale(skill)}
        raise SignoffError(
            _l(
                "This would lower %(name)s's level from “%(old)s” to “%(new)s”. "
                "If that is right, tick “%(box)s” and save again.",
                name=mentee.name,
                old=names[lowered[mentee.id]],
                new=names[level],
                box=LOWER_CONFIRMATION,
            ),
            "confirm_lower",
        )


_EVENTS = SignoffEvent.__table__
_EVENT_INSERT = insert(_EVENTS)
# Column name -> attribute name, to build the object for a row inserted by Core.
_EVENT_ATTRIBUTES = {
    column.name: SignoffEvent.__mapper__.get_property_by_column(column).key
    for column in _EVENTS.columns
}


def _insert_event(**values: object) -> SignoffEvent:
    """Insert a sign-off event, sealed into the chain, with one Core statement (the ORM's
    flush cost as much as the rest of a sign-off), and return it as a persistent object
    of the session, as if just loaded: nothing is read back."""
    row = seal(_EVENTS, values)
    db.session.connection().execute(_EVENT_INSERT, row)
    return attach_inserted(
        SignoffEvent(**{_EVENT_ATTRIBUTES[name]: value for name, value in row.items()})
    )


def _event_values(details: SignoffDetails) -> dict:
    return {
        "level": details.level,
        "shown_on": details.shown_on,
        "note": details.note.strip(),
        "note_visibility": details.note_visibility,
        "support": details.support or None,
        "place": (details.place or "").strip() or None,
        "practised_with": details.practised_with or None,
    }


def correct_signoff(
    original: SignoffEvent,
    corrector: User,
    details: SignoffDetails,
    reason: str,
    *,
    on: date | None = None,
) -> SignoffEvent:
    """Add a correction of the mentor's own earlier entry; the caller commits."""
    on = on or today(corrector)
    # As in record_signoff: two corrections of one entry cannot both pass the check below.
    lock_for_write(Mentee, original.mentee_id)
    reason = reason.strip()
    if not permissions.can_correct(corrector, original):
        raise SignoffError(
            _l("Only the mentor who made an entry, while still assigned, can correct it.")
        )
    newer = db.session.scalar(
        select(SignoffEvent.id).where(SignoffEvent.corrects_id == original.id)
    )
    if newer is not None:
        raise SignoffError(_l("This entry was already corrected; correct the newer entry instead."))
    if not reason:
        raise SignoffError(_l("Say why this entry is being corrected."), "reason")
    if len(reason) > REASON_MAX:
        raise SignoffError(
            _l(
                "The reason is %(length)s characters long; the limit is %(limit)s.",
                length=len(reason),
                limit=REASON_MAX,
            ),
            "reason",
        )
    skill = original.skill
    _check_details(original.mentee, skill, details, on)
    event = SignoffEvent(
        mentee_id=original.mentee_id,
        skill_id=original.skill_id,
        kind="correction",
        recorded_by_id=corrector.id,
        corrects_id=original.id,
        correction_reason=reason,
        group_session_id=original.group_session_id,
        **_event_values(details),
    )
    db.session.add(event)
    db.session.flush()
    recompute_status(original.mentee_id, skill)
    audit.record(
        "signoff.correct",
        corrector,
        mentee=original.mentee,
        object_type="signoff_event",
        object_id=event.id,
        corrects=original.id,
        skill=skill.key,
        level=details.level,
    )
    return event
