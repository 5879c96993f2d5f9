"""`makima auth …`: save a login, check who a key belongs to, and manage API keys."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from orchestrator.cli import output
from orchestrator.cli.client import ApiClient
from orchestrator.cli.config import (
    DEFAULT_URL,
    CliConfigFile,
    Connection,
    config_path,
    write_config,
)
from orchestrator.cli.context import JsonOpt, client, new_group, state
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_id
from schemas.tokens import TokenCreate

app = new_group("Log in, check the current key, manage API keys.")
token_app = new_group("Create, list and revoke API keys.")
app.add_typer(token_app, name="token")


@app.command("login")
def login(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option("--url", help="API base URL.")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="API key.")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Check the key against the API, then save URL and key (mode 0600)."""
    root = state(ctx)
    url = (url or root.url or DEFAULT_URL).rstrip("/")
    api_key = api_key or root.api_key
    if not api_key:
        raise typer.BadParameter("missing option", param_hint="--api-key")
    saved = validate(CliConfigFile, {"url": url, "api_key": api_key}, {"url": "--url"})
    checker = ApiClient(Connection(url=saved.url, api_key=saved.api_key))
    try:
        identity = checker.me()  # nothing is saved unless the key works
    finally:
        checker.close()
    path = write_config(saved)
    if json_output:
        output.print_json(identity)
    else:
        typer.echo(
            f"logged in to {url} as {identity.owner_name} ({identity.scope.value}); saved in {path}"
        )


@app.command("logout")
def logout() -> None:
    """Forget the saved login."""
    path = config_path()
    if path.exists():
        path.unlink()
        typer.echo(f"removed {path}")
    else:
        typer.echo("not logged in")


@app.command("whoami")
def whoami(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """Who the current key belongs to."""
    api = client(ctx)
    identity = api.me()
    if json_output:
        output.print_json(identity)
        return
    pairs = [
        ("url", api.url),
        ("owner", f"{identity.owner_name} ({identity.owner_id})"),
        ("scope", identity.scope.value),
    ]
    if identity.directive_id is not None:
        pairs.append(("directive", str(identity.directive_id)))
    output.print_fields(pairs)


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    expires_in: Annotated[
        int | None, typer.Option("--expires-in", help="Seconds until it expires (default never).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Create an API key; its secret is shown only now."""
    body = validate(
        TokenCreate,
        {"name": name, **({"expires_in_seconds": expires_in} if expires_in is not None else {})},
        {"name": "--name", "expires_in_seconds": "--expires-in"},
    )
    created = client(ctx).create_token(body)
    if json_output:
        output.print_json(created)
        return
    typer.echo(f"token {created.id} ({created.name}) created; the secret is shown only once:")
    typer.echo(created.token)


@token_app.command("list")
def list_tokens(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """API keys of this owner (never their secrets)."""
    tokens = client(ctx).list_tokens()
    if json_output:
        output.print_json(tokens)
        return
    output.print_table(
        ["ID", "PREFIX", "SCOPE", "CREATED", "EXPIRES", "REVOKED", "LAST USED", "NAME"],
        [
            [
                output.short_id(t.id),
                t.prefix,
                t.scope.value,
                output.when(t.created_at),
                output.when(t.expires_at),
                output.when(t.revoked_at),
                output.when(t.last_used_at),
                t.name,
            ]
            for t in tokens
        ],
        empty="no tokens",
    )


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="Token id or prefix.")],
) -> None:
    """Revoke an API key at once."""
    api = client(ctx)
    token_id: UUID = resolve_id(token, lambda: (t.id for t in api.list_tokens()), kind="token")
    api.revoke_token(token_id)
    typer.echo(f"token {token_id} revoked")
