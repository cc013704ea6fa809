"""The demo's session notes and photos, added once the sign-off history is in.

Every mentee's individual sessions from the first day of last month (the last full
month, which the billing export reads) to yesterday become notes: the sign-offs of the
day linked, their skills worked on, the three-part note written for those skills, and
now and then a short phone check-in between sessions. Most are signed on time; by each
mentor's turn of notes, a few are signed late and a few are still unsigned past their
last day. Some are shared with the mentee, some carry an addendum or the mentee's
comment. Rows go in in bulk (session notes are not hash-chained; models/chain.py).

Photos are drawn with Pillow and stored as `services.photos.encode` writes an upload.
"""

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select, update

from .demo_bulk import built_after, insert_rows
from .demo_text import DOMAIN_PLACES, PLACES, STAFF_NOTE_GENERAL, STAFF_NOTES, note_for
from .extensions import db
from .models import DidItReport, Mentee, Organisation, Photo, SignoffEvent, User
from .models.session_notes import (
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from .services.curriculum_view import CurriculumView
from .services.photos import encode, small_copy
from .services.session_notes import minutes_between, units_for
from .timeutil import utcnow, zone

CREDENTIALS = ["CPS", "CPRS", "CPS", "PRSS", "CPS"]
MINUTES = [15, 20, 25, 30, 30, 40, 45, 45, 50, 60, 60, 75, 90]
# By the level reached in the session (0: a check-in with no level change).
HOW_IT_WENT = {
    0: "No new level today. We talked through what got in the way and what could help.",
    1: "First time trying this. A little nervous at the start, then stayed with it.",
    2: "Did most of it with a few prompts from me. More confident than last time.",
    3: "Did it from start to finish without help. Proud of it, and said so.",
}
NEXT_STEP = {
    0: "Meet in person next week and try it together.",
    1: "Practice again next week with me nearby.",
    2: "Try it alone before our next meeting, then tell me how it went.",
    3: "Move on to the next skill in the plan.",
}
ADDENDA = [
    "Addendum: the session was at the transit center, not the peer center as written.",
    "Addendum: the mentee called afterwards to say it went fine the second time too.",
    "Addendum: case manager informed of the follow-up mentioned in this note.",
]
COMMENTS = [
    "Thank you for coming with me. I want to try it alone next time.",
    "This is right. It was easier than I thought.",
    "I was nervous but it helped to plan it first.",
]


@dataclass
class _Contact:
    mentee_id: int
    mentor_id: int
    day: date
    levels: dict[int, int] = field(default_factory=dict)  # skill id: level reached
    events: list[int] = field(default_factory=list)


def add_session_notes(org: Organisation, view: CurriculumView, rng: random.Random, on: date) -> int:
    """Add the demo's session notes, addenda, comments and photos; the caller commits.
    Returns the number of notes."""
    mentors = db.session.execute(
        select(User.id, User.display_name)
        .where(User.organisation_id == org.id, User.roles == "mentor")
        .order_by(User.id)
    ).all()
    credential = {}
    for i, (mentor_id, _) in enumerate(mentors):
        credential[mentor_id] = CREDENTIALS[i % len(CREDENTIALS)]
        db.session.execute(
            update(User).where(User.id == mentor_id).values(credential=credential[mentor_id])
        )
    names = dict(mentors)
    skills = {s.id: s for d in view.domains for s in view.skills.get(d.id, [])}
    domains = {d.id: d.key for d in view.domains}
    first = (on.replace(day=1) - timedelta(days=1)).replace(day=1)
    contacts = _contacts(org, first, on, rng)
    tz = zone(org)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    turn: dict[int, int] = {}
    for c in contacts:
        minutes = rng.choice(MINUTES) if c.events else rng.choice([15, 20])
        start = time(rng.randint(9, 16), rng.choice([0, 15, 30, 45]))
        ends = (datetime.combine(c.day, start) + timedelta(minutes=minutes)).time()
        level = max(c.levels.values(), default=0) if c.events else 0
        skill_list = [skills[s] for s in c.levels if s in skills]
        domain = domains.get(skill_list[0].domain_id, "") if skill_list else ""
        mode = ("in_person" if rng.random() < 0.8 else "video") if c.events else "phone"
        places = DOMAIN_PLACES.get(domain, PLACES)
        place = {"phone": "Phone call", "video": "Video call"}.get(mode) or rng.choice(places)
        shared = rng.random() < 0.4
        titles = _listed([f"“{s.title}”" for s in skill_list]) or "the plan"
        done = note_for(skill_list[0].key, domain, 1.0, rng.randrange(12), False)
        how = HOW_IT_WENT[level]
        if not shared and rng.random() < 0.3:
            how += " " + STAFF_NOTES.get(domain, STAFF_NOTE_GENERAL)
        sign_by = c.day + timedelta(days=org.sign_within_days)
        ended = datetime.combine(c.day, ends, tz)
        k = turn[c.mentor_id] = turn.get(c.mentor_id, -1) + 1
        signed_on = _signed_on(c.day, sign_by, on, k, rng)
        signed_at = None
        if signed_on is not None:
            hour = min(ends.hour + 2, 21) if signed_on == c.day else rng.randint(8, 20)
            signed_at = min(datetime.combine(signed_on, time(hour, rng.randint(0, 59)), tz), now)
            signed_on = signed_at.astimezone(tz).date()
        minutes = minutes_between(start, ends)
        rows.append(
            {
                "organisation_id": org.id,
                "mentee_id": c.mentee_id,
                "mentor_id": c.mentor_id,
                "contact_on": c.day,
                "starts_at": start,
                "ends_at": ends,
                "mode": mode,
                "place": place,
                "what_we_did": f"Worked on {titles}. {done}"
                if c.events
                else f"Phone check-in about {titles}: how practice went since we last met.",
                "how_it_went": how,
                "next_step": NEXT_STEP[level],
                "note_visibility": "mentee" if shared else "staff",
                "minutes": minutes,
                "units": units_for(minutes, org.unit_minutes, org.unit_threshold),
                "service_code": org.billing_code,
                "modifiers": org.billing_modifiers,
                "sign_by": sign_by,
                "created_at": min(ended + timedelta(minutes=20), now),
                "updated_at": signed_at or min(ended + timedelta(minutes=20), now),
                "signed_at": signed_at,
                "signed_on": signed_on,
                "signed_name": names[c.mentor_id] if signed_at else None,
                "signed_credential": credential[c.mentor_id] if signed_at else None,
                "idempotency_key": None,
            }
        )
    with built_after(SessionNote):
        insert_rows(SessionNote, rows)
    ids = list(
        db.session.scalars(
            select(SessionNote.id)
            .where(SessionNote.organisation_id == org.id)
            .order_by(SessionNote.id)
        )
    )
    if len(ids) != len(rows):
        raise RuntimeError("demo session notes and their ids do not line up")
    with built_after(SessionNoteSkill):
        insert_rows(
            SessionNoteSkill,
            [(i, s) for i, c in zip(ids, contacts, strict=True) for s in c.levels],
            ("note_id", "skill_id"),
        )
    with built_after(SessionNoteSignoff):
        insert_rows(
            SessionNoteSignoff,
            [(i, e) for i, c in zip(ids, contacts, strict=True) for e in c.events],
            ("note_id", "signoff_event_id"),
        )
    _addenda_and_comments(ids, rows, now)
    _photos(org, ids, rows)
    return len(rows)


def _listed(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _contacts(org: Organisation, first: date, on: date, rng: random.Random) -> list[_Contact]:
    """One contact per mentee, mentor and day with individual sign-offs, from `first` to
    yesterday, and now and then a phone check-in on a quiet day between two of them."""
    found: dict[tuple[int, int, date], _Contact] = {}
    organisation_mentees = select(Mentee.id).where(Mentee.organisation_id == org.id)
    for event_id, mentee_id, mentor_id, day, skill_id, level in db.session.execute(
        select(
            SignoffEvent.id,
            SignoffEvent.mentee_id,
            SignoffEvent.recorded_by_id,
            SignoffEvent.shown_on,
            SignoffEvent.skill_id,
            SignoffEvent.level,
        )
        .where(
            # "+ 0": read the table once, in id order. By the mentee index SQLite would
            # fetch every event of every mentee (all of them) one by one, 4× slower.
            (SignoffEvent.mentee_id + 0).in_(organisation_mentees),
            SignoffEvent.kind == "signoff",
            SignoffEvent.group_session_id.is_(None),
            SignoffEvent.shown_on >= first,
            SignoffEvent.shown_on < on,
        )
        .order_by(SignoffEvent.id)
    ):
        c = found.setdefault((mentee_id, mentor_id, day), _Contact(mentee_id, mentor_id, day))
        c.levels[skill_id] = max(level, c.levels.get(skill_id, 0))
        c.events.append(event_id)
    # Each mentee's contacts in the order they happened (the check-ins go between them).
    contacts = sorted(found.values(), key=lambda c: (c.mentee_id, c.day, c.events[0]))
    calls = []
    for before, after in zip(contacts, contacts[1:], strict=False):
        gap = (after.day - before.day).days
        if before.mentee_id == after.mentee_id and gap >= 6 and rng.random() < 0.4:
            day = before.day + timedelta(days=gap // 2)
            skill = next(iter(before.levels))
            calls.append(_Contact(before.mentee_id, before.mentor_id, day, {skill: 0}))
    return sorted(contacts + calls, key=lambda c: (c.day, c.mentee_id, bool(c.events)))


def _signed_on(day: date, sign_by: date, on: date, k: int, rng: random.Random) -> date | None:
    """When the `k`th note of a mentor was signed: none yet for some recent ones; of the
    notes past their last day, one in sixteen is unsigned and another one in sixteen
    signed late; the rest on time."""
    if sign_by >= on:
        return None if rng.random() < 0.4 else min(day + timedelta(days=rng.randint(0, 1)), on)
    if k % 16 == 5:
        return None
    if k % 16 == 11:
        return min(sign_by + timedelta(days=rng.randint(1, 5)), on)
    return min(day + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3])), sign_by)


