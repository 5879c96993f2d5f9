"""What every command shares: the connection options of the root command, the API client
built from them on first use, and the option types repeated across commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer

from orchestrator.cli.client import ApiClient
from orchestrator.cli.config import resolve_connection

DIRECTIVE_ENV = "MAKIMA_DIRECTIVE_ID"


@dataclass
class CliState:
    url: str | None = None
    api_key: str | None = None
    _client: ApiClient | None = field(default=None, repr=False)

    def client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(resolve_connection(self.url, self.api_key))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def new_group(help_text: str) -> typer.Typer:
    """A command group that prints its help when called without a subcommand."""
    group = typer.Typer(
        help=help_text,
        rich_markup_mode=None,
        add_completion=False,
        invoke_without_command=True,
    )

    @group.callback()
    def show_help(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())

    return group


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def client(ctx: typer.Context) -> ApiClient:
    return state(ctx).client()


JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]
DirectiveArg = Annotated[
    str,
    typer.Argument(
        envvar=DIRECTIVE_ENV,
        show_envvar=True,
        metavar="DIRECTIVE",
        help="Directive id or unique id prefix; defaults to $MAKIMA_DIRECTIVE_ID.",
    ),
]
