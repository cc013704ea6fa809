"""Admin pages for curricula: what is loaded, loading an uploaded file, downloading the
current file of a curriculum in use and a commented template."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ... import permissions
from ...config import PROJECT_ROOT
from ...services import curriculum as curriculum_service
from ...services import curriculum_queries
from ...services.curriculum import owners
from ...services.curriculum.export import curriculum_yaml
from ...services.curriculum_view import reading_language
from . import PER_PAGE, allowed_if, bp, org_id, save
from .forms import CurriculaInUseForm, CurriculumUploadForm

# A .txt beside the curriculum files, so `flask setup` never loads it as a curriculum;
# `flask curriculum check` passes it (tests/test_admin_flows.py).
TEMPLATE = PROJECT_ROOT / "curriculum" / "template.yaml.txt"


def _in_use_form() -> CurriculaInUseForm:
    form = CurriculaInUseForm()
    language = reading_language()
    form.curricula.choices = [(c.id, c.text_in("title", language)) for c in owners.library()]
    if not form.is_submitted():
        form.curricula.data = sorted(owners.adopted_ids(org_id()))
    return form


@bp.route("/curriculum", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_curriculum)
def curriculum() -> ResponseReturnValue:
    """The curricula the organisation uses (its own and those chosen from the shared
    library), their domains and skills, the load history; choosing library curricula."""
    form = _in_use_form()
    if form.validate_on_submit() and save(
        form,
        lambda: owners.choose(current_user.organisation, form.curricula.data or [], current_user),
        lambda changes: (
            _("Curricula saved: %(changes)s.", changes="; ".join(changes))
            if changes
            else _("Nothing had changed.")
        ),
        refusals=(owners.OwnershipError,),
    ):
        return redirect(url_for(".curriculum"))
    return render_template(
        "admin/curriculum.html",
        form=form,
        curricula=curriculum_queries.curricula_in_full(org_id()),
        loads=curriculum_queries.recent_loads(org_id(), PER_PAGE),
        load_summary=curriculum_service.summary_text,
    ), (422 if form.errors else 200)


def _upload_name(filename: str | None) -> str:
    # Only the last part of whatever path the browser sent, for error messages.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "upload.yaml"


def _load(text: str, filename: str) -> curriculum_service.LoadSummary:
    """Check and load the text of a curriculum file; loading writes its own audit event."""
    spec = curriculum_service.parse_curriculum(text, filename)
    # An admin's file is always their organisation's own: never the shared library.
    return curriculum_service.apply_curriculum(
        spec, loaded_by_id=current_user.id, organisation_id=org_id()
    )


def _loaded_message(summary: curriculum_service.LoadSummary) -> str:
    message = _(
        "Curriculum %(key)s %(version)s: %(added)d skills added, %(updated)d updated, "
        "%(retired)d retired, %(restored)d brought back.",
        key=summary.key,
        version=summary.version,
        added=len(summary.added),
        updated=len(summary.updated),
        retired=len(summary.retired),
        restored=len(summary.restored),
    )
    if not summary.changed:
        message += " " + _("Nothing had changed.")
    return message


# Warnings shown after an upload, at most: flashed messages travel in the session cookie.
WARNINGS_SHOWN = 5


def _flash_warnings(warnings: list[curriculum_service.CurriculumWarning]) -> None:
    """The file loaded, but some texts have no translation: how many, and the first."""
    if not warnings:
        return
    count = curriculum_service.error_count(warnings)
    shown = format(count, ",")
    flash(
        ngettext(
            "%(count)s warning: a text with no translation shows in English until it has one.",
            "%(count)s warnings: texts with no translation show in English until they have one.",
            count,
            count=shown,
        ),
        "warning",
    )
    for warning in warnings[:WARNINGS_SHOWN]:
        flash(str(warning), "warning")
    if count > WARNINGS_SHOWN:
        flash(_("Translate these and upload the file again to see the rest."), "warning")


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
            errors = [
                f"{filename}:{line}: " + _("not UTF-8 text; save the file as UTF-8 and try again")
            ]
            problems = 1
        else:
            refusal: list[Exception] = []
            saved = save(
                form,
                lambda: _load(text, filename),
                _loaded_message,
                refusals=(curriculum_service.CurriculumInvalid,),
                show=refusal.append,
            )
            if saved is not None:
                _flash_warnings(saved.value.warnings)
                return redirect(url_for(".curriculum"))
            errors, problems = _error_lines(refusal[0])
    return render_template(
        "admin/curriculum_upload.html", form=form, errors=errors, problems=problems
    ), (422 if errors or form.errors else 200)


def _yaml_download(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/curriculum/<int:curriculum_id>/download.yaml")
@allowed_if(permissions.can_manage_curriculum)
def curriculum_download(curriculum_id: int) -> ResponseReturnValue:
    """The curriculum as it is loaded now, as a file to edit and upload; 404 for one the
    organisation does not use."""
    curriculum = curriculum_queries.curriculum_in_use(org_id(), curriculum_id) or abort(404)
    return _yaml_download(curriculum_yaml(curriculum), f"{curriculum.key}.yaml")


@bp.route("/curriculum/template.yaml")
@allowed_if(permissions.can_manage_curriculum)
def curriculum_template() -> ResponseReturnValue:
    """A small curriculum file with a comment on every field, to start one's own."""
    return _yaml_download(TEMPLATE.read_text(encoding="utf-8"), "curriculum-template.yaml")
