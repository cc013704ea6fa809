"""Every route × method × actor against an explicit table of who gets in.

A route missing from the table fails the test: new routes are denied until someone
decides who may use them. Every response (HTML, and the text of PDFs and CSVs) is
also searched for markers of data the actor may not see: other mentees' names and
notes, staff-only notes for mentees, the other organisation's people.
"""

import pytest

from skills import create_app
from skills.extensions import db

from .conftest import ACTORS, PASSWORD

MENTORS = {
    "mentor_a",
    "mentor_today",
    "mentor_ended",
    "mentor_future",
    "other_mentor",
    "other_org_mentor",
}
STAFF = MENTORS | {"cm_a", "other_cm", "admin", "other_org_admin"}
SIGNED_IN = set(ACTORS) - {"anonymous", "deactivated"}
ADMINS = {"admin", "other_org_admin"}
MENTEES = ("mentee_a", "mentee_b", "mentee_c")

# Outcomes: "ok" (served or a redirect inside the app), "login" (sent to sign in),
# "deny" (403 or 404, revealing nothing), "self" (a mentee sent to their own page).


def allow(*who: str, own_mentee: str | None = None) -> dict[str, str]:
    """Outcome per actor: `who` get in, signed-in others are denied, the rest sign in."""
    table = {}
    for actor in ACTORS:
        if actor in ("anonymous", "deactivated"):
            table[actor] = "login"
        elif actor in who:
            table[actor] = "ok"
        else:
            table[actor] = "deny"
    if own_mentee:
        table["mentee_a"] = own_mentee
    return table


