"""Each organisation owns what it uploads: nothing one organisation's admin does to
curricula changes a page, PDF or CSV of another, and every change is audited in the
log of each organisation it affects (issue 13)."""

import html
import io
import itertools
import re

import pytest
from itsdangerous import TimestampSigner
from pypdf import PdfReader
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import (
    AuditEvent,
    Curriculum,
    CurriculumAdoption,
    CurriculumLoad,
    Mentee,
    Skill,
)
from skills.services import curriculum as curriculum_service
from skills.services import voice
from skills.services.curriculum import owners
from skills.services.progress import curriculum_view, mentee_progress
from skills.services.progress_totals import signoffs_by_month
from skills.services.signoffs import SignoffDetails, SignoffError, record_signoff

from .conftest import MINI_CURRICULUM, today
from .page_states import without_csrf

# An organisation's file that reuses the library's key, with one skill and renamed levels:
# before curricula had owners, this retired every other skill for every organisation.
SAME_KEY = """\
id: mini
version: "9"
title: Our own mini
signed_off_level: 1
levels:
  - {value: 0, name: Zero, mentee_text: Not yet}
  - {value: 1, name: Done, mentee_text: Done it}
domains:
  - key: crisis
    title: Crisis lines QZORG
    skills:
      - key: call-line
        title: Call the made-up line QZORG
        i_can: I can call 555-0100.
        description: Call the line.
        steps: [Dial the number.]
"""


def _upload(client, text: str, name: str = "ours.yaml"):
    return client.post(
        "/admin/curriculum/upload",
        data={"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _stable(text: str) -> str:
    # Printing times differ between two fetches a second apart; nothing else may.
    text = re.sub(r"\d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?( UTC)?", "<time>", text)
    # So do the form tokens (CSRF, idempotency keys) in each page.
    return re.sub(r'value="[A-Za-z0-9._-]{20,}"', 'value="<token>"', text)


def _other_org_outputs(client, login, world) -> dict[str, str]:
    """Everything organisation B's mentor and mentee read about mentee C."""
    c = world.mentee_c.id
    outputs = {}
    login(world.users["other_org_mentor"])
    for url in (f"/mentees/{c}", "/mentor/", "/mentor/group", f"/mentees/{c}/history"):
        response = client.get(url)
        assert response.status_code == 200, url
        outputs[url] = _stable(response.get_data(as_text=True))
    for url in (f"/mentees/{c}/report.pdf", "/caseload/report.pdf"):
        response = client.get(url)
        assert response.status_code == 200, url
        outputs[url] = _stable(_pdf_text(response.data))
    for url in ("/caseload/summary.csv", f"/mentees/{c}/history.csv"):
        outputs[url] = _stable(client.get(url).get_data(as_text=True))
    login(world.users["mentee_c"])
    for url in ("/me/", "/me/history"):
        outputs[url] = _stable(client.get(url).get_data(as_text=True))
    outputs["/me/report.pdf"] = _stable(_pdf_text(client.get("/me/report.pdf").data))
    return outputs


def test_nothing_an_admin_does_to_curricula_changes_another_organisation(client, login, world):
    before = _other_org_outputs(client, login, world)
    library = db.session.scalar(select(Curriculum).where(Curriculum.key == "mini"))

    login(world.users["admin"])
    assert _upload(client, SAME_KEY).status_code == 302
    # Uploading it again, changed, retires and restores within the organisation's copy.
    assert _upload(client, SAME_KEY.replace("Call the made", "Phone the made")).status_code == 302
    response = client.post("/admin/curriculum", data={"curricula": []})
    assert response.status_code == 302
    skill_id = db.session.scalar(select(Skill.id).where(Skill.key == "call-line"))
    assert client.post(f"/admin/resources/{skill_id}", data={"details": "QZORG"}).status_code == 302

    after = _other_org_outputs(client, login, world)
    for url, text in before.items():
        assert after[url] == text, f"{url} changed for the other organisation"
        assert "QZORG" not in after[url]
    # The library curriculum itself is untouched.
    db.session.expire_all()
    assert db.session.get(Curriculum, library.id).version == "1"
    assert library.organisation_id is None

    # Organisation A now sees its own curriculum only.
    view = curriculum_view(world.mentee_a.organisation_id)
    assert [c.title for c in view.curricula.values()] == ["Our own mini"]
    assert [s.title for d in view.domains for s in view.skills[d.id]] == [
        "Phone the made-up line QZORG"
    ]
    login(world.users["mentee_a"])
    page = client.get("/me/").get_data(as_text=True)
    assert "Crisis lines QZORG" in page
    assert "Getting around" not in page


def test_each_organisations_log_holds_its_own_curriculum_changes(
    client, login, runner, world, tmp_path
):
    org_a = world.mentee_a.organisation_id
    org_b = world.mentee_c.organisation_id
    login(world.users["admin"])
    _upload(client, SAME_KEY)
    client.post("/admin/curriculum", data={"curricula": []})

    def events(org_id):
        return [
            (e.action, e.object_id, e.actor_id)
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.organisation_id == org_id, AuditEvent.action.like("curriculum.%"))
                .order_by(AuditEvent.id)
            )
        ]

    admin_id = world.users["admin"].id
    assert events(org_a) == [
        ("curriculum.load", "mini", admin_id),
        ("curriculum.stop_using", "mini", admin_id),
    ]
    assert events(org_b) == []

    # The operator's library load is audited in each organisation using it: B only now.
    changed = MINI_CURRICULUM.read_text().replace('version: "1"', 'version: "2"')
    path = tmp_path / "changed-mini.yaml"
    path.write_text(changed)
    result = runner.invoke(args=["curriculum", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert events(org_b) == [("curriculum.load", "mini", None)]
    (cli_event,) = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.organisation_id == org_b, AuditEvent.action == "curriculum.load"
        )
    )
    assert '"via": "cli"' in cli_event.detail and '"scope": "library"' in cli_event.detail
    assert len(events(org_a)) == 2


