"""What reaches a mentor from their mentees' own voice: "I did it" claims waiting for an
answer, "I'd like help with this", and "That's not right" on a sign-off.

A help request or a disagreement stays on the list until the mentor records something
on that skill for that mentee (a sign-off, a correction, a refresher) after it was said;
that one rule is `_answered_since`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased

from ... import permissions
from ...extensions import db
from ...models import DidItReport, SelfRating, SignoffDisagreement, SignoffEvent, Skill, User
from .staff import to_confirm


@dataclass
class Ask:
    """One thing a mentee said that waits for their mentor."""

    mentee_id: int
    skill: Skill
    at: datetime
    words: str = ""
    event_id: int | None = None  # the sign-off a disagreement is about


@dataclass
class Inbox:
    claims: list[DidItReport] = field(default_factory=list)
    help: list[Ask] = field(default_factory=list)
    disagreements: list[Ask] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.claims or self.help or self.disagreements)


def _answered_since(mentee_id: object, skill_id: object, since: object) -> ColumnElement[bool]:
    """The mentor has recorded something on this skill for this mentee since `since`."""
    later = aliased(SignoffEvent)
    return exists().where(
        later.mentee_id == mentee_id, later.skill_id == skill_id, later.recorded_at >= since
    )


def mentor_inbox(mentor: User) -> Inbox:
    """Everything from the mentor's current mentees that waits for them, oldest first,
    in a fixed number of queries."""
    mentee_ids = select(permissions.mentees_assigned(mentor, "mentor").subquery().c.id)
    newer = aliased(SelfRating)
    help_rows = db.session.execute(
        select(SelfRating.mentee_id, Skill, SelfRating.at)
        .join(Skill, Skill.id == SelfRating.skill_id)
        .where(
            SelfRating.mentee_id.in_(mentee_ids),
            SelfRating.rating == "help",
            Skill.retired.is_(False),
            # Only the newest rating of a skill counts.
            ~exists().where(
                and_(
                    newer.mentee_id == SelfRating.mentee_id,
                    newer.skill_id == SelfRating.skill_id,
                    newer.id > SelfRating.id,
                )
            ),
            ~_answered_since(SelfRating.mentee_id, SelfRating.skill_id, SelfRating.at),
        )
        .order_by(SelfRating.at, SelfRating.id)
    )
    disagreement_rows = db.session.execute(
        select(SignoffDisagreement, Skill)
        .join(SignoffEvent, SignoffEvent.id == SignoffDisagreement.event_id)
        .join(Skill, Skill.id == SignoffEvent.skill_id)
        .where(
            SignoffDisagreement.mentee_id.in_(mentee_ids),
            ~_answered_since(
                SignoffDisagreement.mentee_id, SignoffEvent.skill_id, SignoffDisagreement.at
            ),
        )
        .order_by(SignoffDisagreement.at, SignoffDisagreement.id)
    )
    return Inbox(
        claims=to_confirm(mentor),
        help=[Ask(mentee_id, skill, at) for mentee_id, skill, at in help_rows],
        disagreements=[
            Ask(d.mentee_id, skill, d.at, d.words, d.event_id) for d, skill in disagreement_rows
        ],
    )