# Admins of another organisation see nothing of this one: 404 on its objects.
# An assignment that starts today gives access today; one that ended yesterday or
# starts tomorrow gives none.
A_MENTORS = ("mentor_a", "mentor_today")
A_VIEWERS = (*A_MENTORS, "cm_a", "admin")
A_STAFF_READERS = A_VIEWERS

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("auth.login", "GET"): {a: "ok" for a in ACTORS},
    ("auth.login", "POST"): {a: "ok" for a in ACTORS},
    ("auth.login_code", "GET"): {a: "login" for a in ACTORS},
    ("auth.login_code", "POST"): {a: "login" for a in ACTORS},
    ("account.index", "GET"): allow(*SIGNED_IN),
    ("account.password", "GET"): allow(*SIGNED_IN),
    ("account.password", "POST"): allow(*SIGNED_IN),
    ("account.two_step_setup", "GET"): allow(*SIGNED_IN),
    ("account.two_step_setup", "POST"): allow(*SIGNED_IN),
    ("account.recovery", "GET"): allow(*SIGNED_IN),
    ("account.recovery", "POST"): allow(*SIGNED_IN),
    ("account.language", "POST"): allow(*SIGNED_IN),
    # Signing out always ends on the sign-in page.
    ("auth.logout", "POST"): {a: "login" for a in ACTORS},
    ("main.health", "GET"): {a: "ok" for a in ACTORS},
    ("main.health_live", "GET"): {a: "ok" for a in ACTORS},
    ("main.health_ready", "GET"): {a: "ok" for a in ACTORS},
    ("main.index", "GET"): allow(*SIGNED_IN, own_mentee="self"),
    # Mentor pages
    ("mentees.mine", "GET"): allow(*MENTORS),
    ("mentees.detail", "GET"): allow(*A_VIEWERS, own_mentee="self"),
    ("mentees.history", "GET"): allow(*A_STAFF_READERS),
    ("mentees.skill", "GET"): allow(*A_STAFF_READERS),
    ("mentees.skill", "POST"): allow(*A_MENTORS),
    ("mentees.correct", "GET"): allow("mentor_a"),
    ("mentees.correct", "POST"): allow("mentor_a"),
    ("mentees.refresher", "POST"): allow(*A_MENTORS),
    ("goals.set_goal", "POST"): allow(*A_MENTORS),
    ("goals.clear_goal", "POST"): allow(*A_MENTORS),
    ("mentees.did_it", "GET"): allow(*A_MENTORS),
    ("mentees.did_it", "POST"): allow(*A_MENTORS),
    ("mentees.group", "GET"): allow(*MENTORS),
    ("mentees.group", "POST"): allow(*MENTORS),
    # Mentee pages: a mentee acts only on their own record
    ("me.rate", "POST"): allow(*MENTEES),
    ("me.goal", "POST"): allow(*MENTEES),
    ("me.goal_clear", "POST"): allow(*MENTEES),
    ("me.did_it", "POST"): allow(*MENTEES),
    ("me.confirm", "POST"): allow("mentee_a"),
    ("me.disagree", "POST"): allow("mentee_a"),
    ("me.progress", "GET"): allow(*MENTEES),
    ("me.history", "GET"): allow(*MENTEES),
    ("me.skill", "GET"): allow(*MENTEES),
    ("me.area", "GET"): allow(*MENTEES),
    # Case manager
    ("caseload.index", "GET"): allow("cm_a", "other_cm"),
    # Reports: staff who may see mentee A; caseload downloads for any staff member.
    ("reports.mentee_pdf", "GET"): allow(*A_VIEWERS, own_mentee="self"),
    ("reports.mentee_csv", "GET"): allow(*A_STAFF_READERS),
    ("reports.caseload_pdf", "GET"): allow(*STAFF),
    ("reports.caseload_batch", "GET"): allow(*STAFF),
    ("reports.caseload_csv", "GET"): allow(*STAFF),
    ("reports.my_report", "GET"): allow(*MENTEES),
    # Session notes: written by a current mentor, read by staff who read staff notes,
    # signed and added to by their author (mentor A); the mentee reads shared ones.
    ("session_notes.new", "GET"): allow(*MENTORS),
    ("session_notes.new", "POST"): allow(*MENTORS),
    ("session_notes.mentee_notes", "GET"): allow(*A_STAFF_READERS, own_mentee="self"),
    ("session_notes.overdue_mine", "GET"): allow(*MENTORS),
    ("session_notes.overdue_caseload", "GET"): allow("cm_a", "other_cm"),
    ("session_notes.show", "GET"): allow(*A_STAFF_READERS, own_mentee="self"),
    ("session_notes.sign", "POST"): allow("mentor_a"),
    # The world's shared note is mentor A's and unsigned: only its author edits it.
    ("session_notes.edit", "GET"): allow("mentor_a"),
    ("session_notes.edit", "POST"): allow("mentor_a"),
    ("session_notes.group", "GET"): allow(*MENTORS),
    ("session_notes.group", "POST"): allow(*MENTORS),
    ("session_notes.addendum", "POST"): allow("mentor_a"),
    ("session_notes.my_notes", "GET"): allow(*MENTEES),
    ("session_notes.my_note", "GET"): allow("mentee_a"),
    ("session_notes.comment", "POST"): allow("mentee_a"),
    ("session_notes.credential", "GET"): allow(*STAFF),
    ("session_notes.credential", "POST"): allow(*STAFF),
    # Billing: admins for their organization, case managers for their caseload.
    ("session_notes.billing", "GET"): allow(*ADMINS, "cm_a", "other_cm"),
    ("session_notes.billing_export", "GET"): allow(*ADMINS, "cm_a", "other_cm"),
    ("session_notes.billing_settings_page", "GET"): allow(*ADMINS),
    ("session_notes.billing_settings_page", "POST"): allow(*ADMINS),
    # Photos follow their record: mentee A's "I did it" (added by mentee A), mentor A's
    # sign-off and session note, all shared with mentee A. Added by the mentee on their
    # own "I did it", by the mentor on their own records; withdrawn by staff who see it
    # and by the mentee who added it.
    ("photos.did_it", "GET"): allow(*A_VIEWERS, "mentee_a"),
    ("photos.did_it", "POST"): allow("mentee_a"),
    ("photos.signoff", "GET"): allow(*A_VIEWERS, "mentee_a"),
    ("photos.signoff", "POST"): allow("mentor_a"),
    ("photos.session_note", "GET"): allow(*A_STAFF_READERS, "mentee_a"),
    ("photos.session_note", "POST"): allow("mentor_a"),
    ("photos.show", "GET"): allow(*A_VIEWERS, "mentee_a"),
    ("photos.small", "GET"): allow(*A_VIEWERS, "mentee_a"),
    ("photos.withdraw", "POST"): allow(*A_VIEWERS, "mentee_a"),
}

# Admin pages: admins only; objects of this organisation are 404 to the other admin.
ADMIN_ORG_WIDE = {
    "admin.index",
    "admin.people",
    "admin.person_new",
    "admin.roster_import",
    "admin.roster_template",
    "admin.mentees",
    "admin.mentee_new",
    "admin.assignments",
    "admin.assignment_new",
    "admin.assignment_transfer",
    "admin.curriculum",
    "admin.curriculum_upload",
    "admin.curriculum_template",
    # The world's curriculum is in the shared library, and both organisations use it.
    "admin.curriculum_download",
    "admin.audit",
    "admin.audit_export",
    "admin.settings",
}


EXPECTED.update(
    {
        ("resources.index", "GET"): allow(*ADMINS),
        ("resources.edit", "GET"): allow(*ADMINS),
        ("resources.edit", "POST"): allow(*ADMINS),
    }
)


