"""`makima step …`: a step's evaluations, and a verdict from an evaluator agent or a person.

An evaluator agent runs `makima step evaluate --verdict -` with the verdict JSON on stdin;
its step and directive come from `MAKIMA_STEP_ID` and `MAKIMA_DIRECTIVE_ID`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli import output
from orchestrator.cli.context import JsonOpt, client, new_group
from orchestrator.cli.inputs import read_json
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_directive, resolve_step_id
from schemas.evaluations import EvaluateRequest, EvaluationPublic

app = new_group("Evaluate steps and read their evaluations.")

StepArg = Annotated[
    str,
    typer.Argument(
        envvar="MAKIMA_STEP_ID",
        show_envvar=True,
        metavar="STEP",
        help="Step name, id or id prefix; defaults to $MAKIMA_STEP_ID.",
    ),
]
DirectiveOpt = Annotated[
    str,
    typer.Option(
        "--directive",
        envvar="MAKIMA_DIRECTIVE_ID",
        show_envvar=True,
        help="Directive id or prefix; defaults to $MAKIMA_DIRECTIVE_ID.",
    ),
]


def _print_evaluation(evaluation: EvaluationPublic) -> None:
    output.print_fields(
        [
            ("evaluation", str(evaluation.id)),
            ("color", evaluation.color.value),
            ("decision", evaluation.decision),
            ("score", f"{evaluation.score:.2f} (confidence {evaluation.confidence:.2f})"),
            ("summary", evaluation.summary or "-"),
            ("feedback", evaluation.feedback or "-"),
        ]
    )


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    step: StepArg,
    directive: DirectiveOpt,
    verdict: Annotated[
        str | None,
        typer.Option("--verdict", help="Verdict JSON file ('-': stdin); omit to re-run checks."),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Submit a verdict (evaluator agents), or decide an evaluating step now (people)."""
    body = EvaluateRequest()
    if verdict is not None:
        data = read_json(verdict, label="stdin" if verdict == "-" else verdict)
        body = validate(EvaluateRequest, {"verdict": data}, {})
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    result = api.evaluate_step(directive_id, resolve_step_id(api, directive_id, step), body)
    if json_output:
        typer.echo(result.model_dump_json(indent=2) if result is not None else "null")
    elif result is None:
        typer.echo("verdict recorded; it is applied when this evaluator session ends")
    else:
        _print_evaluation(result)


@app.command("evaluations")
def evaluations(
    ctx: typer.Context, step: StepArg, directive: DirectiveOpt, json_output: JsonOpt = False
) -> None:
    """Every evaluation of a step, oldest first."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    found = api.list_evaluations(directive_id, resolve_step_id(api, directive_id, step))
    if json_output:
        output.print_json(found)
        return
    output.print_table(
        ["ID", "COLOR", "DECISION", "SCORE", "CREATED", "SUMMARY"],
        [
            [
                output.short_id(e.id),
                e.color.value,
                e.decision,
                f"{e.score:.2f}",
                output.when(e.created_at),
                output.one_line(e.summary or "-"),
            ]
            for e in found
        ],
        empty="no evaluations",
    )
