"""What reaches a mentor from their mentees' own voice: "I did it" claims waiting for an
answer, "I'd like help with this", and "That's not right" on a sign-off.

A help request or a disagreement stays on the list until the mentor records something
on that skill for that mentee (a sign-off, a correction, a refresher) after it was said;
that one rule is `_answered_since`.

A home page shows the first few of each list and how many there are in all; each count
comes with its rows (a window over the rows before the LIMIT), so a long list costs
what a short one does.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import aliased, contains_eager

from ... import permissions
from ...extensions import db
from ...models import (
    DidItReport,
    SelfRating,
    SignoffDisagreement,
    SignoffEvent,
    Skill,
    User,
)
from ...timeutil import today


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
    """Each list oldest first, at most the limit asked for; the totals count them all."""

    claims: list[DidItReport] = field(default_factory=list)
    help: list[Ask] = field(default_factory=list)
    disagreements: list[Ask] = field(default_factory=list)
    claims_total: int = 0
    help_total: int = 0
    disagreements_total: int = 0

    def __bool__(self) -> bool:
        return bool(self.claims_total or self.help_total or self.disagreements_total)


def _answered_since(mentee_id: object, skill_id: object, since: object) -> ColumnElement[bool]:
    """The mentor has recorded something on this skill for this mentee since `since`."""
    later = aliased(SignoffEvent)
    return exists().where(
        later.mentee_id == mentee_id, later.skill_id == skill_id, later.recorded_at >= since
    )


def _counted(query: Select, params: dict, limit: int | None) -> tuple[list, int]:
    """The first `limit` rows of `query` and how many it has in all."""
    rows = db.session.execute(query.limit(limit), params).all()
    return [row[:-1] for row in rows], (rows[0][-1] if rows else 0)


@cache
def _queries() -> tuple[Select, Select, Select]:
    """The three lists' queries, built once (every view of the mentor's page reads
    them); parameters: staff (the mentor's id), kind ('mentor'), on (their date). Each
    row ends with the list's total (a window over the rows before the LIMIT)."""
    mentee_ids = permissions.ASSIGNED_IDS
    claims = (
        select(DidItReport, func.count().over())
        .join(Skill, Skill.id == DidItReport.skill_id)
        .options(contains_eager(DidItReport.skill))
        .where(DidItReport.status == "open", DidItReport.mentee_id.in_(mentee_ids))
        .order_by(DidItReport.created_at, DidItReport.id)
    )
    newer = aliased(SelfRating)
    help_asked = (
        select(SelfRating.mentee_id, Skill, SelfRating.at, func.count().over())
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
    disagreements = (
        select(SignoffDisagreement, Skill, func.count().over())
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
    return claims, help_asked, disagreements


def mentor_inbox(mentor: User, limit: int | None = None) -> Inbox:
    """What the mentor's current mentees have said that waits for them, oldest first:
    the first `limit` of each list (all without one) and their totals, in three queries."""
    params = {"staff": mentor.id, "kind": "mentor", "on": today(mentor)}
    claims_query, help_query, disagreements_query = _queries()
    claims, claims_total = _counted(claims_query, params, limit)
    help_rows, help_total = _counted(help_query, params, limit)
    disagreement_rows, disagreements_total = _counted(disagreements_query, params, limit)
    return Inbox(
        claims=[report for (report,) in claims],
        help=[Ask(mentee_id, skill, at) for mentee_id, skill, at in help_rows],
        disagreements=[
            Ask(d.mentee_id, skill, d.at, d.words, d.event_id) for d, skill in disagreement_rows
        ],
        claims_total=claims_total,
        help_total=help_total,
        disagreements_total=disagreements_total,
    )
