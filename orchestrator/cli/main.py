"""The `makima` command: the root group, its connection options, and the one place where
every failure becomes an exit code and one line on stderr (see docs/cli.md).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from orchestrator.cli import approval, auth, daemon, db, demo, directive, order, step, up
from orchestrator.cli.context import CliState
from orchestrator.cli.errors import EXIT_FAILURE, EXIT_INPUT, EXIT_INTERRUPTED, CliError

DEBUG_ENV = "MAKIMA_DEBUG"


def _usage_error(exc: typer.TyperException) -> CliError:
    """Typer's usage errors as `error: <option>: <reason>` instead of a usage block."""
    if isinstance(exc, typer.BadParameter) and exc.param is not None:
        param = exc.param
        names = [*param.opts, *param.secondary_opts]
        if param.param_type_name == "option" and names:
            field = max(names, key=len)
        else:
            field = param.metavar or (param.name or "argument").upper()
        reason = exc.message.removeprefix("Value error, ")
        if not reason:  # a missing parameter
            reason = f"missing {param.param_type_name}"
            if isinstance(param.envvar, str):
                reason += f" (or set ${param.envvar})"
        return CliError(reason, field=field, exit_code=EXIT_INPUT)
    return CliError(exc.format_message().rstrip("."), exit_code=EXIT_INPUT)


def report(exc: CliError) -> None:
    typer.echo(exc.summary(), err=True)
    for line in exc.details:
        typer.echo(line, err=True)


class MakimaGroup(TyperGroup):
    """Runs the command tree in non-standalone mode so errors are ours to print."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except CliError as exc:
            report(exc)
            code = exc.exit_code
        except typer.TyperException as exc:
            error = _usage_error(exc)
            report(error)
            code = error.exit_code
        except typer.Abort:
            report(CliError("aborted"))
            code = EXIT_INTERRUPTED
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            report(CliError(f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1)"))
            code = EXIT_FAILURE
        if not standalone_mode:
            return code
        sys.exit(code)


app = typer.Typer(
    cls=MakimaGroup,
    name="makima",
    help="Hand a goal for a git repository to a fleet of coding agents.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    invoke_without_command=True,
)
app.add_typer(directive.app, name="directive")
app.add_typer(step.app, name="step")
app.add_typer(approval.app, name="approval")
app.add_typer(order.app, name="order")
app.add_typer(daemon.app, name="daemon")
app.add_typer(auth.app, name="auth")
app.add_typer(db.app, name="db")
app.command("up")(up.up)
app.command("demo")(demo.demo)


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar="MAKIMA_URL", help="API base URL.", show_envvar=True),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="MAKIMA_API_KEY", help="API key.", show_envvar=True),
    ] = None,
) -> None:
    """Hand a goal for a git repository to a fleet of coding agents."""
    cli_state = CliState(url=url, api_key=api_key)
    ctx.obj = cli_state
    ctx.call_on_close(cli_state.close)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def main() -> None:
    app()
