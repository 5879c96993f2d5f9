"""`makima demo`: a sample goal taken to a pull request on this machine (orchestrator.demo)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.errors import InputError
from orchestrator.demo.plan import RUNTIMES, SCRIPTED
from orchestrator.demo.runner import DEFAULT_TIMEOUTS, DemoOptions, run_demo
from orchestrator.demo.terminal import is_live_terminal
from orchestrator.stack_layout import DEFAULT_API_PORT, default_state_dir


def demo(
    runtime: Annotated[
        str,
        typer.Option(
            "--runtime",
            help="scripted (a deterministic stand-in agent, no model) or claude (the real "
            "Claude Code CLI; needs ANTHROPIC_API_KEY).",
        ),
    ] = SCRIPTED,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="The stack's state, as for `makima up` (default "
                     "$MAKIMA_HOME, else ~/.makima)."),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option("--work-dir", help="Where each run's sample repository and merged "
                     "clone go (default <state-dir>/demo)."),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="API port of the stack.")
    ] = DEFAULT_API_PORT,
    live: Annotated[
        bool | None,
        typer.Option("--live/--no-live", help="Redraw the progress in place (default: when "
                     "stdout is a terminal) or print plain lines."),
    ] = None,
    keep_running: Annotated[
        bool,
        typer.Option("--keep-running", help="After the report (success or not), keep the "
                     "stack serving (as `makima up`) until Ctrl-C."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=10, help="Seconds to wait for the pull request "
                     "(default 600 scripted, 3600 claude)."),
    ] = None,
) -> None:
    """Run a sample directive end to end: plan, parallel steps, a rework, merge, PR."""
    if runtime not in RUNTIMES:
        raise InputError(f"must be one of: {', '.join(RUNTIMES)}", field="--runtime")
    state = (state_dir or default_state_dir()).expanduser().resolve()
    options = DemoOptions(
        state_dir=state,
        work_dir=(work_dir or state / "demo").expanduser().resolve(),
        port=port,
        runtime=runtime,
        live=is_live_terminal(sys.stdout) if live is None else live,
        keep_running=keep_running,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUTS[runtime],
    )
    raise typer.Exit(run_demo(options))