def _addenda_and_comments(ids: list[int], rows: list[dict], now: datetime) -> None:
    addenda, comments = [], []
    mine = {row["mentee_id"] for row in rows}
    users = dict(
        db.session.execute(select(Mentee.id, Mentee.user_id).where(Mentee.id.in_(mine))).all()
    )
    shared = 0
    for n, (note_id, row) in enumerate(zip(ids, rows, strict=True)):
        if row["signed_at"] and n % 23 == 7 and row["signed_at"] + timedelta(days=1) < now:
            addenda.append(
                {
                    "note_id": note_id,
                    "author_id": row["mentor_id"],
                    "text": ADDENDA[n % len(ADDENDA)],
                    "at": row["signed_at"] + timedelta(days=1),
                }
            )
        if row["note_visibility"] == "mentee" and users.get(row["mentee_id"]):
            shared += 1
            at = row["created_at"] + timedelta(hours=3)
            if shared % 6 == 1 and at < now:
                comments.append(
                    {
                        "note_id": note_id,
                        "author_id": users[row["mentee_id"]],
                        "words": COMMENTS[shared % len(COMMENTS)],
                        "at": at,
                    }
                )
    insert_rows(SessionNoteAddendum, addenda)
    insert_rows(SessionNoteComment, comments)


def _picture(label: str, colour: tuple[int, int, int], seed: int) -> bytes:
    """A small card-like picture, as a phone photo of a transit or library card might be."""
    image = Image.new("RGB", (320, 200), (236, 232, 224))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((30, 30, 290, 170), radius=14, fill=colour)
    draw.rectangle((30, 60, 290, 80), fill=(250, 250, 250))
    draw.rectangle((48, 100, 110, 150), fill=(200, 200, 200))
    for row in range(3):
        draw.rectangle(
            (125, 105 + row * 15, 125 + 40 + (seed * 37 + row * 53) % 120, 112 + row * 15),
            fill=(255, 255, 255),
        )
    draw.text((40, 38), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _photo_row(org: Organisation, mentee_id: int, by: int, at: datetime, raw: bytes) -> dict:
    encoded = encode(raw)  # what an upload stores: re-encoded, no metadata
    return {
        "organisation_id": org.id,
        "mentee_id": mentee_id,
        "uploaded_by_id": by,
        "uploaded_at": at,
        "content_type": encoded.content_type,
        "width": encoded.width,
        "height": encoded.height,
        "byte_size": len(encoded.data),
        "data": encoded.data,
        "thumbnail": small_copy(encoded),
        "did_it_id": None,
        "signoff_event_id": None,
        "session_note_id": None,
        "withdrawn_at": None,
        "withdrawn_by_id": None,
    }


def _photos(org: Organisation, ids: list[int], rows: list[dict]) -> None:
    """Four photos: two on "I did it" reports (one later withdrawn by the mentee), one on
    a sign-off and one on a session note written before it was signed."""
    out = []
    claims = db.session.execute(
        select(DidItReport.id, DidItReport.mentee_id, DidItReport.created_at, Mentee.user_id)
        .join(Mentee, Mentee.id == DidItReport.mentee_id)
        .where(Mentee.organisation_id == org.id, Mentee.user_id.is_not(None))
        .order_by(DidItReport.id)
        .limit(2)
    ).all()
    for n, (claim_id, mentee_id, at, user_id) in enumerate(claims):
        if user_id is None:  # none (the query asks for a login); for the type checker
            continue
        row = _photo_row(
            org,
            mentee_id,
            user_id,
            at,
            _picture(
                "TRANSIT" if n == 0 else "LIBRARY", (30, 90, 160) if n == 0 else (150, 60, 40), n
            ),
        )
        row["did_it_id"] = claim_id
        if n == 1:  # the mentee thought better of it: the bytes are gone, the row says so
            row |= {
                "data": None,
                "thumbnail": None,
                "byte_size": 0,
                "withdrawn_at": min(at + timedelta(hours=1), utcnow()),
            }
            row["withdrawn_by_id"] = user_id
        out.append(row)
    event = db.session.execute(
        select(
            SignoffEvent.id,
            SignoffEvent.mentee_id,
            SignoffEvent.recorded_by_id,
            SignoffEvent.recorded_at,
        )
        # `+ 0`: the newest events first, by id, not every event through the mentees'
        # index and then a sort (2.6 s at 10,000 mentees on SQLite, now a few ms).
        .join(Mentee, Mentee.id == SignoffEvent.mentee_id + 0)
        .where(
            Mentee.organisation_id == org.id,
            SignoffEvent.level == 3,
            SignoffEvent.kind == "signoff",
        )
        .order_by(SignoffEvent.id.desc())
        .limit(1)
    ).first()
    if event is not None:
        row = _photo_row(org, event[1], event[2], event[3], _picture("BANK CARD", (20, 120, 80), 2))
        row["signoff_event_id"] = event[0]
        out.append(row)
    shared = [(i, r) for i, r in zip(ids, rows, strict=True) if r["note_visibility"] == "mentee"]
    if shared:
        note_id, note = shared[-1]
        row = _photo_row(
            org,
            note["mentee_id"],
            note["mentor_id"],
            note["created_at"],
            _picture("PHARMACY", (110, 40, 130), 3),
        )
        row["session_note_id"] = note_id
        out.append(row)
    insert_rows(Photo, out)
