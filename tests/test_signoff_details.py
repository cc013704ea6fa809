"""What a sign-off stores from the form, exactly, and the note limit a program sets."""

from datetime import timedelta

import pytest

from skills.extensions import db
from skills.services.signoffs import SignoffDetails, SignoffError, record_signoff

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
