"""Every predicate of `skills.permissions`, asked directly for every actor of the world.

The access matrix tries each route; this asks each rule, so a changed rule fails here
by name even where no route shows the difference (mutation testing relies on it).
"""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from skills import permissions
from skills.extensions import db
from skills.models import SignoffEvent

from .conftest import ACTORS, today

TODAY = today()
A_MENTORS = {"mentor_a", "mentor_today"}
A_STAFF = A_MENTORS | {"cm_a", "admin"}
MENTORS = {
    "mentor_a",
    "mentor_today",
    "mentor_ended",
    "mentor_future",
    "other_mentor",
    "other_org_mentor",
}
CASE_MANAGERS = {"cm_a", "other_cm"}
ADMINS = {"admin", "other_org_admin"}
MENTEES = {"mentee_a", "mentee_b", "mentee_c"}


@pytest.fixture
def actors(world):
    """Every actor by name (None for anonymous); the deactivated user is inactive."""
    world.users["deactivated"].active = False
    db.session.commit()
    return {name: world.users.get(name) for name in ACTORS}


def who(actors, predicate) -> set[str]:
    return {name for name, user in actors.items() if predicate(user)}


def test_who_may_view_mentee_a(world, actors):
    a = world.mentee_a
    assert who(actors, lambda u: permissions.can_view_mentee(u, a)) == A_STAFF | {"mentee_a"}
    assert who(actors, lambda u: permissions.can_print(u, a)) == A_STAFF | {"mentee_a"}
    assert who(actors, lambda u: permissions.can_view_staff_notes(u, a)) == A_STAFF
    assert who(actors, lambda u: permissions.viewer_for(u, a).sees_staff_notes) == A_STAFF
    assert who(actors, lambda u: permissions.is_self(u, a)) == {"mentee_a"}
    assert who(actors, lambda u: permissions.is_admin_for(u, a)) == {"admin"}


def test_who_may_view_mentee_c_of_the_other_organisation(world, actors):
    c = world.mentee_c
    readers = {"other_org_admin", "other_org_mentor"}
    assert who(actors, lambda u: permissions.can_view_mentee(u, c)) == readers | {"mentee_c"}
    assert who(actors, lambda u: permissions.can_view_staff_notes(u, c)) == readers
    assert who(actors, lambda u: permissions.is_admin_for(u, c)) == {"other_org_admin"}


def test_who_may_sign_off_for_mentee_a(world, actors):
    a = world.mentee_a
    assert who(actors, lambda u: permissions.can_sign_off(u, a)) == A_MENTORS
    a.status = "discharged"
    db.session.commit()
    assert who(actors, lambda u: permissions.can_sign_off(u, a)) == set()


def test_an_assignment_counts_only_while_the_person_holds_its_role(world, make_user, assign):
    """A mentor who becomes a case manager keeps the old mentor assignment, not access."""
    mentor = make_user("mentor")
    assign(mentor, world.mentee_a, kind="mentor")
    assert permissions.can_view_mentee(mentor, world.mentee_a)
    mentor.roles = "case_manager"
    db.session.commit()
    assert not permissions.can_view_mentee(mentor, world.mentee_a)
    assert not permissions.can_sign_off(mentor, world.mentee_a)
    assert [m.id for m in db.session.scalars(permissions.mentees_visible(mentor))] == []
    manager = make_user("case_manager")
    assign(manager, world.mentee_a, kind="case_manager")
    manager.roles = "mentor"
    db.session.commit()
    assert not permissions.can_view_mentee(manager, world.mentee_a)


