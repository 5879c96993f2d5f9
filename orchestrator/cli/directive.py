"""`makima directive …`: create, inspect, edit and drive directives.

Steps and plans live in `directive_steps`, the event log and `watch` in `directive_events`;
all are registered on this one group.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import typer

from orchestrator.cli import directive_edit, directive_events, directive_steps, output
from orchestrator.cli.context import DirectiveArg, JsonOpt, client, new_group
from orchestrator.cli.refs import resolve_directive
from schemas.directives import DirectivePublic
from schemas.statuses import DirectiveStatus
from schemas.steps import DirectiveDetail, StepPublic, TaskPublic

app = new_group("Create, inspect, edit and drive directives.")

app.command("create")(directive_edit.create)


@app.command("list")
def list_directives(
    ctx: typer.Context,
    status: Annotated[
        list[DirectiveStatus] | None,
        typer.Option("--status", help="Only this status (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    json_output: JsonOpt = False,
) -> None:
    """List directives, newest first."""
    directives = client(ctx).list_directives(statuses=status or (), limit=limit, offset=offset)
    if json_output:
        output.print_json(directives)
        return
    output.print_table(
        ["ID", "STATUS", "GEN", "COST", "UPDATED", "TITLE"],
        [
            [
                output.short_id(d.id),
                d.status.value,
                str(d.generation),
                f"{output.money(d.total_cost_usd)}/{output.money(d.max_total_cost_usd)}",
                output.when(d.updated_at),
                output.one_line(d.title),
            ]
            for d in directives
        ],
        empty="no directives",
    )


@app.command("show")
def show(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """The directive, its steps in DAG order and its goal history."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    detail = api.get_directive(directive_id)
    if json_output:
        output.print_json(detail)
        return
    print_detail(detail, api.list_tasks(directive_id))


@app.command("pr")
def pull_request(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """The directive's pull request: forge, URL, head → base, diff stats, merge gate, body."""
    api = client(ctx)
    pr = api.pull_request(resolve_directive(api, directive))
    if json_output:
        output.print_json(pr)
        return
    stats = pr.diff_stats
    output.print_fields([
        ("title", pr.title),
        ("url", pr.url),
        ("forge", f"{pr.forge.value} ({pr.repository})" + (f" #{pr.number}" if pr.number else "")),
        ("branches", f"{pr.head} → {pr.base}"),
        ("head commit", pr.head_commit or "-"),
        ("diff", f"{stats.files_changed} files, +{stats.insertions} -{stats.deletions}"),
        ("updated", f"{output.when(pr.updated_at)} ({pr.updates} update(s) since opened)"),
    ])
    typer.echo("\nmerge gate:\n" + pr.gate_summary + "\n\n" + pr.body)


def _dag_order(detail: DirectiveDetail) -> list[StepPublic]:
    """The chain's dependency order first, then older generations and removed steps."""
    position = {step_id: index for index, step_id in enumerate(detail.chain.order)}
    return sorted(
        detail.steps,
        key=lambda s: (
            s.id not in position,
            position.get(s.id, 0),
            -s.generation,
            s.order_index,
            s.created_at,
        ),
    )


def _overview(d: DirectivePublic) -> list[tuple[str, str]]:
    status = d.status.value + (f" ({d.status_reason})" if d.status_reason else "")
    return [
        ("id", str(d.id)),
        ("title", d.title),
        ("status", status),
        ("repository", f"{d.repository} (base {d.base_branch})"),
        ("autonomy", d.autonomy.value),
        ("agent", f"{d.runtime}" + (f" / {d.model}" if d.model else "") + f" on pool {d.pool}"),
        ("cost", f"{output.money(d.total_cost_usd)} of {output.money(d.max_total_cost_usd)}"),
        (
            "generation",
            f"{d.generation} (regenerations {d.chain_regenerations}/{d.max_chain_regenerations})",
        ),
        ("thresholds", f"green {d.green_threshold}, yellow {d.yellow_threshold}"),
        ("pull request", d.pr_url or d.pr_branch or "-"),
        ("goal", d.goal),
        ("requirements", output.bullets(d.requirements)),
        ("criteria", output.bullets(d.acceptance_criteria)),
        ("constraints", output.bullets(d.constraints)),
    ]


def print_detail(detail: DirectiveDetail, tasks: list[TaskPublic]) -> None:
    output.print_fields(_overview(detail.directive))
    cost: dict[UUID, Decimal] = defaultdict(Decimal)
    for task in tasks:
        if task.step_id is not None:
            cost[task.step_id] += task.cost_usd
    names = {s.id: s.name for s in detail.steps}
    typer.echo("")
    output.print_table(
        ["#", "ID", "STATUS", "GEN", "REWORK", "COST", "BRANCH", "DEPENDS ON", "NAME"],
        [
            [
                str(index),
                output.short_id(s.id),
                s.status.value,
                str(s.generation),
                str(s.rework_count),
                output.money(cost[s.id]),
                s.branch or "-",
                ", ".join(names.get(dep, output.short_id(dep)) for dep in s.depends_on) or "-",
                output.one_line(s.name, 50),
            ]
            for index, s in enumerate(_dag_order(detail), start=1)
        ],
        empty="no steps yet",
    )
    if detail.goal_history:
        typer.echo("")
        output.print_table(
            ["GEN", "REPLACED", "EARLIER GOAL"],
            [
                [str(g.generation), output.when(g.replaced_at), output.one_line(g.goal, 70)]
                for g in detail.goal_history
            ],
            empty="",
        )


app.command("update")(directive_edit.update)


@app.command("delete")
def delete(ctx: typer.Context, directive: DirectiveArg) -> None:
    """Delete a draft or stopped directive."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    api.delete_directive(directive_id)
    typer.echo(f"directive {directive_id} deleted")


def _act(
    ctx: typer.Context, directive: str, action: str, reason: str | None, as_json: bool
) -> None:
    api = client(ctx)
    result = api.directive_action(resolve_directive(api, directive), action, reason=reason)
    if as_json:
        output.print_json(result)
    else:
        suffix = f" ({result.status_reason})" if result.status_reason else ""
        typer.echo(f"directive {result.id}: {result.status.value}{suffix}")


@app.command("start")
def start(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """Start: plan (or run the given plan)."""
    _act(ctx, directive, "start", None, json_output)


@app.command("pause")
def pause(
    ctx: typer.Context,
    directive: DirectiveArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the log).")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Pause: running sessions are cancelled, nothing new starts."""
    _act(ctx, directive, "pause", reason, json_output)


@app.command("resume")
def resume(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """Resume a paused directive."""
    _act(ctx, directive, "resume", None, json_output)


@app.command("stop")
def stop(ctx: typer.Context, directive: DirectiveArg, json_output: JsonOpt = False) -> None:
    """Stop for good: running sessions are cancelled."""
    _act(ctx, directive, "stop", None, json_output)


app.command("add-step")(directive_steps.add_step)
app.command("batch-add-steps")(directive_steps.batch_add_steps)
app.command("submit-plan")(directive_steps.submit_plan)
app.command("remove-step")(directive_steps.remove_step)
app.command("tasks")(directive_steps.list_tasks)
app.command("output")(directive_steps.task_output)
app.command("events")(directive_events.events)
app.command("watch")(directive_events.watch)
