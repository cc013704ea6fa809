"""Command-line tasks: `flask --app skills setup | curriculum | user | people | demo | check`."""

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from . import backup
from .cli_support import fail, organisation_named, organisation_option
from .curriculum_cli import curriculum_group, curriculum_paths, load_curriculum
from .extensions import db
from .models import ROLES, Organisation, User
from .services import people
from .services.passwords import PasswordRejected

DEFAULT_ORGANISATION = "Our peer support program"


@click.command("setup")
@organisation_option(
    default=None,
    help="Your program's name (first run only).",
)
@click.option("--admin-username", default=None, help="Username of the first admin.")
@click.option("--admin-name", default=None, help="Full name of the first admin.")
@click.option(
    "--admin-password", default=None, help="Password of the first admin (asked if left out)."
)
@click.option("--demo", is_flag=True, help="Also create the demo organization with sample history.")
def setup_command(
    organisation: str | None,
    admin_username: str | None,
    admin_name: str | None,
    admin_password: str | None,
    demo: bool,
) -> None:
    """Create or upgrade the database, load the curriculum, create the first admin."""
    if demo:
        _refuse_demo_in_production()
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database is up to date.")
    load_curriculum(curriculum_paths())
    if demo:
        from .demo import DEMO_ORGANISATION

        existing = db.session.scalar(
            select(Organisation).where(Organisation.name == DEMO_ORGANISATION)
        )
        if existing is not None:
            click.echo("Demo data is already there.")
            _echo_demo_logins(existing)
        else:
            _create_demo({})
    has_admin = db.session.scalar(select(User.id).where(User.roles.contains("admin")).limit(1))
    if has_admin:
        if not demo:
            click.echo("An admin already exists; no new admin created.")
        return
    if not sys.stdin.isatty() and not (admin_username and admin_password):
        fail(
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


def _create_user(
    org_name: str,
    username: str,
    name: str,
    password: str,
    roles: list[str],
    must_change_password: bool = False,
) -> None:
    try:
        org = people.get_or_create_organisation(org_name)
        user = people.create_user(
            org, username, name, password, roles, must_change_password=must_change_password
        )
    except (people.PeopleError, PasswordRejected) as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    click.echo(
        f"Created {user.role_labels.lower()} “{user.display_name}” with username {user.username}."
    )


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
@organisation_option(
    default=None,
    help="Organization name (default: the only one).",
)
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
            fail("Say which organization with --organisation: " + (", ".join(names) or "none yet"))
        organisation = names[0]
    # The operator chose this password for someone else: they choose their own at sign-in.
    _create_user(
        organisation, username, display_name, password, list(roles), must_change_password=True
    )


people_group = AppGroup("people", help="Import staff and mentees.")


@people_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@organisation_option(
    required=True,
    help="The organization to import into.",
)
@click.option("--dry-run", is_flag=True, help="Check and say what would be created; save nothing.")
@click.option(
    "--confirm-duplicates",
    is_flag=True,
    help="Import mentees flagged as possible duplicates (same name and start date).",
)
def people_import(
    files: tuple[Path, ...], organisation: str, dry_run: bool, confirm_duplicates: bool
) -> None:
    """Import a roster from CSV files (format: README, docs/roster-template.csv)."""
    from .services import roster

    org = organisation_named(organisation)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail("No such file: " + ", ".join(missing))
    # Read one byte past the limit: enough to refuse a huge file without loading it.
    contents = []
    for path in files:
        with path.open("rb") as file:
            contents.append((str(path), file.read(roster.MAX_BYTES + 1)))
    try:
        plan = roster.import_roster(
            org, contents, confirm_duplicates=confirm_duplicates, dry_run=dry_run
        )
    except roster.RosterInvalid as exc:
        db.session.rollback()
        for line in exc.plan.listed_problems():
            click.echo(line, err=True)
        if exc.plan.duplicates and not confirm_duplicates:
            click.echo("If the flagged mentees are different people, add --confirm-duplicates.")
        fail(f"{exc.plan.problem_count:,} problem(s); nothing was imported.")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for note in plan.notes:
        click.echo(note)
    click.echo(plan.summary(done=not dry_run))
    if not dry_run and (plan.new_staff or plan.new_logins):
        click.echo("New logins have no password yet: an admin sets one on each person's page.")


@click.command("demo")
@click.option("--mentees", default=40, show_default=True, type=click.IntRange(1, 100000))
@click.option("--mentors", default=5, show_default=True, type=click.IntRange(1, 10000))
@click.option("--case-managers", default=2, show_default=True, type=click.IntRange(0, 10000))
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120))
@click.option("--seed", default=1, show_default=True, type=int)
def demo_command(**options: int) -> None:
    """Create a demo organization with people and months of sign-off history."""
    _refuse_demo_in_production()
    _create_demo(options)


