"""Photo evidence: re-encoding uploads, attaching them to a record, serving, withdrawing.

Every upload is decoded and written again by Pillow: the orientation is applied to the
pixels, and nothing of the original file is carried over (EXIF with its GPS position,
XMP, comments), so what is stored is only the picture. The small copy shown in lists
is made once, at upload, from that clean picture and stored beside it; a photo stored
before small copies were kept gets its copy the first time it is shown.
Messages are in the reader's language (`gettext`; English without a request).
"""

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps
from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from .. import permissions
from ..extensions import db
from ..models import DidItReport, Mentee, Photo, SignoffEvent, User
from ..models.session_notes import SessionNote
from ..timeutil import utcnow
from ..transactions import lock_for_write
from . import audit

MAX_PHOTOS = 3  # per record, not counting withdrawn ones
MAX_BYTES = 10 * 1024 * 1024  # one upload, as sent
LONG_SIDE = 1600  # stored photos, in pixels
THUMB_SIDE = 240
JPEG_QUALITY = 85
# A phone's 48-megapixel photo fits; a small file that would unpack into gigabytes of
# pixels (a decompression bomb) is refused before it is decoded. Pillow warns above
# this and refuses above twice it; both are refusals here.
MAX_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
FORMATS = ("JPEG", "PNG", "WEBP")
UNREADABLE = _l("That file is not a photo we can read. Please use a JPEG, PNG or WebP picture.")
TOO_LARGE = _l("That photo is too large. Photos can be up to 10 MB.")

Record = DidItReport | SignoffEvent | SessionNote


class PhotoError(ValueError):
    """An upload that is refused; the message says why and what is allowed."""

    def __init__(self, message: object) -> None:
        # A lazy message becomes text in the language of the request that raised it.
        super().__init__(str(message))


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


def _decode(raw: bytes) -> Image.Image:
    if len(raw) > MAX_BYTES:
        raise PhotoError(TOO_LARGE)
    if not raw:
        raise PhotoError(_("Choose a photo to add."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=FORMATS)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(
            _("That picture is too big to open. Please use a photo of at most 64 megapixels.")
        ) from exc
    # Decoders fail on hostile bytes in many ways (UnidentifiedImageError, OSError,
    # SyntaxError, struct.error...); each means the same: not a picture we can read.
    except Exception as exc:
        raise PhotoError(UNREADABLE) from exc
    return image


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _save(image: Image.Image, transparent: bool) -> tuple[bytes, str]:
    out = io.BytesIO()
    # Only the pixels are passed on: no exif=, xmp= or comment, and info is emptied so
    # no encoder can copy metadata from it.
    image.info = {}
    if transparent:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "image/jpeg"


def encode(raw: bytes, long_side: int = LONG_SIDE) -> Encoded:
    """Decode an upload and write it again: turned upright, at most `long_side` pixels,
    JPEG (PNG when it has transparency), without any metadata. Raises PhotoError."""
    image = _decode(raw)
    try:
        transparent = _has_transparency(image)
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        data, content_type = _save(upright, transparent)
    # A broken EXIF block or an unusual pixel mode: as above, not a picture we can use.
    except Exception as exc:
        raise PhotoError(UNREADABLE) from exc
    return Encoded(data, content_type, upright.width, upright.height)


def small_copy(encoded: Encoded) -> bytes:
    """The small copy of a stored (already clean) picture, in the same format."""
    return encode(encoded.data, THUMB_SIDE).data


def thumbnail(photo: Photo) -> bytes | None:
    """The stored small copy; None once withdrawn. A photo from before small copies were
    stored gets one now, kept in the caller's transaction."""
    if photo.data is None:
        return None
    if photo.thumbnail is None:
        photo.thumbnail = encode(photo.data, THUMB_SIDE).data
        db.session.flush()
    return photo.thumbnail


def mentee_of(record: Record) -> Mentee:
    if isinstance(record, DidItReport):
        return db.session.get_one(Mentee, record.mentee_id)
    return record.mentee


def _link(record: Record) -> dict[str, int]:
    if isinstance(record, DidItReport):
        return {"did_it_id": record.id}
    if isinstance(record, SignoffEvent):
        return {"signoff_event_id": record.id}
    return {"session_note_id": record.id}


def _of_record(record: Record) -> ColumnElement[bool]:
    if isinstance(record, DidItReport):
        return Photo.did_it_id == record.id
    if isinstance(record, SignoffEvent):
        return Photo.signoff_event_id == record.id
    return Photo.session_note_id == record.id


def photos_of(record: Record) -> list[Photo]:
    """A record's photos, withdrawn ones too (the record says so), oldest first."""
    return list(db.session.scalars(select(Photo).where(_of_record(record)).order_by(Photo.id)))


def room_left(record: Record) -> int:
    """How many more photos the record takes."""
    held = db.session.scalar(
        select(func.count()).where(_of_record(record), Photo.withdrawn_at.is_(None))
    )
    return max(0, MAX_PHOTOS - (held or 0))


def add_photo(record: Record, raw: bytes, user: User) -> Photo:
    """Attach one re-encoded photo to a record. Raises PhotoError and stores nothing."""
    mentee = mentee_of(record)
    if not permissions.can_add_photo(user, record):
        raise PhotoError(_("You cannot add photos to this record."))
    if isinstance(record, SessionNote) and record.signed:
        raise PhotoError(_("This note is signed, so it cannot change. Add an addendum instead."))
    # The slow part, before any lock is taken: the photo and its small copy.
    encoded = encode(raw)
    small = small_copy(encoded)
    # Photos of one mentee queue here, so two uploads at once cannot make a fourth.
    lock_for_write(Mentee, mentee.id)
    if room_left(record) == 0:
        raise PhotoError(
            _("This already has %(max)d photos, the most it can have.", max=MAX_PHOTOS)
        )
    photo = Photo(
        organisation_id=mentee.organisation_id,
        mentee_id=mentee.id,
        uploaded_by_id=user.id,
        content_type=encoded.content_type,
        width=encoded.width,
        height=encoded.height,
        byte_size=len(encoded.data),
        data=encoded.data,
        thumbnail=small,
        **_link(record),
    )
    db.session.add(photo)
    db.session.flush()
    audit.record("photo.add", user, mentee=mentee, object_type="photo", object_id=photo.id)
    return photo


def record_view(photo: Photo, user: User, size: str) -> None:
    """Audit one viewing of a photo (`size`: 'full' or 'small')."""
    audit.record(
        "photo.view", user, mentee=photo.mentee, object_type="photo", object_id=photo.id, size=size
    )


def withdraw(photo: Photo, user: User) -> None:
    """Erase a photo's bytes; the row stays and says who withdrew it and when."""
    if not permissions.can_withdraw_photo(user, photo):
        raise PhotoError(_("You cannot withdraw this photo."))
    lock_for_write(Photo, photo.id)
    if photo.withdrawn:
        raise PhotoError(_("This photo was already withdrawn."))
    photo.data = None
    photo.thumbnail = None
    photo.byte_size = 0
    photo.withdrawn_at = utcnow()
    photo.withdrawn_by_id = user.id
    db.session.flush()
    audit.record(
        "photo.withdraw", user, mentee=photo.mentee, object_type="photo", object_id=photo.id
    )
