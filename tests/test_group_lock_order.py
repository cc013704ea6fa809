"""A group action and a single sign-off for one of its mentees, at the same moment.

A group session (or group session note) writes for several mentees in one transaction.
On PostgreSQL each mentee's writers queue on the mentee's row, and every chained insert
takes the one chain lock (models/chain.py) until commit. A group that took the chain
lock with its first mentee and then queued for the second, while a single sign-off held
the second mentee and queued for the chain lock, was a deadlock: the database ended one
of them with an error. A group now queues for all its mentees before it writes anything.
Real threads on their own connections, not the test client; on SQLite the one write lock
queues them the same way.
"""

import threading
import time
from datetime import time as clock
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import Mentee, SessionNote, SignoffEvent, Skill, User
from skills.services.session_note_groups import GroupMember, record_group_notes
from skills.services.session_note_rules import NoteDetails
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.voice import Attendee, record_group_session
from skills.transactions import lock_for_write

from .conftest import today

# Long enough for the group to reach its second mentee and queue there.
HEAD_START = 0.5


def _in_thread(app, work, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            with app.app_context():
                work()
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def pair(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentees = sorted((make_mentee(), make_mentee()), key=lambda m: m.id)
    for mentee in mentees:
        assign(mentor, mentee)
    ids = (mentor.id, *(m.id for m in mentees), skill("read-timetable").id)
    db.session.commit()
    db.session.remove()
    return ids


def _single_sign_off_beside(app, pair, group) -> list[BaseException]:
    """A single sign-off holds the second mentee while the group starts, then signs off.
    Returns what failed."""
    mentor_id, _first_id, second_id, skill_id = pair
    errors: list[BaseException] = []
    holding = threading.Event()

    def single() -> None:
        mentee = lock_for_write(Mentee, second_id)
        holding.set()
        time.sleep(HEAD_START)
        mentor, skill = db.session.get_one(User, mentor_id), db.session.get_one(Skill, skill_id)
        record_signoff(mentee, skill, mentor, SignoffDetails(3, today()))

    threads = [_in_thread(app, single, errors)]
    assert holding.wait(30) or errors
    threads.append(_in_thread(app, group, errors))
    for thread in threads:
        thread.join(60)
    return errors


def test_a_group_session_and_a_single_sign_off_of_one_mentee_both_save(app, pair, skill):
    mentor_id, first_id, second_id, skill_id = pair
    group_skill_id = skill("get-transit-card").id
    db.session.remove()

    def group() -> None:
        attendees = [Attendee(db.session.get_one(Mentee, i), 2) for i in (first_id, second_id)]
        mentor, skill = (
            db.session.get_one(User, mentor_id),
            db.session.get_one(Skill, group_skill_id),
        )
        record_group_session(mentor, skill, today(), attendees, idempotency_key="group-1")

    assert _single_sign_off_beside(app, pair, group) == []
    saved = db.session.execute(select(SignoffEvent.mentee_id, SignoffEvent.skill_id)).all()
    assert sorted(saved) == sorted(
        [(first_id, group_skill_id), (second_id, group_skill_id), (second_id, skill_id)]
    )


def test_a_group_note_and_a_single_sign_off_of_one_mentee_both_save(app, pair):
    mentor_id, first_id, second_id, skill_id = pair

    def group() -> None:
        members = [GroupMember(db.session.get_one(Mentee, i)) for i in (first_id, second_id)]
        details = NoteDetails(
            today() - timedelta(days=1), clock(10), clock(11), "in_person", what_we_did="Bus"
        )
        mentor = db.session.get_one(User, mentor_id)
        record_group_notes(mentor, members, details, idempotency_key="group-note-1")

    assert _single_sign_off_beside(app, pair, group) == []
    assert db.session.scalar(select(func.count()).select_from(SessionNote)) == 2
    saved = db.session.execute(select(SignoffEvent.mentee_id, SignoffEvent.skill_id)).all()
    assert saved == [(second_id, skill_id)]