def test_assignment_kinds_on_a_date(world):
    users, a = world.users, world.mentee_a
    assert permissions.assignment_kinds(users["mentor_a"], a) == {"mentor"}
    assert permissions.assignment_kinds(users["cm_a"], a) == {"case_manager"}
    assert permissions.assignment_kinds(users["mentor_today"], a) == {"mentor"}
    assert permissions.assignment_kinds(users["mentor_today"], a, TODAY - timedelta(1)) == set()
    assert permissions.assignment_kinds(users["mentor_ended"], a) == set()
    assert permissions.assignment_kinds(users["mentor_ended"], a, TODAY - timedelta(2)) == {
        "mentor"
    }
    assert permissions.assignment_kinds(users["mentor_future"], a) == set()
    assert permissions.assignment_kinds(users["mentor_future"], a, TODAY + timedelta(1)) == {
        "mentor"
    }


def test_who_may_correct_an_entry(world, actors, make_user):
    event = db.session.get(SignoffEvent, world.params["event_id"])
    assert who(actors, lambda u: permissions.can_correct(u, event)) == {"mentor_a"}
    refresher = SignoffEvent(
        mentee_id=event.mentee_id,
        skill_id=event.skill_id,
        kind="refresher",
        level=event.level,
        recorded_by_id=event.recorded_by_id,
        shown_on=TODAY,
    )
    refresher.mentee = world.mentee_a
    assert not permissions.can_correct(world.users["mentor_a"], refresher)


def test_areas_by_role(actors):
    assert who(actors, permissions.can_use_mentor_pages) == MENTORS
    assert who(actors, permissions.can_use_caseload) == CASE_MANAGERS
    assert who(actors, permissions.can_use_mentee_pages) == MENTEES
    assert who(actors, permissions.can_manage_people) == ADMINS
    assert who(actors, permissions.can_manage_curriculum) == ADMINS
    assert who(actors, permissions.can_read_audit) == ADMINS
    assert who(actors, permissions.can_use_admin_pages) == ADMINS
    assert who(actors, permissions.has_caseload) == MENTORS | CASE_MANAGERS | ADMINS


def test_navigation_and_home(actors, make_user):
    assert permissions.navigation(actors["mentor_a"]) == [("mentees.mine", "My mentees")]
    assert permissions.navigation(actors["cm_a"]) == [("caseload.index", "Caseload")]
    assert permissions.navigation(actors["mentee_a"]) == [("me.progress", "My progress")]
    assert permissions.navigation(actors["admin"]) == [("admin.index", "Admin")]
    assert permissions.navigation(actors["deactivated"]) == []
    assert permissions.navigation(None) == []
    assert permissions.navigation(AnonymousUserMixin()) == []
    both = make_user(["admin", "case_manager"])
    assert permissions.navigation(both) == [
        ("caseload.index", "Caseload"),
        ("admin.index", "Admin"),
    ]
    assert permissions.home_endpoint(both) == "caseload.index"
    assert permissions.home_endpoint(actors["mentee_a"]) == "me.progress"
    assert permissions.home_endpoint(actors["deactivated"]) is None


def test_two_step_required_for_admins_and_case_managers_when_the_program_asks(actors):
    assert who(actors, lambda u: u is not None and permissions.two_step_required(u)) == set()
    actors["admin"].organisation.two_step_roles = "admin case_manager"
    db.session.commit()
    required = who(actors, lambda u: u is not None and permissions.two_step_required(u))
    # Only the first organisation asked: its admin and case managers, no one else.
    assert required == {"admin", "cm_a", "other_cm"}


