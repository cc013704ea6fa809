"""What the command-line modules share: failing with a message, finding an organization."""

from collections.abc import Callable
from typing import Any, NoReturn

import click
from sqlalchemy import select

from .extensions import db
from .models import Organisation


def fail(message: str) -> NoReturn:
    """Stop the command with MESSAGE on standard error and exit status 1."""
    raise click.ClickException(message)


def organisation_named(name: str) -> Organisation:
    """The organization called NAME, or stop with the names there are."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        names = db.session.scalars(select(Organisation.name).order_by(Organisation.name)).all()
        fail(f"No organization is named “{name}”. Organizations: " + (", ".join(names) or "none"))
    return org


def organisation_option(**settings: Any) -> Callable[[Any], Any]:
    """The commands' --organization option (--organisation, the earlier spelling, too)."""
    return click.option("--organization", "--organisation", "organisation", **settings)
