"""The mentee's voice and peer practice, split by who acts.

- `mentee`: what the mentee does for themself (goals, self-ratings, "I did it",
  confirming a mentor's sign-off) and the reads of what they said.
- `staff`: what mentors and admins do (answering "I did it", refreshers and re-checks,
  group sessions, local resources).
- `inbox`: what waits on a mentor's list from their mentees' voice.
- `history`: past goals and self-ratings.

Callers use `from skills.services import voice` and `voice.<name>`; the names below are
the public API.
"""

from .common import WORDS_MAX, VoiceError
from .history import Said, voice_history
from .inbox import Ask, Inbox, mentor_inbox
from .mentee import (
    clear_goal,
    confirm_signoff,
    confirmations,
    did_it_reports,
    disagree_signoff,
    disagreements,
    open_goals,
    rate_self,
    report_did_it,
    self_ratings,
    set_goal,
)
from .staff import (
    RESOURCE_MAX,
    Attendee,
    Due,
    DueList,
    confirm_did_it,
    due_checks,
    due_list,
    mark_refresher,
    record_group_session,
    reply_did_it,
    resources,
    set_resource,
    to_confirm,
)

__all__ = [
    "RESOURCE_MAX",
    "WORDS_MAX",
    "Ask",
    "Attendee",
    "Due",
    "DueList",
    "Inbox",
    "Said",
    "VoiceError",
    "clear_goal",
    "confirm_did_it",
    "confirm_signoff",
    "confirmations",
    "did_it_reports",
    "disagree_signoff",
    "disagreements",
    "due_checks",
    "due_list",
    "mark_refresher",
    "mentor_inbox",
    "open_goals",
    "rate_self",
    "record_group_session",
    "reply_did_it",
    "report_did_it",
    "resources",
    "self_ratings",
    "set_goal",
    "set_resource",
    "to_confirm",
    "voice_history",
]
