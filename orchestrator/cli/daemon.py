"""`makima daemon`: run a daemon worker on this machine, or list the fleet.

`makima daemon --pool gpu --concurrency 4` (no subcommand) runs a worker consuming
`daemons.<pool>` until stopped; `makima daemon list` shows every daemon the API knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli import output
from orchestrator.cli.context import JsonOpt, client
from orchestrator.cli.errors import InputError
from schemas.wire import DEFAULT_POOL, daemon_queue

app = typer.Typer(
    help="Run a daemon worker here (no subcommand), or list daemons.",
    rich_markup_mode=None,
    add_completion=False,
    invoke_without_command=True,
)


@app.callback()
def run(
    ctx: typer.Context,
    pool: Annotated[
        str, typer.Option("--pool", envvar="MAKIMA_DAEMON_POOL", help="Pool to serve.")
    ] = DEFAULT_POOL,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            envvar="MAKIMA_DAEMON_CONCURRENCY",
            min=1,
            max=64,
            help="Agent sessions run at once (the daemon's capacity).",
        ),
    ] = 2,
    name: Annotated[
        str | None, typer.Option("--name", help="Daemon name (default host-pid).")
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Where clones and worktrees live.")
    ] = None,
) -> None:
    """Without a subcommand: run a daemon worker in the foreground until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        daemon_queue(pool)
    except ValueError as exc:
        raise InputError(str(exc), field="--pool") from exc
    # Imported here: only a daemon machine needs the worker side (git, runtimes, Celery).
    from workers.daemon import run_daemon

    run_daemon(pool=pool, concurrency=concurrency, name=name, work_dir=work_dir)


@app.command("list")
def list_daemons(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """Daemons known to the API."""
    daemons = client(ctx).list_daemons()
    if json_output:
        output.print_json(daemons)
        return
    output.print_table(
        ["NAME", "STATUS", "POOL", "RUNNING", "HEARTBEAT", "HOST", "RUNTIMES"],
        [
            [
                d.name,
                d.status.value,
                d.pool,
                f"{d.running_tasks}/{d.capacity}",
                output.when(d.last_heartbeat_at),
                d.host,
                ", ".join(d.runtimes) or "-",
            ]
            for d in daemons
        ],
        empty="no daemons",
    )
