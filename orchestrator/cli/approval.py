"""`makima approval …`: answer yellow results. A denial's comment becomes the rework brief."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from orchestrator.cli import output
from orchestrator.cli.client import ApiClient
from orchestrator.cli.context import JsonOpt, client, new_group
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_directive, resolve_id
from schemas.approvals import ApprovalDecision, ApprovalPublic, DenyDecision
from schemas.enums import ApprovalStatus

app = new_group("Approve or deny results that need a person.")

ApprovalArg = Annotated[str, typer.Argument(metavar="APPROVAL", help="Approval id or prefix.")]


def _resolve(api: ApiClient, ref: str) -> UUID:
    return resolve_id(ref, lambda: (a.id for a in api.list_approvals()), kind="approval")


def _print_one(approval: ApprovalPublic, as_json: bool) -> None:
    if as_json:
        output.print_json(approval)
    else:
        typer.echo(f"approval {approval.id}: {approval.status.value}")


@app.command("list")
def list_approvals(
    ctx: typer.Context,
    directive: Annotated[
        str | None, typer.Option("--directive", help="Only this directive (id or prefix).")
    ] = None,
    status: Annotated[
        ApprovalStatus | None, typer.Option("--status", help="Only this status.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Approvals, pending and decided."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive) if directive else None
    approvals = api.list_approvals(status=status, directive_id=directive_id)
    if json_output:
        output.print_json(approvals)
        return
    output.print_table(
        ["ID", "STATUS", "DIRECTIVE", "STEP", "CREATED", "QUESTION"],
        [
            [
                output.short_id(a.id),
                a.status.value,
                output.short_id(a.directive_id),
                output.short_id(a.step_id),
                output.when(a.created_at),
                output.one_line(a.question, 70),
            ]
            for a in approvals
        ],
        empty="no approvals",
    )


@app.command("approve")
def approve(
    ctx: typer.Context,
    approval: ApprovalArg,
    comment: Annotated[str | None, typer.Option("--comment", help="Why (optional).")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Accept the result: the step passes."""
    body = validate(ApprovalDecision, {"comment": comment}, {"comment": "--comment"})
    api = client(ctx)
    _print_one(api.approve(_resolve(api, approval), body), json_output)


@app.command("deny")
def deny(
    ctx: typer.Context,
    approval: ApprovalArg,
    comment: Annotated[
        str, typer.Option("--comment", help="What to change (required): the rework brief.")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Reject the result: the step is reworked with the comment as feedback."""
    body = validate(DenyDecision, {"comment": comment}, {"comment": "--comment"})
    api = client(ctx)
    _print_one(api.deny(_resolve(api, approval), body), json_output)
