"""Photo evidence: re-encoding (no EXIF, upright, resized), refused uploads, who may see
and withdraw a photo, no-store, and the audit log."""

import io
import re
import struct
import zlib

import pytest
from PIL import Image, ImageOps
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from skills import permissions
from skills.extensions import db
from skills.models import AuditEvent, Photo
from skills.services import photos
from skills.services.session_notes import sign_note
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import tiny_jpeg, today

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(40, 30)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG", exif=exif, comment=b"secret")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test image has GPS"
    return data


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is width x height: a decompression bomb's shape."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = 8 + 4  # signature, then the IHDR chunk's length
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 4 + 13]))
    data[ihdr + 4 + 13 : ihdr + 4 + 17] = struct.pack(">I", crc)
    return bytes(data)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# Re-encoding


def test_a_photo_with_gps_comes_back_without_any_exif():
    encoded = photos.encode(jpeg_with_gps())
    image = opened(encoded.data)
    assert encoded.content_type == "image/jpeg" and image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "comment" not in image.info
    assert b"Exif" not in encoded.data and b"PhoneMaker" not in encoded.data
    assert b"secret" not in encoded.data


def test_orientation_is_applied_to_the_pixels():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    Image.new("RGB", (2, 1), (255, 0, 0)).save(out, "JPEG", exif=exif)
    encoded = photos.encode(out.getvalue())
    image = opened(encoded.data)
    assert image.size == (1, 2) and (encoded.width, encoded.height) == (1, 2)
    assert ORIENTATION not in image.getexif()


def test_large_photos_are_resized_to_1600_on_the_long_side():
    encoded = photos.encode(tiny_jpeg((3200, 1000)))
    assert opened(encoded.data).size == (1600, 500) == (encoded.width, encoded.height)
    small = photos.encode(tiny_jpeg((800, 600)))
    assert opened(small.data).size == (800, 600)  # never enlarged


def test_transparency_keeps_png_and_everything_else_becomes_jpeg():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG")
    assert photos.encode(out.getvalue()).content_type == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    opaque = photos.encode(out.getvalue())
    assert opaque.content_type == "image/jpeg" and opened(opaque.data).format == "JPEG"


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"Dear mentor, here is my photo!\n" * 10, "not a photo we can read"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "not a photo we can read"),
        (png_claiming_size(20_000, 20_000), "too big to open"),  # Pillow's error
        (png_claiming_size(9_000, 9_000), "too big to open"),  # Pillow's warning
        (b"\xff" * (photos.MAX_BYTES + 1), "up to 10 MB"),
        (b"", "Choose a photo"),
    ],
    ids=["text", "png-garbage", "bomb", "bomb-warning", "over-10-mb", "empty"],
)
def test_what_is_not_a_usable_photo_is_refused_with_a_reason(raw, message):
    with pytest.raises(photos.PhotoError, match=message):
        photos.encode(raw)


# Uploading through the pages


def photo_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Photo))


def upload(client, url, data: bytes, name="photo.jpg"):
    # Encoded here into bytes: the test client's own encoding spools a large body to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(MultiDict({"photo": FileStorage(io.BytesIO(data), name)}))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def did_it_url(world) -> str:
    return f"/photos/did-it/{world.params['report_id']}"