def test_another_organisations_own_skill_does_not_exist_for_anyone_else(
    client, login, world, monkeypatch
):
    # Each signature is a second later, as when a second boundary falls between two
    # pages: their CSRF tokens differ, and what the pages say must not.
    seconds = itertools.count(1_800_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(seconds))
    login(world.users["admin"])
    _upload(client, SAME_KEY)
    own_skill = db.session.scalar(select(Skill).where(Skill.key == "call-line"))
    c = world.mentee_c.id
    login(world.users["other_org_mentor"])
    missing = client.get(f"/mentees/{c}/skills/999999")
    foreign = client.get(f"/mentees/{c}/skills/{own_skill.id}")
    assert missing.status_code == foreign.status_code == 404
    assert without_csrf(foreign) == without_csrf(missing)
    assert client.post(f"/mentees/{c}/skills/{own_skill.id}", data={"level": 1}).status_code == 404
    login(world.users["mentee_c"])
    assert client.get(f"/me/skills/{own_skill.id}").status_code == 404
    assert client.post(f"/me/skills/{own_skill.id}/goal").status_code == 404
    login(world.users["other_org_admin"])
    assert client.get(f"/admin/resources/{own_skill.id}").status_code == 404

    # The service refuses it too, whatever a view forgets, naming the mentee and the skill.
    with pytest.raises(SignoffError) as refused:
        record_signoff(
            world.mentee_c,
            own_skill,
            world.users["other_org_mentor"],
            SignoffDetails(level=1, shown_on=today()),
        )
    db.session.rollback()
    title = own_skill.text_in("title", "en")
    assert title
    assert str(refused.value) == (
        f"{world.mentee_c.name}’s program does not use the skill “{title}”."
    )


