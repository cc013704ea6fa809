"""What the mentee said before: goals set and taken off, and self-ratings, over time.

Goals are kept when cleared and self-ratings are append-only, so this is read straight
from those rows; shown on the mentee's own pages and to staff who may see the record.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import Goal, Mentee, SelfRating, Skill, User
from ...models.voice import SELF_RATINGS
from ..curriculum_view import reading_language


@dataclass
class Said:
    """One past goal change or self-rating."""

    at: datetime
    kind: str  # "goal_set", "goal_cleared" or "rating"
    skill_id: int
    skill_title: str  # in the reading language
    rating: str | None = None  # for "rating": a key of SELF_RATINGS
    set_by_name: str | None = None  # for "goal_set" by someone other than the mentee

    @property
    def rating_label(self) -> str:
        return SELF_RATINGS.get(self.rating or "", "")


def voice_history(mentee: Mentee, skill: Skill | None = None) -> list[Said]:
    """Goal changes and self-ratings of a mentee (optionally one skill), newest first;
    skill titles in the `reading_language`."""
    language = reading_language()
    goals = select(Goal, Skill, User.display_name).join(Skill, Skill.id == Goal.skill_id)
    goals = goals.join(User, User.id == Goal.set_by_id).where(Goal.mentee_id == mentee.id)
    ratings = select(SelfRating, Skill).join(Skill, Skill.id == SelfRating.skill_id)
    ratings = ratings.where(SelfRating.mentee_id == mentee.id)
    if skill is not None:
        goals = goals.where(Goal.skill_id == skill.id)
        ratings = ratings.where(SelfRating.skill_id == skill.id)
    said: list[Said] = []
    for goal, goal_skill, set_by in db.session.execute(goals):
        title = goal_skill.text_in("title", language)
        by_other = set_by if goal.set_by_id != mentee.user_id else None
        said.append(Said(goal.set_at, "goal_set", goal.skill_id, title, set_by_name=by_other))
        if goal.cleared_at is not None:
            said.append(Said(goal.cleared_at, "goal_cleared", goal.skill_id, title))
    for rating, rated_skill in db.session.execute(ratings):
        title = rated_skill.text_in("title", language)
        said.append(Said(rating.at, "rating", rating.skill_id, title, rating=rating.rating))
    return sorted(said, key=lambda s: s.at, reverse=True)
