"""The small copy of a photo is made once, at upload, and stored: showing it never
decodes the photo again, it carries no metadata, and withdrawing erases it too."""

import io

from PIL import Image
from sqlalchemy import select, update

from skills.extensions import db
from skills.models import Photo
from skills.services import photos

from .conftest import tiny_jpeg
from .test_photos import did_it_url, jpeg_with_gps, upload


def no_decoding(*args, **kwargs):
    raise AssertionError("the small copy was made again")


def _newest() -> Photo:
    db.session.expire_all()
    return db.session.scalars(select(Photo).order_by(Photo.id.desc())).first()


def test_the_small_copy_is_made_at_upload_and_served_as_stored(client, login, world, monkeypatch):
    login(world.users["mentee_a"])
    assert upload(client, did_it_url(world), jpeg_with_gps((1200, 900))).status_code == 303
    photo = _newest()
    stored = photo.thumbnail
    assert stored is not None and len(stored) < len(photo.data)
    small = Image.open(io.BytesIO(stored))
    assert small.size == (240, 180) and len(small.getexif()) == 0 and b"Exif" not in stored

    # Showing it, twice, decodes nothing: the bytes are the stored ones.
    monkeypatch.setattr(photos, "encode", no_decoding)
    for _ in range(2):
        response = client.get(f"/photos/{photo.id}/small")
        assert response.status_code == 200 and response.data == stored
        assert response.mimetype == "image/jpeg"


def test_a_photo_stored_before_small_copies_gets_one_once(client, login, world, monkeypatch):
    photo_id = world.params["photo_id"]
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(thumbnail=None))
    db.session.commit()
    login(world.users["cm_a"])
    first = client.get(f"/photos/{photo_id}/small")
    assert first.status_code == 200
    db.session.expire_all()
    assert db.session.get(Photo, photo_id).thumbnail == first.data
    monkeypatch.setattr(photos, "encode", no_decoding)
    assert client.get(f"/photos/{photo_id}/small").data == first.data


def test_withdrawing_erases_the_small_copy_too(client, login, world):
    login(world.users["mentee_a"])
    assert upload(client, did_it_url(world), tiny_jpeg((600, 400))).status_code == 303
    photo = _newest()
    assert photo.thumbnail
    assert client.post(f"/photos/{photo.id}/withdraw").status_code == 303
    photo = _newest()
    assert photo.withdrawn and photo.data is None and photo.thumbnail is None
    assert client.get(f"/photos/{photo.id}/small").status_code == 404
