"""Steps and plans (`add-step`, `batch-add-steps`, `submit-plan`, `remove-step`), and the
tasks that ran them (`tasks`, `output`).

Plans arrive as JSON on stdin or in a file, because planning agents pipe them in. Either
`{"steps": [...], "remove": [...]}` or a bare list of steps; they are validated locally
first (naming the step and field), then as a whole by the API.
"""

from __future__ import annotations

import os
from typing import Annotated
from uuid import UUID

import typer

from orchestrator.cli import output
from orchestrator.cli.context import DIRECTIVE_ENV, DirectiveArg, JsonOpt, client
from orchestrator.cli.errors import InputError
from orchestrator.cli.inputs import parse_batch, parse_plan, read_json
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_directive, resolve_step
from schemas.events import OutputPage
from schemas.plans import StepSpec
from schemas.steps import StepPublic

PlanFile = Annotated[
    str | None,
    typer.Option("--file", "-f", help="Read the JSON from this file (default and '-': stdin)."),
]

STEP_OPTIONS = {
    "name": "--name",
    "description": "--description",
    "task_plan": "--task-plan",
    "depends_on": "--depends-on",
    "order_index": "--order-index",
    "order_ids": "--order",
}


def print_steps(steps: list[StepPublic], *, as_json: bool) -> None:
    if as_json:
        output.print_json(steps)
        return
    output.print_table(
        ["ID", "STATUS", "GEN", "ORDER", "NAME"],
        [
            [
                output.short_id(s.id),
                s.status.value,
                str(s.generation),
                str(s.order_index),
                output.one_line(s.name),
            ]
            for s in steps
        ],
        empty="no steps",
    )


def add_step(
    ctx: typer.Context,
    directive: DirectiveArg,
    name: Annotated[str, typer.Option("--name", help="Unique step name.")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    task_plan: Annotated[
        str | None, typer.Option("--task-plan", help="Self-contained instructions for the agent.")
    ] = None,
    depends_on: Annotated[
        list[str] | None,
        typer.Option("--depends-on", help="Name or id of a step this one needs (repeatable)."),
    ] = None,
    order_index: Annotated[int | None, typer.Option("--order-index", min=0)] = None,
    order: Annotated[
        list[str] | None, typer.Option("--order", help="Id of an order this step works on.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Add one step to the plan."""
    values = {
        key: value
        for key, value in {
            "name": name,
            "description": description,
            "task_plan": task_plan,
            "depends_on": depends_on,
            "order_index": order_index,
            "order_ids": order,
        }.items()
        if value is not None
    }
    spec = validate(StepSpec, values, STEP_OPTIONS)
    api = client(ctx)
    step = api.add_step(resolve_directive(api, directive), spec)
    if json_output:
        output.print_json(step)
    else:
        typer.echo(f"step {step.id} added: {step.name} [{step.status.value}]")


def batch_add_steps(
    ctx: typer.Context, directive: DirectiveArg, file: PlanFile = None, json_output: JsonOpt = False
) -> None:
    """Add several steps at once (JSON: {"steps": [...]} or a list of steps)."""
    label = file if file not in (None, "-") else "stdin"
    batch = parse_batch(read_json(file, label=label), label=label)
    api = client(ctx)
    print_steps(api.add_steps(resolve_directive(api, directive), batch), as_json=json_output)


def submit_plan(
    ctx: typer.Context, directive: DirectiveArg, file: PlanFile = None, json_output: JsonOpt = False
) -> None:
    """Submit a whole plan (JSON: {"steps": [...], "remove": [...]} or a list of steps)."""
    label = file if file not in (None, "-") else "stdin"
    plan = parse_plan(read_json(file, label=label), label=label)
    api = client(ctx)
    print_steps(api.submit_plan(resolve_directive(api, directive), plan), as_json=json_output)


def remove_step(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(metavar="[DIRECTIVE] STEP")],
    second: Annotated[str | None, typer.Argument(metavar="", show_default=False)] = None,
    json_output: JsonOpt = False,
) -> None:
    """Remove a pending, ready, failed or skipped step (by name, id or id prefix).

    With one argument it is the step, and the directive is $MAKIMA_DIRECTIVE_ID.
    """
    if second is None:
        directive, step_ref = os.environ.get(DIRECTIVE_ENV), first
        if not directive:
            raise InputError(f"missing argument (or set ${DIRECTIVE_ENV})", field="STEP")
    else:
        directive, step_ref = first, second
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    step = resolve_step(api.list_steps(directive_id), step_ref)
    removed = api.remove_step(directive_id, step.id)
    if json_output:
        output.print_json(removed)
    else:
        typer.echo(f"step {removed.id} ({removed.name}): {removed.status.value}")


def list_tasks(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """The tasks (agent sessions and jobs) of a directive."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    tasks = api.list_tasks(directive_id)
    if json_output:
        output.print_json(tasks)
        return
    names = {s.id: s.name for s in api.list_steps(directive_id)}
    output.print_table(
        ["ID", "KIND", "STATUS", "TRY", "DAEMON", "COST", "STARTED", "STEP", "ERROR"],
        [
            [
                str(t.id),
                t.kind.value,
                t.status.value,
                str(t.attempt),
                t.daemon or "-",
                output.money(t.cost_usd),
                output.when(t.started_at),
                output.one_line(names.get(t.step_id, "-") if t.step_id else "-", 30),
                output.one_line(t.error_detail or "-", 40),
            ]
            for t in tasks
        ],
        empty="no tasks",
    )


def task_output(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(metavar="TASK_ID", help="Full task id (see `tasks`).")],
    after: Annotated[int, typer.Option("--after", min=0, help="Only output after this id.")] = 0,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="One page of this size (default: all).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """What an agent session printed."""
    try:
        task_id = UUID(task)
    except ValueError as exc:
        raise InputError(f"{task!r} is not a task id", field="TASK_ID") from exc
    api = client(ctx)
    page = api.task_output(task_id, after_id=after, limit=limit)
    lines, cursor = list(page.output), max(after, page.next_after_id)
    # Without --limit, read every page; stop when one is empty or the cursor stops moving.
    while limit is None and page.output:
        page = api.task_output(task_id, after_id=cursor)
        if page.next_after_id <= cursor:
            break
        lines.extend(page.output)
        cursor = page.next_after_id
    if json_output:
        output.print_json(OutputPage(output=lines, next_after_id=cursor))
        return
    for line in lines:
        typer.echo(f"[{line.kind}] {line.text}")
