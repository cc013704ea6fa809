"""`flask --app skills backup FILE`, `backup --verify FILE` and `restore FILE [--yes]`."""

from pathlib import Path

import click
from flask import Flask

from .checks import BackupError
from .manifest import manifest_path
from .operations import app_url, backup, describe, manifest_summary, restore, verify

_NO_MANIFEST = (
    "Accept a backup without a manifest (made before manifests existed): its integrity and "
    "status checks still run, but changed rows cannot be noticed."
)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--verify",
    "check_only",
    is_flag=True,
    help="Check FILE as a restore would (against its manifest, loaded into a scratch "
    "database), without restoring it.",
)
@click.option("--no-manifest", is_flag=True, help=f"With --verify: {_NO_MANIFEST}")
def backup_command(file: Path, check_only: bool, no_manifest: bool) -> None:
    """Copy the database to FILE (and FILE.manifest.json) while the app keeps running."""
    if check_only:
        _verify(file, no_manifest)
        return
    if no_manifest:
        raise click.UsageError("--no-manifest goes with --verify (or with restore).")
    try:
        outcome = backup(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up the {describe(app_url())} to {file} ({file.stat().st_size:,} bytes).")
    for line in outcome.summary.lines():
        click.echo(line)
    if outcome.manifest is not None:
        click.echo(f"Manifest: {manifest_path(file)} ({manifest_summary(outcome.manifest)})")
    click.echo("Keep the two files together; a restore checks one against the other.")


def _verify(file: Path, no_manifest: bool) -> None:
    if not file.is_file():
        raise click.ClickException(f"There is no backup file at {file}.")
    try:
        outcome = verify(file, require_manifest=not no_manifest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for note in outcome.notes:
        click.echo(note)
    if outcome.summary is not None:
        for line in outcome.summary.lines():
            click.echo(line)
    if outcome.manifest is None:
        click.echo(f"{file} has no manifest; it passes the integrity and status checks.")
    elif outcome.summary is None:
        click.echo(f"{file} matches its manifest ({manifest_summary(outcome.manifest)}).")
    else:
        click.echo(
            f"{file} is sound: it matches its manifest ({manifest_summary(outcome.manifest)}) "
            "and passes the integrity and status checks."
        )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already holds data.")
@click.option("--no-manifest", is_flag=True, help=_NO_MANIFEST)
def restore_command(file: Path, yes: bool, no_manifest: bool) -> None:
    """Replace the database with the backup in FILE once a copy of it passes every check.
    Stop the app first."""
    try:
        outcome = restore(file, replace=yes, require_manifest=not no_manifest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {file} into the {describe(app_url())}.")
    if outcome.manifest is not None:
        click.echo(
            "Checked before it replaced anything: it matches its manifest "
            f"({manifest_summary(outcome.manifest)})."
        )
    for note in outcome.notes:
        click.echo(note, err=note.startswith("Warning"))
    summary = outcome.summary
    for line in summary.lines():
        click.echo(line)
    if summary.problems:
        for problem in summary.problems:
            click.echo(f"Problem: {problem}", err=True)
        raise click.ClickException(f"{len(summary.problems)} problem(s) after restoring.")
    click.echo("Integrity: ok")


def init_app(app: Flask) -> None:
    for command in (backup_command, restore_command):
        app.cli.add_command(command)
