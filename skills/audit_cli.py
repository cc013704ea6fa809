"""`flask --app skills audit failures`: what the platform operator alone reviews.

Sign-ins with a username that does not exist, and staff of one organisation trying a
record of another, belong to no organisation's audit log (an admin sees only their own
organisation's events), so they are read here.
"""

from datetime import timedelta

import click
from flask.cli import AppGroup

from .models import AuditEvent
from .services import audit
from .timeutil import utcnow

audit_group = AppGroup("audit", help="Read audit events that belong to no organization.")


def _shown(value: object) -> str:
    # Usernames and user agents are typed by strangers: no terminal control characters.
    return "".join(ch if ch.isprintable() else "?" for ch in str(value or "-"))


def _line(event: AuditEvent) -> str:
    who = event.actor.username if event.actor else "-"
    parts = [
        event.at.strftime("%Y-%m-%d %H:%M:%SZ"),
        event.action,
        event.outcome,
        f"{event.object_type or '-'}={_shown(event.object_id)}",
        f"by={_shown(who)}",
        f"client={_shown(event.client_address)}",
        f"agent={_shown(event.user_agent)!r}",
    ]
    if event.detail:
        parts.append(_shown(event.detail))
    return "  ".join(parts)


@audit_group.command("failures")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 3660), help="How far back."
)
@click.option(
    "--action", default=None, help="Only this action or family, e.g. auth.login or access."
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
def failures(days: int, action: str | None, limit: int) -> None:
    """Refused sign-ins and requests that belong to no organization, newest first."""
    events = audit.operator_failures(utcnow() - timedelta(days=days), action, limit)
    for event in events:
        click.echo(_line(event))
    more = " (the limit; use --limit for more)" if len(events) == limit else ""
    click.echo(f"{len(events)} event(s) in the last {days} day(s){more}.", err=True)
