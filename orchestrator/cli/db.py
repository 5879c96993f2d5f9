"""`makima db upgrade`: apply the Alembic migrations to a database."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli.context import new_group
from orchestrator.cli.errors import UnreachableError

app = new_group("Database maintenance.")


@app.command("upgrade")
def upgrade(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL (default: $MAKIMA_DATABASE_URL, then the settings' default).",
        ),
    ] = None,
) -> None:
    """Apply every migration up to the newest."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from orchestrator.config import get_settings
    from orchestrator.migrations import upgrade as apply_migrations

    url = database_url or get_settings().database_url
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        apply_migrations(url)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise UnreachableError(f"cannot reach the database {shown}: {reason}") from exc
    typer.echo(f"database {shown} is up to date")