def test_mentee_lists(world, actors):
    a, b, c = world.mentee_a.id, world.mentee_b.id, world.mentee_c.id

    def ids(query):
        return [m.id for m in db.session.scalars(query)]

    assert ids(permissions.mentees_visible(actors["admin"])) == [a, b]  # by name
    assert ids(permissions.mentees_visible(actors["other_org_admin"])) == [c]
    assert ids(permissions.mentees_visible(actors["mentor_a"])) == [a]
    assert ids(permissions.mentees_visible(actors["cm_a"])) == [a]
    assert ids(permissions.mentees_visible(actors["mentee_a"])) == [a]
    assert ids(permissions.mentees_visible(actors["mentor_ended"])) == []
    assert ids(permissions.mentees_visible(actors["mentor_future"])) == []
    assert ids(permissions.mentees_visible(actors["mentor_ended"], TODAY - timedelta(2))) == [a]
    assert ids(permissions.caseload_for(actors["cm_a"])) == [a]
    assert ids(permissions.caseload_for(actors["mentor_today"])) == [a]
    assert ids(permissions.caseload_for(actors["admin"])) == [a, b]
    assert ids(permissions.caseload_for(actors["other_org_admin"])) == [c]
    assert ids(permissions.caseload_for(actors["mentee_a"])) == []
    assert ids(permissions.mentees_assigned(actors["mentor_a"], "mentor")) == [a]
    assert ids(permissions.mentees_assigned(actors["mentor_a"], "case_manager")) == []
    assert ids(permissions.mentees_assigned(actors["cm_a"], "case_manager")) == [a]
    assert ids(permissions.mentees_assigned(actors["mentor_future"], "mentor")) == []
    later = TODAY + timedelta(1)
    assert ids(permissions.mentees_assigned(actors["mentor_future"], "mentor", later)) == [a]


def test_a_person_holding_two_roles_sees_both_caseloads(world, make_user, assign):
    both = make_user(["mentor", "case_manager"])
    assign(both, world.mentee_a, kind="mentor")
    assign(both, world.mentee_b, kind="case_manager")
    visible = [m.id for m in db.session.scalars(permissions.mentees_visible(both))]
    assert visible == [world.mentee_a.id, world.mentee_b.id]
    # The caseload of a case manager is the case-manager caseload first.
    caseload = [m.id for m in db.session.scalars(permissions.caseload_for(both))]
    assert caseload == [world.mentee_b.id]
    assert db.session.scalars(select(SignoffEvent.id)).first() is not None


def test_viewers_and_require(app):
    assert permissions.command_line_viewer(True) == permissions.MENTEE_COPY
    assert not permissions.MENTEE_COPY.sees_staff_notes
    assert permissions.command_line_viewer(False).sees_staff_notes
    assert permissions.require(True) is None
    with pytest.raises(Forbidden):
        permissions.require(False)


def test_lists_are_by_name_not_by_when_a_record_was_made(world, actors, make_mentee, assign):
    """A mentee added later but earlier in the alphabet comes first, for every list."""
    aaron = make_mentee(name="Aaron Early")
    assign(actors["mentor_a"], aaron)
    assign(actors["cm_a"], aaron)
    a, b = world.mentee_a.id, world.mentee_b.id

    def ids(query):
        return [m.id for m in db.session.scalars(query)]

    assert ids(permissions.mentees_visible(actors["admin"])) == [aaron.id, a, b]
    assert ids(permissions.caseload_for(actors["admin"])) == [aaron.id, a, b]
    assert ids(permissions.mentees_visible(actors["mentor_a"])) == [aaron.id, a]
    assert ids(permissions.mentees_assigned(actors["mentor_a"], "mentor")) == [aaron.id, a]
    assert ids(permissions.caseload_for(actors["cm_a"])) == [aaron.id, a]


def test_caseloads_on_another_date(world, actors):
    """The date decides which assignments count; an admin's list does not depend on it."""
    a, b = world.mentee_a.id, world.mentee_b.id
    before, after = TODAY - timedelta(2), TODAY + timedelta(1)

    def ids(query):
        return [m.id for m in db.session.scalars(query)]

    assert ids(permissions.caseload_for(actors["mentor_ended"], before)) == [a]
    assert ids(permissions.caseload_for(actors["mentor_ended"])) == []
    assert ids(permissions.caseload_for(actors["mentor_future"], after)) == [a]
    assert ids(permissions.caseload_for(actors["mentor_today"], TODAY - timedelta(1))) == []
    assert ids(permissions.caseload_for(actors["cm_a"], TODAY - timedelta(400))) == []
    assert ids(permissions.caseload_for(actors["admin"], TODAY - timedelta(400))) == [a, b]
