"""`flask --app skills organisation ...`: an organisation's settings from the command line."""

import click
from flask.cli import AppGroup

from .cli_support import organisation_named
from .extensions import db
from .models import ROLES
from .services import organisations

organisation_group = AppGroup("organisation", help="Change an organization's settings.")


def _roles(text: str) -> frozenset[str]:
    if text.strip().lower() == "none":
        return frozenset()
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(names - set(ROLES))
    if unknown or not names:
        raise click.BadParameter(
            f"give roles from {', '.join(ROLES)} separated by commas, or none "
            f"(not {', '.join(unknown) or 'nothing'})",
            param_hint="--roles",
        )
    return names


@organisation_group.command("two-step")
@click.argument("name")
@click.option(
    "--roles",
    required=True,
    help=f"Roles that must use two-step sign-in, comma-separated ({','.join(ROLES)}), or none.",
)
def two_step_command(name: str, roles: str) -> None:
    """Require two-step sign-in of everyone holding one of --roles in organization NAME."""
    wanted = _roles(roles)
    org = organisation_named(name)
    try:
        changes = organisations.require_two_step(org, wanted, None, via="command line")
    except organisations.SettingsRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    required = ", ".join(r for r in ROLES if r in wanted) or "no one"
    if changes:
        click.echo(f"{org.name}: two-step sign-in is now required of {required}.")
    else:
        click.echo(f"{org.name}: no change; two-step sign-in is required of {required}.")