def test_the_mentee_adds_a_photo_to_their_i_did_it_without_its_gps(client, login, world):
    login(world.users["mentee_a"])
    before = photo_count()
    response = upload(client, did_it_url(world), jpeg_with_gps())
    assert response.status_code == 303
    assert photo_count() == before + 1
    photo = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    assert photo.uploaded_by_id == world.users["mentee_a"].id
    assert photo.did_it_id == world.params["report_id"]
    served = client.get(f"/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert len(opened(served.data).getexif()) == 0 and b"Exif" not in served.data
    page = client.get(did_it_url(world)).get_data(as_text=True)
    assert f"/photos/{photo.id}/small" in page and 'loading="lazy"' in page


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"just some text, not a picture", "card.jpg", "not a photo we can read"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 40, "card.png", "not a photo we can read"),
        (png_claiming_size(20_000, 20_000), "bomb.png", "too big to open"),
        (b"\xff" * (photos.MAX_BYTES + 1), "big.jpg", "up to 10 MB"),
    ],
    ids=["text-named-jpg", "png-garbage", "bomb", "just-over-10-mb"],
)
def test_refused_uploads_say_why_beside_the_field_and_store_nothing(
    client, login, world, data, name, message
):
    login(world.users["mentee_a"])
    before, audits = photo_count(), db.session.scalar(select(func.count(AuditEvent.id)))
    response = upload(client, did_it_url(world), data, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="photo-errors"' in page and message in page
    assert photo_count() == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audits


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(client, login, world):
    login(world.users["mentee_a"])
    before = photo_count()
    response = upload(client, did_it_url(world), b"\xff" * (11 * 1024 * 1024))
    assert response.status_code == 303 and response.headers["Location"].endswith("?error=too_large")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="photo-errors"' in page and "up to 10 MB" in page
    assert photo_count() == before


def test_other_routes_keep_the_usual_upload_limit(client, login, world):
    login(world.users["mentee_a"])
    response = client.post(
        f"/me/skills/{world.params['skill_id']}/did-it", data={"note": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_a_fourth_photo_is_refused_and_a_withdrawn_one_makes_room(client, login, world):
    login(world.users["mentee_a"])
    url = did_it_url(world)  # the world's photo is the first
    assert upload(client, url, tiny_jpeg()).status_code == 303
    assert upload(client, url, tiny_jpeg()).status_code == 303
    before = photo_count()
    response = upload(client, url, tiny_jpeg())
    assert response.status_code == 400
    assert "already has 3 photos" in response.get_data(as_text=True)
    assert photo_count() == before
    client.post(f"/photos/{world.params['photo_id']}/withdraw")
    assert upload(client, url, tiny_jpeg()).status_code == 303


def test_the_mentor_adds_photos_to_their_sign_off_and_unsigned_session_note(client, login, world):
    login(world.users["mentor_a"])
    before = photo_count()
    assert (
        upload(client, f"/photos/signoffs/{world.params['event_id']}", tiny_jpeg()).status_code
        == 303
    )
    note_url = f"/photos/session-notes/{world.params['note_id']}"
    assert upload(client, note_url, tiny_jpeg()).status_code == 303
    assert photo_count() == before + 2
    # Another mentor of the same mentee may see the sign-off's photos, not add to it.
    login(world.users["mentor_today"])
    assert (
        upload(client, f"/photos/signoffs/{world.params['event_id']}", tiny_jpeg()).status_code
        == 403
    )
    assert photo_count() == before + 2


def test_a_signed_session_note_takes_no_more_photos(client, login, world):
    from skills.models.session_notes import SessionNote

    note = db.session.get(SessionNote, world.params["note_id"])
    world.users["mentor_a"].credential = "CPS"
    sign_note(note, world.users["mentor_a"])
    db.session.commit()
    login(world.users["mentor_a"])
    before = photo_count()
    response = upload(client, f"/photos/session-notes/{note.id}", tiny_jpeg())
    assert response.status_code == 400
    assert "This note is signed" in response.get_data(as_text=True)
    assert photo_count() == before


# Who may see


@pytest.fixture
def staff_only_photo(world, skill):
    """A photo on mentor A's staff-only sign-off of mentee A."""
    event = record_signoff(
        world.mentee_a,
        skill("use-atm"),
        world.users["mentor_a"],
        SignoffDetails(level=2, shown_on=today(), note="STAFF", note_visibility="staff"),
    )
    photo = photos.add_photo(event, tiny_jpeg(), world.users["mentor_a"])
    db.session.commit()
    return photo


def status_for(app, world, actor: str, url: str) -> int:
    from .conftest import PASSWORD

    client = app.test_client()
    user = world.users[actor]
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return client.get(url).status_code


def test_a_photo_on_a_staff_only_note_is_staff_only(app, world, staff_only_photo):
    url = f"/photos/{staff_only_photo.id}"
    expected = {
        "mentor_a": 200,
        "mentor_today": 200,
        "cm_a": 200,
        "admin": 200,
        "mentee_a": 403,  # their own record, but a staff-only note
        "mentor_ended": 403,
        "mentor_future": 403,
        "other_mentor": 403,  # the same organisation, not their mentee
        "mentee_b": 403,
        "other_org_admin": 404,  # another organisation: as if it did not exist
        "other_org_mentor": 404,
        "mentee_c": 404,
    }
    got = {actor: status_for(app, world, actor, url) for actor in expected}
    assert got == expected
    small = f"/photos/{staff_only_photo.id}/small"
    assert status_for(app, world, "mentee_a", small) == 403
    assert status_for(app, world, "cm_a", small) == 200
    assert permissions.can_view_photo(world.users["cm_a"], staff_only_photo)
    assert not permissions.can_view_photo(world.users["mentee_a"], staff_only_photo)


def test_a_photo_on_a_shared_record_is_the_mentees_too(app, world):
    url = f"/photos/{world.params['photo_id']}"
    assert status_for(app, world, "mentee_a", url) == 200
    assert status_for(app, world, "mentor_a", url) == 200
    assert status_for(app, world, "mentee_b", url) == 403
    assert status_for(app, world, "other_mentor", url) == 403
    assert status_for(app, world, "other_org_admin", url) == 404


def test_photos_are_never_cached_and_each_view_is_audited(client, login, world):
    login(world.users["cm_a"])
    photo_id = world.params["photo_id"]
    for path, size in ((f"/photos/{photo_id}", "full"), (f"/photos/{photo_id}/small", "small")):
        before = db.session.scalar(select(func.count()).where(AuditEvent.action == "photo.view"))
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        db.session.expire_all()
        row = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "photo.view")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "photo.view"))
            == before + 1
        )
        assert row.actor_id == world.users["cm_a"].id
        assert row.object_id == str(photo_id) and row.mentee_id == world.mentee_a.id
        assert size in str(row.detail)