def expected_for(endpoint: str, method: str) -> dict[str, str] | None:
    if (endpoint, method) in EXPECTED:
        return EXPECTED[(endpoint, method)]
    if endpoint.startswith("admin."):
        if endpoint in ADMIN_ORG_WIDE:
            return allow(*ADMINS)
        return allow("admin")
    return None


def forbidden_markers(world, actor: str) -> list[str]:
    """Markers of data this actor must never be shown."""
    a, staff_a = list(world.markers_a), list(world.staff_markers_a)
    b, staff_b = list(world.markers_b), list(world.staff_markers_b)
    c, staff_c = list(world.markers_c), list(world.staff_markers_c)
    sees = {
        "mentee_a": a,
        "mentee_b": b,
        "mentee_c": c,
        "mentor_a": a + staff_a,
        "mentor_today": a + staff_a,
        "cm_a": a + staff_a,
        "other_mentor": b + staff_b,
        "other_cm": b + staff_b,
        "admin": a + staff_a + b + staff_b,
        "other_org_admin": c + staff_c,
        "other_org_mentor": c + staff_c,
    }.get(actor, [])
    return [m for m in a + staff_a + b + staff_b + c + staff_c if m not in sees]


def body_text(response) -> str:
    """What a person would read in the response: PDF text is extracted, CSV read as text."""
    data = response.get_data()
    if response.mimetype == "application/pdf":
        import io

        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", "replace")


def _outcome(response, actor_is_mentee_a: bool) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (403, 404):
        return "deny"
    if status == 302 and "/login" in location:
        return "login"
    if status == 302 and location.startswith("/me"):
        return "self" if actor_is_mentee_a else "ok"
    if status == 400:  # CSRF or bad request for a route the actor may use
        return "ok"
    return "ok" if status < 500 else f"error {status}"


def _routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule.rule


ROUTES = list(_routes())


def test_every_route_is_in_the_table():
    missing = [f"{e} {m} {r}" for e, m, r in ROUTES if expected_for(e, m) is None]
    assert not missing, "routes with no access decision: " + ", ".join(missing)


@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{e}-{m}" for e, m, _ in ROUTES])
def test_access(app, world, endpoint, method, rule):
    users = world.users
    expected = expected_for(endpoint, method)
    assert expected is not None, f"{endpoint} {method} is not in the access table"
    url = world.url(rule)
    # The deactivated user signs in first, then loses access mid-session.
    users["deactivated"].active = True
    db.session.commit()
    failures = []
    leaks = []
    for actor in ACTORS:
        client = app.test_client()
        if actor != "anonymous":
            user = users[actor]
            response = client.post("/login", data={"username": user.username, "password": PASSWORD})
            assert response.status_code == 302, f"{actor} could not sign in"
        if actor == "deactivated":
            users["deactivated"].active = False
            db.session.commit()
        response = client.open(url, method=method, data={})
        # On the mentee's own pages, going back to them is simply success.
        got = _outcome(response, actor == "mentee_a" and not endpoint.startswith("me."))
        if got != expected[actor]:
            failures.append(
                f"{actor}: expected {expected[actor]}, got {got} ({response.status_code})"
            )
        text = body_text(response)
        leaks += [f"{actor} was shown {m}" for m in forbidden_markers(world, actor) if m in text]
        if actor == "deactivated":
            users["deactivated"].active = True
            db.session.commit()
    assert not failures, f"{method} {url}:\n" + "\n".join(failures)
    assert not leaks, f"{method} {url}:\n" + "\n".join(leaks)


def test_the_leak_check_sees_what_it_looks_for(app, world):
    """The markers really are on the pages the matrix opens, so finding none means
    something: mentor A's skill page shows the staff-only note, mentee A's does not."""
    skill_id = world.params["skill_id"]
    mentor = app.test_client()
    mentor.post("/login", data={"username": world.users["mentor_a"].username, "password": PASSWORD})
    page = body_text(mentor.get(f"/mentees/{world.mentee_a.id}/skills/{skill_id}"))
    assert "STAFF-QZA-2" in page and "NOTE-QZA-1" in page
    pdf = body_text(mentor.get(f"/mentees/{world.mentee_a.id}/report.pdf?copy=staff"))
    assert "Alma" in pdf and "STAFF-QZA-2" in pdf
    mentee = app.test_client()
    mentee.post("/login", data={"username": world.users["mentee_a"].username, "password": PASSWORD})
    own = body_text(mentee.get(f"/me/skills/{skill_id}"))
    assert "NOTE-QZA-1" in own
    assert not [m for m in forbidden_markers(world, "mentee_a") if m in own]
    assert "STAFF-QZA-2" in forbidden_markers(world, "mentee_a")
