"""`makima up`: the whole stack on this machine (see orchestrator.stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def up(
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Where data, logs and keys live (default ~/.makima)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="API port.")] = 8765,
    flower: Annotated[bool, typer.Option("--flower/--no-flower", help="Start Flower.")] = False,
    flower_port: Annotated[
        int, typer.Option("--flower-port", min=1, max=65535, help="Flower port.")
    ] = 5555,
    daemon_concurrency: Annotated[
        int,
        typer.Option("--daemon-concurrency", min=1, help="Sessions the local daemon runs at once."),
    ] = 2,
    tick_seconds: Annotated[
        float, typer.Option("--tick-seconds", min=0.1, help="Beat tick period.")
    ] = 5.0,
) -> None:
    """Start PostgreSQL, Redis, the API, workers, beat and a daemon; Ctrl-C stops them all."""
    from orchestrator.stack import run_stack

    code = run_stack(
        state_dir,
        api_port=port,
        flower=flower,
        flower_port=flower_port,
        daemon_concurrency=daemon_concurrency,
        tick_seconds=tick_seconds,
    )
    raise typer.Exit(code)