def test_the_small_copy_is_small(client, login, world):
    login(world.users["mentee_a"])
    upload(client, did_it_url(world), tiny_jpeg((1200, 900)))
    photo = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    small = client.get(f"/photos/{photo.id}/small")
    assert opened(small.data).size == (240, 180)


# Withdrawing


def test_withdrawing_erases_the_bytes_and_records_who_and_when(client, login, world):
    photo_id = world.params["photo_id"]
    login(world.users["cm_a"])
    response = client.post(f"/photos/{photo_id}/withdraw")
    assert response.status_code == 303
    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    assert photo.data is None and photo.byte_size == 0
    assert photo.withdrawn_by_id == world.users["cm_a"].id and photo.withdrawn_at is not None
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "photo.withdraw", AuditEvent.object_id == str(photo_id)
            )
        )
        == 1
    )
    assert client.get(f"/photos/{photo_id}").status_code == 404
    assert client.get(f"/photos/{photo_id}/small").status_code == 404
    page = client.get(did_it_url(world)).get_data(as_text=True)
    assert "was withdrawn by" in page and world.users["cm_a"].display_name in page
    # Once is enough: a second try says so and changes nothing.
    client.post(f"/photos/{photo_id}/withdraw")
    db.session.expire_all()
    assert db.session.get(Photo, photo_id).withdrawn_by_id == world.users["cm_a"].id


def test_the_mentee_withdraws_their_own_photos_but_not_their_mentors(client, login, world):
    login(world.users["mentor_a"])
    upload(client, f"/photos/signoffs/{world.params['event_id']}", tiny_jpeg())
    mentors = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    login(world.users["mentee_a"])
    assert client.get(f"/photos/{mentors.id}").status_code == 200  # shared: seen
    assert client.post(f"/photos/{mentors.id}/withdraw").status_code == 403
    db.session.expire_all()
    assert db.session.get(Photo, mentors.id).data is not None
    assert client.post(f"/photos/{world.params['photo_id']}/withdraw").status_code == 303
    db.session.expire_all()
    own = db.session.get(Photo, world.params["photo_id"])
    assert own.data is None and own.withdrawn_by_id == world.users["mentee_a"].id


def test_listing_photos_does_not_load_their_bytes(world, count_queries):
    from skills.models import DidItReport

    report = db.session.get(DidItReport, world.params["report_id"])
    db.session.expire_all()
    with count_queries() as counter:
        listed = photos.photos_of(report)
    assert listed and not any("photos.data" in s for s in counter.statements)


def test_encoding_undoes_what_exif_transpose_would_do_once():
    """The stored photo needs no further turning: applying EXIF again changes nothing."""
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    out = io.BytesIO()
    Image.new("RGB", (30, 10)).save(out, "JPEG", exif=exif)
    stored = opened(photos.encode(out.getvalue()).data)
    assert ImageOps.exif_transpose(stored).size == stored.size == (10, 30)


def test_mentee_pages_link_to_photos_and_load_none(client, login, world, skill):
    login(world.users["mentee_a"])
    page = client.get(f"/me/skills/{skill('ride-and-pay').id}").get_data(as_text=True)
    assert f"/photos/did-it/{world.params['report_id']}" in page
    assert "/photos/" not in "".join(re.findall(r"<img\b[^>]*>", page))


def test_a_small_photos_size_is_never_shown_as_0_kb(client, login, world):
    login(world.users["mentor_a"])
    record = f"/photos/signoffs/{world.params['event_id']}"
    upload(client, record, tiny_jpeg())
    photo = db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()
    assert photo.byte_size < 512  # rounds to 0 KB
    page = client.get(record).get_data(as_text=True)
    assert "(1 KB)" in page and "(0 KB)" not in page
