"""Admin pages for curricula: what is loaded, and loading an uploaded file."""

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...services import curriculum as curriculum_service
from ...services import curriculum_queries
from . import PER_PAGE, allowed_if, bp, save
from .forms import CurriculumUploadForm


@bp.route("/curriculum")
@allowed_if(permissions.can_manage_curriculum)
def curriculum() -> ResponseReturnValue:
    """The loaded curricula, their domains and skills, and the load history."""
    return render_template(
        "admin/curriculum.html",
        curricula=curriculum_queries.curricula_in_full(),
        loads=curriculum_queries.recent_loads(PER_PAGE),
    )


def _upload_name(filename: str | None) -> str:
    # Only the last part of whatever path the browser sent, for error messages.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "upload.yaml"


def _load(text: str, filename: str) -> curriculum_service.LoadSummary:
    """Check and load the text of a curriculum file; loading writes its own audit event."""
    spec = curriculum_service.parse_curriculum(text, filename)
    return curriculum_service.apply_curriculum(spec, loaded_by_id=current_user.id)


def _loaded_message(summary: curriculum_service.LoadSummary) -> str:
    message = f"Curriculum {summary}."
    if not summary.changed:
        message += " Nothing had changed."
    return message


def _error_lines(exc: Exception) -> tuple[list[str], int]:
    """One line per listed error in a refused file, and how many errors it has in all
    (`save` passes on only CurriculumInvalid)."""
    if isinstance(exc, curriculum_service.CurriculumInvalid):
        return [str(error) for error in exc.errors], curriculum_service.error_count(exc.errors)
    return [str(exc)], 1


@bp.route("/curriculum/upload", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_curriculum)
def curriculum_upload() -> ResponseReturnValue:
    """Check an uploaded curriculum file and load it; a file with any error loads nothing."""
    form = CurriculumUploadForm()
    errors: list[str] = []
    problems = 0  # errors in the file, counting those past the listed ones
    if form.validate_on_submit():
        filename = _upload_name(form.file.data.filename)
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")  # editors on Windows often add a BOM
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            errors = [f"{filename}:{line}: not UTF-8 text; save the file as UTF-8 and try again"]
            problems = 1
        else:
            refusal: list[Exception] = []
            if save(
                form,
                lambda: _load(text, filename),
                _loaded_message,
                refusals=(curriculum_service.CurriculumInvalid,),
                show=refusal.append,
            ):
                return redirect(url_for(".curriculum"))
            errors, problems = _error_lines(refusal[0])
    return render_template(
        "admin/curriculum_upload.html", form=form, errors=errors, problems=problems
    ), (422 if errors or form.errors else 200)
