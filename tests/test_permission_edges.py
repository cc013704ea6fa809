"""Rules of `permissions` that only an edge shows: a note's author after the assignment
ended, a mentee's comment on a staff-only note, a photo that someone may not see, and
"today" in the organization's time zone. Each test kills mutants that passed the rest
of the suite (docs/mutation.md)."""

from datetime import UTC, datetime, time, timedelta

from skills import permissions, timeutil
from skills.extensions import db
from skills.services.session_notes import NoteDetails, record_note


def _note(world, mentor: str, visibility: str):
    details = NoteDetails(
        contact_on=timeutil.today(world.mentee_a) - timedelta(days=3),
        starts_at=time(10, 0),
        ends_at=time(10, 30),
        mode="in_person",
        what_we_did="Practiced the bus route",
        note_visibility=visibility,
    )
    note = record_note(world.mentee_a, world.users[mentor], details)
    db.session.commit()
    return note


def test_the_author_reads_their_note_after_the_assignment_ended(world):
    with timeutil.frozen_at(timeutil.utcnow() - timedelta(days=10)):  # while assigned
        note = _note(world, "mentor_ended", "staff")
    ended = world.users["mentor_ended"]
    assert not permissions.can_view_staff_notes(ended, world.mentee_a)  # access is over
    assert permissions.can_read_session_note(ended, note)  # their own record stays theirs
    assert not permissions.can_read_session_note(world.users["mentor_future"], note)
    assert not permissions.can_read_session_note(world.users["other_mentor"], note)


def test_the_mentee_comments_on_shared_notes_only(world):
    mentee = world.users["mentee_a"]
    assert permissions.can_comment_on_session_note(mentee, _note(world, "mentor_a", "mentee"))
    staff_only = _note(world, "mentor_a", "staff")
    assert not permissions.can_comment_on_session_note(mentee, staff_only)
    assert not permissions.can_comment_on_session_note(world.users["mentee_b"], staff_only)


def test_only_those_who_see_a_photo_may_withdraw_it(world):
    from skills.models import Photo

    photo = db.session.get(Photo, world.params["photo_id"])
    assert permissions.can_withdraw_photo(world.users["mentee_a"], photo)  # they added it
    assert permissions.can_withdraw_photo(world.users["mentor_a"], photo)
    for outsider in ("other_mentor", "mentor_future", "other_org_admin", "mentee_b"):
        assert not permissions.can_withdraw_photo(world.users[outsider], photo), outsider


def test_an_assignment_starting_tomorrow_in_the_organizations_zone_gives_no_access_yet(
    world, assign, make_user
):
    """At 7 pm in California it is already tomorrow in UTC: the rule uses the
    organization's date, so an assignment that starts tomorrow gives nothing tonight."""
    organisation = world.mentee_a.organisation
    organisation.time_zone = "America/Los_Angeles"
    mentor = make_user("mentor")
    evening = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Nov 30, 7 pm in Los Angeles
    assign(mentor, world.mentee_b, starts_on=evening.date())
    db.session.commit()

    def ids(query):
        return [m.id for m in db.session.scalars(query)]

    with timeutil.frozen_at(evening):
        assert ids(permissions.mentees_assigned(mentor, "mentor")) == []
        assert ids(permissions.mentees_visible(mentor)) == []
        assert permissions.mentee_ids_assigned(mentor, "mentor") == []
        # A date given is the date asked about, whatever today is.
        on = evening.date()
        assert permissions.mentee_ids_assigned(mentor, "mentor", on) == [world.mentee_b.id]
    with timeutil.frozen_at(evening + timedelta(hours=8)):  # Dec 1 in California too
        assert ids(permissions.mentees_assigned(mentor, "mentor")) == [world.mentee_b.id]
        assert ids(permissions.mentees_visible(mentor)) == [world.mentee_b.id]
        assert permissions.mentee_ids_assigned(mentor, "mentor") == [world.mentee_b.id]
        yesterday = on - timedelta(days=1)
        assert permissions.mentee_ids_assigned(mentor, "mentor", yesterday) == []


def test_the_kinds_of_assignment_follow_the_organizations_date(world, assign, make_user):
    world.mentee_b.organisation.time_zone = "America/Los_Angeles"
    mentor = make_user("mentor")
    evening = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Nov 30, 7 pm in Los Angeles
    assign(mentor, world.mentee_b, starts_on=evening.date())
    db.session.commit()
    with timeutil.frozen_at(evening):
        assert permissions.assignment_kinds(mentor, world.mentee_b) == set()
    with timeutil.frozen_at(evening + timedelta(hours=8)):
        assert permissions.assignment_kinds(mentor, world.mentee_b) == {"mentor"}


def test_the_billing_export_each_person_may_download(world, make_user):
    """Admins download the organization's notes, case managers their caseload's; an
    admin who is also a case manager gets the organization's unless they ask for
    their caseload; nobody else gets any, whatever they ask for."""
    both = make_user(["admin", "case_manager"])
    for caseload in (False, True):
        assert permissions.billing_scope(world.users["admin"], caseload) == "organisation"
        assert permissions.billing_scope(world.users["cm_a"], caseload) == "caseload"
        for outsider in ("mentor_a", "mentee_a", "deactivated"):
            assert permissions.billing_scope(world.users[outsider], caseload) is None, outsider
        assert permissions.billing_scope(None, caseload) is None
    assert permissions.billing_scope(both) == "organisation"
    assert permissions.billing_scope(both, caseload=True) == "caseload"
