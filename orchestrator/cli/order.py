"""`makima order …`: the backlog directives pick work from."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from orchestrator.cli import output
from orchestrator.cli.client import ApiClient
from orchestrator.cli.context import JsonOpt, client, new_group
from orchestrator.cli.errors import InputError
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_directive, resolve_id
from schemas.enums import OrderPriority, OrderStatus, OrderType
from schemas.orders import OrderCreate, OrderLink, OrderPublic, OrderUpdate

app = new_group("Manage the backlog of orders and link them to directives.")

OPTIONS = {
    "title": "--title",
    "description": "--description",
    "priority": "--priority",
    "type": "--type",
    "status": "--status",
    "order_ids": "ORDER",
}
OrderArg = Annotated[str, typer.Argument(metavar="ORDER", help="Order id or prefix.")]
Description = Annotated[str | None, typer.Option("--description")]
Priority = Annotated[OrderPriority | None, typer.Option("--priority")]
Kind = Annotated[OrderType | None, typer.Option("--type")]


def _resolve(api: ApiClient, ref: str) -> UUID:
    return resolve_id(ref, lambda: (o.id for o in api.list_orders()), kind="order")


def _print_orders(orders: list[OrderPublic], as_json: bool) -> None:
    if as_json:
        output.print_json(orders)
        return
    output.print_table(
        ["ID", "STATUS", "PRIORITY", "TYPE", "DIRECTIVE", "TITLE"],
        [
            [
                output.short_id(o.id),
                o.status.value,
                o.priority.value,
                o.type.value,
                output.short_id(o.directive_id),
                output.one_line(o.title),
            ]
            for o in orders
        ],
        empty="no orders",
    )


def _print_one(order: OrderPublic, as_json: bool) -> None:
    if as_json:
        output.print_json(order)
        return
    output.print_fields(
        [
            ("id", str(order.id)),
            ("title", order.title),
            ("status", order.status.value),
            ("priority", order.priority.value),
            ("type", order.type.value),
            ("directive", str(order.directive_id) if order.directive_id else "-"),
            ("description", order.description or "-"),
        ]
    )


def _given(**values: object) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title")],
    description: Description = None,
    priority: Priority = None,
    kind: Kind = None,
    json_output: JsonOpt = False,
) -> None:
    """Add an order to the backlog."""
    values = _given(title=title, description=description, priority=priority, type=kind)
    order = client(ctx).create_order(validate(OrderCreate, values, OPTIONS))
    _print_one(order, json_output)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    status: Annotated[OrderStatus | None, typer.Option("--status")] = None,
    directive: Annotated[str | None, typer.Option("--directive")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Orders, optionally of one status or one directive."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive) if directive else None
    _print_orders(api.list_orders(status=status, directive_id=directive_id), json_output)


@app.command("show")
def show(ctx: typer.Context, order: OrderArg, json_output: JsonOpt = False) -> None:
    """One order."""
    api = client(ctx)
    _print_one(api.get_order(_resolve(api, order)), json_output)


@app.command("update")
def update(
    ctx: typer.Context,
    order: OrderArg,
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Description = None,
    priority: Priority = None,
    kind: Kind = None,
    status: Annotated[OrderStatus | None, typer.Option("--status")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Change only the options given."""
    values = _given(
        title=title, description=description, priority=priority, type=kind, status=status
    )
    if not values:
        raise InputError("nothing to change: give at least one option", field="update")
    body = validate(OrderUpdate, values, OPTIONS)
    api = client(ctx)
    _print_one(api.update_order(_resolve(api, order), body), json_output)


def _link(ctx: typer.Context, directive: str, orders: list[str], *, unlink: bool) -> UUID:
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    ids = [_resolve(api, ref) for ref in orders]
    api.link_orders(directive_id, validate(OrderLink, {"order_ids": ids}, OPTIONS), unlink=unlink)
    return directive_id


DirectivePositional = Annotated[
    str, typer.Argument(metavar="DIRECTIVE", help="Directive id or prefix (always given here).")
]
Orders = Annotated[list[str], typer.Argument(metavar="ORDER...", help="Order ids or prefixes.")]


@app.command("link")
def link(
    ctx: typer.Context, directive: DirectivePositional, orders: Orders, json_output: JsonOpt = False
) -> None:
    """Link orders to a directive (an order pickup plans steps for them)."""
    directive_id = _link(ctx, directive, orders, unlink=False)
    _print_orders(client(ctx).list_orders(directive_id=directive_id), json_output)


@app.command("unlink")
def unlink(
    ctx: typer.Context, directive: DirectivePositional, orders: Orders, json_output: JsonOpt = False
) -> None:
    """Unlink orders from a directive."""
    directive_id = _link(ctx, directive, orders, unlink=True)
    _print_orders(client(ctx).list_orders(directive_id=directive_id), json_output)
