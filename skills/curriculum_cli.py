"""`flask --app skills curriculum check | load | use`: curriculum files from the command line."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .cli_support import fail, organisation_named, organisation_option
from .extensions import db
from .services import curriculum as curriculum_service
from .services.curriculum import owners


def load_curriculum(paths: list[Path], organisation_id: int | None = None) -> None:
    """Load PATHS (all or nothing), print what was loaded and any warnings; commit."""
    try:
        summaries = curriculum_service.load_files(paths, organisation_id=organisation_id)
    except curriculum_service.CurriculumInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        count = curriculum_service.error_count(exc.errors)
        fail(f"{count} error(s) in the curriculum; nothing was loaded.")
    db.session.commit()
    for summary in summaries:
        click.echo(f"Curriculum {summary}")
        for warning in summary.warnings:  # loaded all the same: missing translations
            click.echo(str(warning), err=True)


def curriculum_paths() -> list[Path]:
    """Every curriculum file of the configured curriculum folder."""
    directory = Path(current_app.config["CURRICULUM_DIR"])
    paths = curriculum_service.curriculum_files(directory) if directory.is_dir() else []
    if not paths:
        fail(f"No curriculum files (*.yaml) found in {directory}.")
    return paths


curriculum_group = AppGroup("curriculum", help="Check and load curriculum files.")


@curriculum_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def curriculum_check(files: tuple[Path, ...]) -> None:
    """Check curriculum files; print every error and warning (a missing translation) as
    file:line and exit 1 if any error."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail("No such file: " + ", ".join(missing))
    errors, warnings = curriculum_service.check_report(files)
    for problem in [*errors, *warnings]:
        click.echo(str(problem))
    if errors:
        click.echo(f"{curriculum_service.error_count(errors)} error(s).", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} file(s) OK.")
    if warnings:
        click.echo(f"{curriculum_service.error_count(warnings)} warning(s).", err=True)


@curriculum_group.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@organisation_option(
    default=None,
    help="Load as this organization's own curriculum instead of into the shared library.",
)
def curriculum_load(files: tuple[Path, ...], organisation: str | None) -> None:
    """Load curriculum files into the shared library (default: every file in the
    curriculum folder). Every organization using a curriculum gets an audit event."""
    owner = organisation_named(organisation).id if organisation else None
    load_curriculum(list(files) or curriculum_paths(), owner)


@curriculum_group.command("use")
@click.argument("keys", nargs=-1)
@organisation_option(
    required=True,
    help="The organization's name.",
)
def curriculum_use(keys: tuple[str, ...], organisation: str) -> None:
    """Set which shared-library curricula (by id) an organization uses; none listed: none."""
    org = organisation_named(organisation)
    by_key = {c.key: c.id for c in owners.library()}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        fail(
            "Not in the shared library: "
            + ", ".join(unknown)
            + ". Library curricula: "
            + (", ".join(sorted(by_key)) or "none")
        )
    changes = owners.choose(org, [by_key[k] for k in keys], None)
    db.session.commit()
    message = "; ".join(changes)
    click.echo(message[:1].upper() + message[1:] + "." if changes else "Nothing had changed.")
