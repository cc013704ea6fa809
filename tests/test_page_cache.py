"""The caseload and mentor pages keep their rendered lists in memory per viewer
(services/page_cache.py), and never show them stale: a change by this app, or by another
app server straight in the database, shows on the next request; so does an assignment
that ended; nothing is shared between viewers, and every view is still audited."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from skills import timeutil
from skills.extensions import db
from skills.models import Assignment, AuditEvent
from skills.services import assignments
from skills.services.mentee_standing import discharge_mentee
from skills.services.page_cache import page_versions
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import raw_engine, today
from .page_states import without_csrf


@pytest.fixture
def team(org, make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Mara Mentor")
    manager = make_user("case_manager")
    mentees = [make_mentee(name=f"Pat Caseload{i}") for i in range(3)]
    for mentee in mentees:
        assign(mentor, mentee)
        assign(manager, mentee)
    return mentor, manager, mentees


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return without_csrf(response)


def _views(page: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "mentee_list.view", AuditEvent.object_id == page)
    )


@pytest.mark.parametrize("kind,path", [("case_manager", "/caseload/"), ("mentor", "/mentor/")])
def test_a_repeat_view_comes_from_memory_and_is_still_audited(
    app, team, client, login, count_queries, kind, path
):
    mentor, manager, mentees = team
    viewer = manager if kind == "case_manager" else mentor
    login(viewer)
    first = _page(client, path)
    with count_queries() as built:
        app.extensions.pop("skills.page_parts", None)  # as a fresh server
        assert _page(client, path) == first
    with count_queries() as kept:
        assert _page(client, path) == first
    assert kept.count < built.count - 3
    page = "caseload" if kind == "case_manager" else "mentor"
    assert _views(page) == 3
    shown = db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "mentee_list.view")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).one()
    assert all(str(m.id) in shown for m in mentees)


@pytest.mark.parametrize("kind,path", [("case_manager", "/caseload/"), ("mentor", "/mentor/")])
def test_an_ended_assignment_shows_at_once(team, client, login, kind, path):
    mentor, manager, mentees = team
    viewer = manager if kind == "case_manager" else mentor
    login(viewer)
    assert "Pat Caseload1" in _page(client, path)
    gone = mentees[1]
    assignment = db.session.scalars(
        select(Assignment).where(Assignment.mentee_id == gone.id, Assignment.staff_id == viewer.id)
    ).one()
    assignments.end_assignment(assignment, timeutil.today(gone))
    db.session.commit()
    page = _page(client, path)
    assert "Pat Caseload1" not in page and "Pat Caseload2" in page


def test_an_assignment_ended_by_another_app_server_shows_at_once(team, client, login):
    mentor, manager, mentees = team
    login(manager)
    assert "3 mentees shown" in _page(client, "/caseload/")
    engine = raw_engine(db.engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE assignments SET ends_on = :day WHERE staff_id = :staff AND mentee_id = :m"
            ),
            {
                "day": timeutil.today(mentees[0]) - timedelta(days=1),
                "staff": manager.id,
                "m": mentees[0].id,
            },
        )
    engine.dispose()
    page = _page(client, "/caseload/")
    assert "2 mentees shown" in page and "Pat Caseload0" not in page


def test_staff_only_changes_show_at_once(team, client, login, skill):
    """A mentor's new name, a sign-off with a staff-only note, a discharge: each shows on
    the next request."""
    mentor, manager, mentees = team
    login(manager)
    page = _page(client, "/caseload/")
    assert "Mara Mentor" in page and "Pat Caseload0" in page
    mentor.display_name = "Mara Renamed"
    db.session.commit()
    page = _page(client, "/caseload/")
    assert "Mara Renamed" in page and "Mara Mentor" not in page

    before = page_versions()
    record_signoff(
        mentees[0],
        skill("get-transit-card"),
        mentor,
        SignoffDetails(
            level=3, shown_on=timeutil.today(mentees[0]), note="x", note_visibility="staff"
        ),
    )
    db.session.commit()
    assert page_versions()[1] != before[1]
    assert "<strong>0 of" in page
    assert "<strong>1 of" in _page(client, "/caseload/")

    discharge_mentee(mentees[2], timeutil.today(mentees[2]), manager)
    db.session.commit()
    assert "Pat Caseload2" not in _page(client, "/caseload/")


def test_a_change_by_another_app_server_shows_at_once(team, client, login):
    """Another server writes straight to the database: the triggers give the caseload a
    new version, so this server's copy is not used."""
    mentor, manager, mentees = team
    login(mentor)
    assert "Pat Caseload0" in _page(client, "/mentor/")
    engine = raw_engine(db.engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE mentees SET preferred_name = 'Sunny' WHERE id = :id"),
            {"id": mentees[0].id},
        )
    engine.dispose()
    page = _page(client, "/mentor/")
    assert "Sunny" in page


def test_nothing_is_shared_between_viewers(org, make_user, make_mentee, assign, client, login):
    """Two case managers with the same filters: each sees only their own caseload, even
    when the other's lists are in memory."""
    first, second = make_user("case_manager"), make_user("case_manager")
    mine, theirs = make_mentee(name="Only Mine"), make_mentee(name="Only Theirs")
    assign(first, mine)
    assign(second, theirs)
    login(first)
    assert "Only Mine" in _page(client, "/caseload/")
    login(second)
    page = _page(client, "/caseload/")
    assert "Only Theirs" in page and "Only Mine" not in page


def test_the_filters_and_language_are_part_of_the_key(team, client, login):
    mentor, manager, mentees = team
    mentees[2].status = "discharged"
    mentees[2].discharged_on = today()
    db.session.commit()
    login(manager)
    assert "Pat Caseload2" not in _page(client, "/caseload/")
    assert "Pat Caseload2" in _page(client, "/caseload/?status=all")
    assert "My caseload" in _page(client, "/caseload/?status=all")
    manager.language = "es"
    db.session.commit()
    assert "Mis casos" in _page(client, "/caseload/?status=all")


def test_the_assigned_ids_agree_with_the_assigned_mentees(world):
    """The ids the pages key their lists by are `mentees_assigned`'s mentees: an
    assignment that ended yesterday or starts tomorrow gives none."""
    from skills import permissions
    from skills.models import Mentee

    for name in ("mentor_a", "mentor_today", "mentor_ended", "mentor_future", "cm_a"):
        user = world.users[name]
        kind = "case_manager" if name == "cm_a" else "mentor"
        on = timeutil.today(user)
        expected = set(
            db.session.scalars(
                permissions.mentees_assigned(user, kind, on)
                .with_only_columns(Mentee.id)
                .order_by(None)
            )
        )
        assert set(permissions.mentee_ids_assigned(user, kind, on)) == expected
        assert bool(expected) == (name not in ("mentor_ended", "mentor_future"))