def _refuse_demo_in_production() -> None:
    # Demo logins share a password printed in the README: never on real people's data.
    if current_app.config["PRODUCTION"]:
        fail(
            "Demo data cannot be created in production (SKILLS_ENV=production): every demo "
            "login shares a published password. Run `flask --app skills setup` without "
            "--demo, or try the demo on a development copy."
        )


def _create_demo(options: dict) -> None:
    from .demo import create_demo

    try:
        summary = create_demo(**options)
    except people.PeopleError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    click.echo(
        f"Demo organization “{summary.organisation.name}”: {summary.mentees} mentees, "
        f"{summary.events} sign-offs."
    )
    _echo_demo_logins(summary.organisation)


def _echo_demo_logins(organisation: Organisation, mentees_shown: int = 3) -> None:
    """The demo's logins, read from the database: the same lines on every `setup --demo`
    run, so a newcomer never has to look them up. Mentees past the first few are
    summed up in one line."""
    from .demo import DEMO_PASSWORD

    order = {role: i for i, role in enumerate(ROLES)}
    users = sorted(
        (
            u
            for u in db.session.scalars(select(User).where(User.organisation_id == organisation.id))
            if u.active
        ),
        key=lambda u: (min(order[r] for r in u.role_set), u.username),
    )
    mentees = [u for u in users if u.role_set == {"mentee"}]
    staff = [u for u in users if u.role_set != {"mentee"}]  # not `u not in mentees`: O(n²)
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for user in staff + mentees[:mentees_shown]:
        click.echo(f"  {user.role_labels.lower():<13} {user.username:<14} {user.display_name}")
    rest = mentees[mentees_shown:]
    if rest:
        click.echo(f"  {'mentee':<13} {rest[0].username} … {rest[-1].username} ({len(rest)} more)")


@click.command("check")
def check_command() -> None:
    """Recompute current status from the sign-off events, and the domain counters from
    the current status; check the append-only triggers and the hash chains. Report any
    difference."""
    from .models.append_only import trigger_problems
    from .models.chain import chain_heads, chain_problems
    from .services.status import status_differences

    with db.engine.connect() as conn:
        problems = trigger_problems(conn) + chain_problems(conn)
        heads = chain_heads(conn)
    problems += status_differences()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} difference(s).", err=True)
        sys.exit(1)
    click.echo("Current status agrees with the sign-off events, and the domain counters with it.")
    click.echo("The append-only triggers are in place and the hash chains are whole.")
    # Kept elsewhere, a head shows later whether rows were cut from the chain's end.
    for name, head in heads.items():
        click.echo(f"Chain head of {name}: " + (f"row {head[0]}, {head[1]}" if head else "empty"))


def init_app(app: Flask) -> None:
    from .audit_cli import audit_group
    from .organisation_cli import organisation_group
    from .reports.cli import report_group
    from .session_notes_cli import notes_group

    app.cli.add_command(organisation_group, "organization")
    app.cli.add_command(organisation_group)  # the spelling of earlier releases
    app.cli.add_command(audit_group)
    for command in (
        setup_command,
        curriculum_group,
        user_group,
        people_group,
        demo_command,
        check_command,
        report_group,
        notes_group,
    ):
        app.cli.add_command(command)
    backup.init_app(app)  # backup and restore
