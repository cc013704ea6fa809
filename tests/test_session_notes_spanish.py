"""Session notes and photos in Spanish: the mentor's forms, the note page, a case
manager's billing page and the mentee's own notes and photos have no English sentence
left over; the billing file stays in English for the billing system."""

import csv
import io
from datetime import time, timedelta

import pytest

from skills.extensions import db
from skills.models import User
from skills.services import photos
from skills.services import session_note_groups as groups
from skills.services import session_notes as notes

from .conftest import tiny_jpeg, today
from .test_spanish_staff import english_left

YESTERDAY = today() - timedelta(days=1)


@pytest.fixture
def spanish(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor", name="Dora Guía")
    manager = make_user("case_manager", name="Lía Caso")
    mentor.credential = "CPS"
    mentees = [make_mentee(name=n, with_login=True) for n in ("Ana Ruiz", "Beto Paz")]
    for mentee in mentees:
        mentee.record_number = f"R-{mentee.id}"
        assign(mentor, mentee)
        assign(manager, mentee)
    for user in (mentor, manager, *(db.session.get(User, m.user_id) for m in mentees)):
        user.language = "es"
    detail = notes.NoteDetails(
        YESTERDAY,
        time(10),
        time(10, 40),
        "phone",
        place="Biblioteca",
        what_we_did="Repasamos el presupuesto",
        how_it_went="Con calma",
        next_step="Traer la carta del banco",
        note_visibility="mentee",
        skill_ids=[skill().id],
    )
    note = notes.record_note(mentees[0], mentor, detail)
    notes.add_comment(note, db.session.get(User, mentees[0].user_id), "Me sentí lista")
    group = groups.record_group_notes(
        mentor, [groups.GroupMember(m) for m in mentees], detail, idempotency_key="g-es"
    )
    photos.add_photo(note, tiny_jpeg(), mentor)
    db.session.commit()
    names = [mentor.display_name, manager.display_name, *(m.name for m in mentees)]
    data = [*names, "Test Program", "Biblioteca", "Repasamos el presupuesto", "Con calma"]
    data += ["Traer la carta del banco", "Me sentí lista", "CPS", "H0038", "HQ"]
    return mentor, manager, mentees, note, group, data


def test_a_mentor_writes_and_reads_notes_in_spanish(client, login, spanish, skill):
    mentor, _manager, mentees, note, group, data = spanish
    worked_on = skill()
    worked_on.translations = {"es": {"title": "Sacar la tarjeta de transporte"}}
    db.session.commit()
    login(mentor)
    pages = {
        "form": client.get(f"/mentor/notes/new?mentee_id={mentees[0].id}"),
        "group": client.get("/mentor/notes/group"),
        "note": client.get(f"/notes/{note.id}"),
        "group note": client.get(f"/notes/{group[0].id}"),
        "edit": client.get(f"/notes/{note.id}/edit"),
        "list": client.get(f"/mentees/{mentees[0].id}/notes"),
        "photos": client.get(f"/photos/session-notes/{note.id}"),
        "credential": client.get("/account/credential"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert english_left(page.text, data) == [], name
    assert "Nueva nota de sesión" in pages["form"].text and "En persona" in pages["form"].text
    assert "sesión de grupo con 2 participantes" in pages["group note"].text
    # The skill worked on reads as the curriculum says it in Spanish.
    assert "Sacar la tarjeta de transporte" in pages["note"].text
    assert skill().title not in pages["note"].text
    bad = {
        "mentee_id": str(mentees[0].id),
        "contact_on": YESTERDAY.isoformat(),
        "starts_at": "11:00",
        "ends_at": "10:00",
        "mode": "phone",
        "what_we_did": "",
        "note_visibility": "staff",
    }
    refused = client.post("/mentor/notes/new", data=bad)
    assert refused.status_code == 422
    assert "debe ser después de la hora de inicio" in refused.text
    assert english_left(refused.text, data) == []


def test_a_case_manager_reads_billing_in_spanish_and_the_file_stays_english(client, login, spanish):
    _mentor, manager, _mentees, _note, _group, data = spanish
    login(manager)
    month = YESTERDAY.strftime("%Y-%m")
    page = client.get(f"/notes/billing?scope=caseload&month={month}")
    assert page.status_code == 200 and "Facturación" in page.text
    assert english_left(page.text, data) == []
    export = client.get(f"/notes/billing.csv?scope=caseload&month={month}")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][0] == "mentee record number"
    reasons = [r[-1] for r in rows[rows.index(["Not billed: unsigned or signed late"]) + 2 :]]
    assert reasons and all(r.startswith("unsigned (sign by ") for r in reasons)


def test_a_mentee_reads_their_notes_and_photos_in_plain_spanish(client, login, spanish):
    _mentor, _manager, mentees, note, _group, data = spanish
    login(db.session.get(User, mentees[0].user_id))
    for url in ("/me/notes", f"/me/notes/{note.id}", f"/photos/session-notes/{note.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert english_left(page.text, data) == [], url
    page = client.get(f"/me/notes/{note.id}").text
    assert "Agrega tus propias palabras" in page and "Tus comentarios" in page
    saved = client.post(f"/me/notes/{note.id}/comment", data={"words": " "})
    assert saved.status_code == 422 and "escribe tu comentario" in saved.text
