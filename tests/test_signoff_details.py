"""What a sign-off stores from the form, exactly, and the note limit a program sets."""

import threading
from datetime import timedelta

import pytest

from skills.extensions import db
from skills.services.signoffs import (
    DEFAULT_NOTE_MAX,
    PLACE_MAX,
    SignoffDetails,
    SignoffError,
    note_max_length,
    record_signoff,
)

from .conftest import today

TODAY = today()


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    return mentor, mentee


@pytest.mark.parametrize("place", [None, "", "   "])
def test_an_empty_place_is_stored_as_none(pair, skill, place):
    mentor, mentee = pair
    details = SignoffDetails(level=1, shown_on=TODAY, place=place)
    event = record_signoff(mentee, skill(), mentor, details)
    db.session.commit()
    db.session.expire_all()
    assert (event.place, event.support, event.practised_with) == (None, None, None)


def test_text_is_stored_trimmed(pair, skill):
    mentor, mentee = pair
    details = SignoffDetails(level=1, shown_on=TODAY, note="  Rode the 12  ", place=" Library ")
    event = record_signoff(mentee, skill(), mentor, details)
    db.session.commit()
    db.session.expire_all()
    assert (event.note, event.place) == ("Rode the 12", "Library")


def test_the_programs_note_limit_applies(app, pair, skill):
    mentor, mentee = pair
    app.config["NOTE_MAX_LENGTH"] = 10
    with pytest.raises(SignoffError) as caught:
        record_signoff(mentee, skill(), mentor, SignoffDetails(1, TODAY, note="x" * 11))
    assert (str(caught.value), caught.value.field) == (
        "The note is 11 characters long; the limit is 10. Shorten it; nothing was saved.",
        "note",
    )
    db.session.rollback()
    assert record_signoff(mentee, skill(), mentor, SignoffDetails(1, TODAY, note="x" * 10))


def test_each_limit_is_allowed_up_to_and_including_its_edge(pair, skill):
    """The first day, today, and a place of exactly the longest length all record."""
    mentor, mentee = pair
    edges = [
        SignoffDetails(1, mentee.start_date),
        SignoffDetails(1, TODAY),
        SignoffDetails(1, TODAY, place="x" * PLACE_MAX),
    ]
    for details in edges:
        event = record_signoff(mentee, skill(), mentor, details)
        db.session.commit()
        assert (event.shown_on, event.place) == (details.shown_on, details.place)


def test_the_note_limit_defaults_without_a_setting_or_an_app(app):
    del app.config["NOTE_MAX_LENGTH"]
    assert note_max_length() == DEFAULT_NOTE_MAX == 2000
    # A new thread starts with no app context, as a plain script does.
    outside: list[int] = []
    thread = threading.Thread(target=lambda: outside.append(note_max_length()))
    thread.start()
    thread.join()
    assert outside == [2000]


def test_the_service_refuses_a_lower_level_unless_told_to_record_it(pair, skill):
    """The default protects the record: only a caller that asked the mentor may lower."""
    mentor, mentee = pair
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    with pytest.raises(SignoffError) as caught:
        record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))
    assert caught.value.field == "confirm_lower"
    db.session.rollback()
    lowered = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY), allow_lower=True
    )
    assert lowered.level == 1
