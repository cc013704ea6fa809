"""What the reports of several mentees look up once, not once a mentee: self-ratings,
confirmations, local details, labels, and the levels that count as signed off."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Curriculum, Mentee, SignoffConfirmation, Skill
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..models.voice import SELF_RATINGS
from ..services import history as histories
from ..services import voice
from ..services.curriculum_view import SkillItem, skill_detail
from ..services.progress import CurriculumView, MenteeProgress


@dataclass(frozen=True, slots=True)
class Shared:
    """What the reports of several mentees read once, not once a mentee: their self-ratings
    and confirmations, the organisation's local details, and the labels in the language
    printed now (str: the PDF is built in this locale)."""

    ratings: dict[tuple[int, int], str]  # by (mentee id, skill id)
    confirmed: dict[int, str]  # the mentee's words by event id
    resources: dict[int, str]  # local details by skill id
    supports: dict[str, str]
    practised: dict[str, str]
    self_ratings: dict[str, str]

    def labels(
        self, support: str | None, practised_with: str | None
    ) -> tuple[str | None, str | None]:
        return (
            self.supports.get(support, support) if support else None,
            self.practised.get(practised_with, practised_with) if practised_with else None,
        )


def shared_details(mentees: Sequence[Mentee], organisation_id: int) -> Shared:
    """`Shared` for `mentees` of one organisation, in three queries."""
    ids = [m.id for m in mentees]
    confirmed = db.session.execute(
        select(SignoffConfirmation.event_id, SignoffConfirmation.words)
        .where(SignoffConfirmation.mentee_id.in_(ids))
        .order_by(SignoffConfirmation.id)
    )
    return Shared(
        ratings=voice.self_ratings(ids),
        confirmed={event_id: words for event_id, words in confirmed},
        resources=voice.resources(organisation_id),
        supports={key: str(label) for key, label in SUPPORT_LEVELS.items()},
        practised={key: str(label) for key, label in PRACTISED_WITH.items()},
        self_ratings={key: str(label) for key, label in SELF_RATINGS.items()},
    )


def signed_off_levels(
    view: CurriculumView, skill_ids: set[int]
) -> dict[int, tuple[int, SkillItem]]:
    """Signed-off level and skill per skill id (text in the view's language); retired
    skills cost one extra query."""
    known = {
        skill.id: (view.signed_off_level(skill.curriculum_id), skill)
        for skills in view.skills.values()
        for skill in skills
        if skill.id in skill_ids
    }
    missing = skill_ids - known.keys()
    if missing:
        for skill, level in db.session.execute(
            select(Skill, Curriculum.signed_off_level)
            .join(Curriculum, Curriculum.id == Skill.curriculum_id)
            .where(Skill.id.in_(missing))
        ):
            known[skill.id] = (level, skill_detail(skill, view.language))
    return known


def label(labels: dict, key: str | None) -> str | None:
    found = labels.get(key) if key else None
    return str(found) if found is not None else None


def own_words(
    entries: Sequence[histories.HistoryEntry], shared: Shared
) -> list[tuple[date, str, str]]:
    confirmed = shared.confirmed
    return [
        (e.shown_on, e.skill_title, confirmed[e.id] or _("That's right."))
        for e in entries
        if e.id in confirmed
    ]


def local_help(progress: MenteeProgress, shared: Shared) -> list[tuple[str, str]]:
    """Local details for the skills the mentee aims at or is working on next, in that
    order."""
    wanted = {s.skill.id: s.skill.title for s in [*progress.goals, *progress.next_skills]}
    found = shared.resources
    return [(title, found[skill_id]) for skill_id, title in wanted.items() if skill_id in found]
