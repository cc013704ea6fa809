"""Command-line tasks: `flask --app skills setup | curriculum | user | demo | check`."""

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from . import backup
from .extensions import db
from .models import ROLES, Organisation, User
from .services import curriculum as curriculum_service
from .services import people
from .services.passwords import PasswordRejected

DEFAULT_ORGANISATION = "Our peer support program"


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _load_curriculum(paths: list[Path]) -> None:
    try:
        summaries = curriculum_service.load_files(paths)
    except curriculum_service.CurriculumInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        count = curriculum_service.error_count(exc.errors)
        _fail(f"{count} error(s) in the curriculum; nothing was loaded.")
    db.session.commit()
    for summary in summaries:
        click.echo(f"Curriculum {summary}")


def _curriculum_paths() -> list[Path]:
    directory = Path(current_app.config["CURRICULUM_DIR"])
    paths = curriculum_service.curriculum_files(directory) if directory.is_dir() else []
    if not paths:
        _fail(f"No curriculum files (*.yaml) found in {directory}.")
    return paths


@click.command("setup")
@click.option("--organisation", default=None, help="Your program's name (first run only).")
@click.option("--admin-username", default=None, help="Username of the first admin.")
@click.option("--admin-name", default=None, help="Full name of the first admin.")
@click.option(
    "--admin-password", default=None, help="Password of the first admin (asked if left out)."
)
@click.option("--demo", is_flag=True, help="Also create the demo organisation with sample history.")
def setup_command(
    organisation: str | None,
    admin_username: str | None,
    admin_name: str | None,
    admin_password: str | None,
    demo: bool,
) -> None:
    """Create or upgrade the database, load the curriculum, create the first admin."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database is up to date.")
    _load_curriculum(_curriculum_paths())
    if demo:
        from .demo import DEMO_ORGANISATION

        if db.session.scalar(select(Organisation.id).where(Organisation.name == DEMO_ORGANISATION)):
            click.echo("Demo data is already there.")
        else:
            _create_demo({})
    has_admin = db.session.scalar(select(User.id).where(User.roles.contains("admin")).limit(1))
    if has_admin:
        if not demo:
            click.echo("An admin already exists; no new admin created.")
        return
    if not sys.stdin.isatty() and not (admin_username and admin_password):
        _fail(
            "No admin exists yet. Give --admin-username, --admin-name and --admin-password "
            "(or run in a terminal to be asked)."
        )
    org_name = organisation or click.prompt("Program name", default=DEFAULT_ORGANISATION)
    username = admin_username or click.prompt("Admin username", default="admin")
    name = admin_name or click.prompt("Admin full name")
    password = admin_password or click.prompt(
        "Admin password", hide_input=True, confirmation_prompt=True
    )
    _create_user(org_name, username, name, password, ["admin"])


def _create_user(org_name: str, username: str, name: str, password: str, roles: list[str]) -> None:
    try:
        org = people.get_or_create_organisation(org_name)
        user = people.create_user(org, username, name, password, roles)
    except (people.PeopleError, PasswordRejected) as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(
        f"Created {user.role_labels.lower()} “{user.display_name}” with username {user.username}."
    )


curriculum_group = AppGroup("curriculum", help="Check and load curriculum files.")


@curriculum_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def curriculum_check(files: tuple[Path, ...]) -> None:
    """Check curriculum files; print every error as file:line and exit 1 if any."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        _fail("No such file: " + ", ".join(missing))
    errors = curriculum_service.check_files(files)
    for error in errors:
        click.echo(str(error))
    if errors:
        click.echo(f"{curriculum_service.error_count(errors)} error(s).", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} file(s) OK.")


@curriculum_group.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def curriculum_load(files: tuple[Path, ...]) -> None:
    """Load curriculum files (default: every file in the curriculum folder)."""
    _load_curriculum(list(files) or _curriculum_paths())


user_group = AppGroup("user", help="Manage logins.")


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="Repeat for several.",
)
@click.option("--organisation", default=None, help="Organisation name (default: the only one).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    organisation: str | None,
    password: str,
) -> None:
    """Create a login."""
    if organisation is None:
        names = list(db.session.scalars(select(Organisation.name)))
        if len(names) != 1:
            _fail("Say which organisation with --organisation: " + (", ".join(names) or "none yet"))
        organisation = names[0]
    _create_user(organisation, username, display_name, password, list(roles))


@click.command("demo")
@click.option("--mentees", default=40, show_default=True, type=click.IntRange(1, 100000))
@click.option("--mentors", default=5, show_default=True, type=click.IntRange(1, 10000))
@click.option("--case-managers", default=2, show_default=True, type=click.IntRange(0, 10000))
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120))
@click.option("--seed", default=1, show_default=True, type=int)
def demo_command(**options: int) -> None:
    """Create a demo organisation with people and months of sign-off history."""
    _create_demo(options)


def _create_demo(options: dict) -> None:
    from .demo import create_demo

    try:
        summary = create_demo(**options)
    except people.PeopleError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(
        f"Demo organisation “{summary.organisation.name}”: {summary.mentees} mentees, "
        f"{summary.events} sign-offs."
    )
    click.echo(f"Demo logins (password for all: {summary.password}):")
    for role, username, name in summary.logins:
        click.echo(f"  {role:<13} {username:<14} {name}")


@click.command("check")
def check_command() -> None:
    """Recompute current status from the sign-off events, and the domain counters from
    the current status, and report any difference."""
    from .services.status import status_differences

    problems = status_differences()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} difference(s).", err=True)
        sys.exit(1)
    click.echo("Current status agrees with the sign-off events, and the domain counters with it.")


def init_app(app: Flask) -> None:
    from .reports.cli import report_group

    for command in (
        setup_command,
        curriculum_group,
        user_group,
        demo_command,
        check_command,
        report_group,
    ):
        app.cli.add_command(command)
    backup.init_app(app)  # backup and restore