def test_a_library_curriculum_an_organisation_stops_using_keeps_its_history(
    client, login, world, skill
):
    org_a = world.mentee_a.organisation
    record_signoff(
        world.mentee_a,
        skill(),
        world.users["mentor_a"],
        SignoffDetails(level=3, shown_on=today()),
    )
    voice.mark_refresher(world.mentee_a, skill(), world.users["mentor_a"])
    db.session.commit()
    before = mentee_progress(world.mentee_a)
    assert before.total > 0 and before.signed_off == 1
    assert [d.reason for d in voice.due_checks([world.mentee_a.id], today())] == ["refresher"]
    assert sum(m.signed_off for m in signoffs_by_month(world.mentee_a)) == 1
    changes = owners.choose(org_a, [], world.users["admin"])
    db.session.commit()
    assert changes == ["no longer using Mini curriculum"]
    assert mentee_progress(world.mentee_a).total == 0
    # Nothing of a curriculum not in use is due, nor counted in the monthly chart.
    assert voice.due_checks([world.mentee_a.id], today()) == []
    assert sum(m.signed_off for m in signoffs_by_month(world.mentee_a)) == 0
    # Sign-offs are kept; choosing the curriculum again brings the same progress back.
    library_id = db.session.scalar(select(Curriculum.id).where(Curriculum.key == "mini"))
    assert owners.choose(org_a, [library_id], world.users["admin"]) == ["now using Mini curriculum"]
    db.session.commit()
    again = mentee_progress(world.mentee_a)
    assert (again.total, again.signed_off) == (before.total, before.signed_off)
    assert [s.level for d in again.domains for s in d.skills] == [
        s.level for d in before.domains for s in d.skills
    ]


def test_keys_repeat_across_organisations_without_clashing(world):
    org_a = world.mentee_a.organisation_id
    org_b = world.mentee_c.organisation_id
    spec = curriculum_service.parse_curriculum(SAME_KEY, "ours.yaml")
    curriculum_service.apply_curriculum(spec, organisation_id=org_a)
    curriculum_service.apply_curriculum(
        curriculum_service.parse_curriculum(SAME_KEY.replace("QZORG", "QZB"), "b.yaml"),
        organisation_id=org_b,
    )
    db.session.commit()
    owned = {
        c.organisation_id: c.title
        for c in db.session.scalars(select(Curriculum).where(Curriculum.key == "mini"))
    }
    assert owned == {None: "Mini curriculum", org_a: "Our own mini", org_b: "Our own mini"}
    titles = {
        org: [
            s.title for d in curriculum_view(org).domains for s in curriculum_view(org).skills[d.id]
        ]
        for org in (org_a, org_b)
    }
    assert "Call the made-up line QZORG" in titles[org_a]
    assert "Call the made-up line QZB" in titles[org_b]
    assert not any("QZB" in t for t in titles[org_a])


def test_admins_cannot_choose_what_is_not_in_the_library(client, login, world):
    login(world.users["admin"])
    _upload(client, SAME_KEY)
    own_id = db.session.scalar(select(Curriculum.id).where(Curriculum.organisation_id.is_not(None)))
    library_id = db.session.scalar(
        select(Curriculum.id).where(Curriculum.organisation_id.is_(None))
    )
    response = client.post("/admin/curriculum", data={"curricula": [own_id]})
    assert response.status_code == 422
    assert "not a valid choice" in response.get_data(as_text=True)
    adopted = set(
        db.session.scalars(
            select(CurriculumAdoption.curriculum_id).where(
                CurriculumAdoption.organisation_id == world.mentee_a.organisation_id
            )
        )
    )
    assert adopted == {library_id}


def test_a_new_organisation_starts_with_the_whole_library(app):
    from skills.services import people

    org = people.get_or_create_organisation("Brand New Program")
    db.session.commit()
    assert curriculum_view(org.id).skill_count == curriculum_view(org.id).skill_count > 0
    assert owners.adopted_ids(org.id) == {c.id for c in owners.library()}


