"""Photo evidence: a page per record ("I did it", sign-off, session note) listing its
photos with a form to add one, the photos themselves, and withdrawing.

Photos are never part of another page: pages link here, and this page's small copies
load lazily, so a mentee's pages weigh the same with or without photos.
"""

import flask
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from .. import permissions
from ..extensions import db
from ..models import DidItReport, Photo, SignoffEvent
from ..models.session_notes import SessionNote
from ..services import photos
from .forms import EmptyForm
from .loading import load_mentee

bp = Blueprint("photos", __name__, url_prefix="/photos")

TOO_LARGE = photos.TOO_LARGE
UPLOAD_ENDPOINTS = frozenset({"photos.did_it", "photos.signoff", "photos.session_note"})
# One photo and the form's few fields; every other route keeps MAX_CONTENT_LENGTH.
UPLOAD_REQUEST_LIMIT = photos.MAX_BYTES + 64 * 1024


class Request(flask.Request):
    """Requests to the photo forms may be larger than the app's usual limit. Decided by
    the matched route, before any hook (CSRF, the NUL-byte check) reads the body."""

    @property
    def max_content_length(self) -> int | None:
        if self.endpoint in UPLOAD_ENDPOINTS and self._max_content_length is None:
            return UPLOAD_REQUEST_LIMIT
        return flask.Request.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"), validators=[FileRequired(message=_l("Choose a photo to add."))])


def _load(kind: str, record_id: int) -> photos.Record:
    """The record, or 404 (another organisation's too, recorded for the operator); 403 for
    people of the organisation who may not see it."""
    record: photos.Record | None
    if kind == "did_it":
        record = db.session.get(DidItReport, record_id)
    elif kind == "signoff":
        record = db.session.get(SignoffEvent, record_id)
    else:
        record = db.session.get(SessionNote, record_id)
    if record is None:
        abort(404)
    load_mentee(
        record.mentee_id,
        lambda user, _: permissions.can_view_photos_of(user, record),
        action=None,
    )
    return record


def _record_page(kind: str, record_id: int) -> ResponseReturnValue:
    """Show a record's photos; add one (POST)."""
    record = _load(kind, record_id)
    mentee = photos.mentee_of(record)
    form = PhotoForm()
    if request.method == "POST":
        permissions.require(permissions.can_add_photo(current_user, record))
        if form.validate_on_submit():
            try:
                photos.add_photo(record, form.photo.data.read(), current_user)
            except photos.PhotoError as exc:
                db.session.rollback()
                form.photo.errors = [str(exc)]
            else:
                db.session.commit()
                flash(_("Thank you. The photo was added."), "success")
                return redirect(request.path, code=303)
    elif request.args.get("error") == "too_large":
        form.photo.errors = [str(TOO_LARGE)]
    return render_template(
        "photos/record.html",
        kind=kind,
        record=record,
        mentee=mentee,
        photos=photos.photos_of(record),
        room=photos.room_left(record),
        can_add=permissions.can_add_photo(current_user, record),
        form=form,
        withdraw_form=EmptyForm(),
        max_photos=photos.MAX_PHOTOS,
    ), (200 if not form.errors else 400)


@bp.route("/did-it/<int:report_id>", methods=["GET", "POST"])
def did_it(report_id: int) -> ResponseReturnValue:
    """Photos of an "I did it"."""
    return _record_page("did_it", report_id)


@bp.route("/signoffs/<int:event_id>", methods=["GET", "POST"])
def signoff(event_id: int) -> ResponseReturnValue:
    """Photos of a sign-off."""
    return _record_page("signoff", event_id)


@bp.route("/session-notes/<int:note_id>", methods=["GET", "POST"])
def session_note(note_id: int) -> ResponseReturnValue:
    """Photos of a session note."""
    return _record_page("session_note", note_id)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """An upload over the limit is refused before it is read; the form says so beside the
    field (a GET, so every sign-in check runs again before the page shows)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        return redirect(f"{request.path}?error=too_large", code=303)
    return exc


def _load_photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id) or abort(404)
    load_mentee(
        photo.mentee_id, lambda user, _: permissions.can_view_photo(user, photo), action=None
    )
    return photo


def _image(photo: Photo, data: bytes | None, content_type: str, size: str) -> flask.Response:
    if data is None:
        abort(404)  # withdrawn: nothing left to show
    photos.record_view(photo, current_user, size)
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    # Never kept by a browser or a proxy: a shared phone must not hold the picture.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:photo_id>")
def show(photo_id: int) -> ResponseReturnValue:
    """The photo itself."""
    photo = _load_photo(photo_id)
    return _image(photo, photo.data, photo.content_type, "full")


@bp.route("/<int:photo_id>/small")
def small(photo_id: int) -> ResponseReturnValue:
    """The small copy made at upload, fetched only when the photos page shows it."""
    photo = _load_photo(photo_id)
    return _image(photo, photos.thumbnail(photo), photo.content_type, "small")


@bp.route("/<int:photo_id>/withdraw", methods=["POST"])
def withdraw(photo_id: int) -> ResponseReturnValue:
    """Erase a photo; the record keeps that it was there."""
    photo = _load_photo(photo_id)
    permissions.require(permissions.can_withdraw_photo(current_user, photo))
    EmptyForm().validate_on_submit() or abort(400)
    try:
        photos.withdraw(photo, current_user)
    except photos.PhotoError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The photo was withdrawn and erased."), "success")
    return redirect(record_url(photo), code=303)


def record_url(photo: Photo) -> str:
    """The page of the record a photo is on."""
    if photo.did_it_id is not None:
        return url_for("photos.did_it", report_id=photo.did_it_id)
    if photo.signoff_event_id is not None:
        return url_for("photos.signoff", event_id=photo.signoff_event_id)
    return url_for("photos.session_note", note_id=photo.session_note_id)