def test_command_line_sets_which_library_curricula_an_organisation_uses(runner, world):
    result = runner.invoke(args=["curriculum", "use", "--organisation", "Other Program"])
    assert result.exit_code == 0, result.output
    assert "No longer using Mini curriculum" in result.output
    assert curriculum_view(world.mentee_c.organisation_id).skill_count == 0
    result = runner.invoke(args=["curriculum", "use", "nope", "--organisation", "Other Program"])
    assert result.exit_code != 0
    assert "Not in the shared library: nope. Library curricula: mini" in result.output
    result = runner.invoke(args=["curriculum", "use", "mini", "--organisation", "Nobody"])
    assert "No organization is named “Nobody”" in result.output


def test_the_settings_page_lists_the_curricula_in_use(client, login, world):
    login(world.users["admin"])
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Mini curriculum" in page and "shared library" in page
    _upload(client, SAME_KEY)
    client.post("/admin/curriculum", data={"curricula": []})
    client.get("/admin/curriculum")  # shows (and so clears) the saved message
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Mini curriculum" not in page
    assert "Our own mini" in page and "your own, version 9" in page


def test_nothing_an_admin_does_to_people_assignments_or_settings_changes_another(
    client, login, world
):
    """The same check for the rest of an admin's work: people, mentees, assignments, a
    caseload transfer, a roster import and the organization's settings."""
    before = _other_org_outputs(client, login, world)
    on = today().isoformat()
    login(world.users["admin"])
    made = client.post(
        "/admin/people/new",
        data={
            "username": "newmentorqz",
            "display_name": "New Mentor QZORG",
            "roles": ["mentor"],
            "password": "plum-harbor-lantern-quiet",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    added = client.post(
        "/admin/mentees/new",
        data={"full_name": "Added Mentee QZORG", "start_date": on},
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    mentor_a = world.users["mentor_a"]
    moved = client.post(
        f"/admin/assignments/transfer?source={mentor_a.id}-mentor",
        data={
            "target_id": str(world.users["other_mentor"].id),
            "effective_on": on,
            "mentee_ids": [str(world.mentee_a.id)],
            "idempotency_key": "iso-1",
        },
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)
    settings = client.post(
        "/admin/settings",
        data={
            "name": "Renamed Program QZORG",
            "time_zone": "America/Los_Angeles",
            "two_step_roles": ["mentor", "case_manager"],
        },
    )
    assert settings.status_code == 302, settings.get_data(as_text=True)
    roster = (
        "type,username,name,roles,record_number,start_date,mentor\n"
        f"mentee,,Imported QZORG,,R-QZ-1,{on},newmentorqz\n"
    )
    imported = client.post(
        "/admin/people/import",
        data={"files": (io.BytesIO(roster.encode()), "roster.csv"), "action": "import"},
        content_type="multipart/form-data",
    )
    assert imported.status_code in (200, 302), imported.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Mentee).where(Mentee.record_number == "R-QZ-1")
        )
        == 1
    )

    after = _other_org_outputs(client, login, world)
    for url, text in before.items():
        assert after[url] == text, f"{url} changed for the other organisation"
        assert "QZORG" not in after[url]
    # The other organization's people still sign in without two-step.
    login(world.users["other_org_mentor"])
    assert client.get("/mentor/").status_code == 200


def test_a_library_load_names_its_loader_only_inside_their_own_organisation(client, login, world):
    """The shared library's load history is read by every organisation's admin; a
    loader from another organisation is shown as the platform operator, never by name."""
    library = db.session.scalar(select(Curriculum).where(Curriculum.organisation_id.is_(None)))
    for loader in ("admin", "other_org_admin"):
        db.session.add(
            CurriculumLoad(
                curriculum_id=library.id,
                version=f"by-{loader}",
                source_sha256="0" * 64,
                loaded_by_id=world.users[loader].id,
            )
        )
    db.session.commit()
    for reader, other in (("admin", "other_org_admin"), ("other_org_admin", "admin")):
        login(world.users[reader])
        page = html.unescape(client.get("/admin/curriculum").get_data(as_text=True))
        loaded_by = dict(re.findall(r"<td>by-(\w+)</td>\s*<td>([^<]*)</td>", page))
        assert loaded_by == {reader: world.users[reader].display_name, other: "Platform operator"}
        assert world.users[other].display_name not in page
