"""`makima directive create` and `update`: options mirror `DirectiveCreate` group by group.

`update` sends only the options given; a repeatable option given there replaces the whole
list. `--verifier "pytest -q"` is split like a shell would split it into an argument list
and is never run by a shell.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from orchestrator.cli import output
from orchestrator.cli.context import DirectiveArg, JsonOpt, client
from orchestrator.cli.errors import InputError
from orchestrator.cli.inputs import parse_batch, read_json, read_text, split_command
from orchestrator.cli.inputs import validate_options as validate
from orchestrator.cli.refs import resolve_directive
from schemas.directives import DirectiveCreate, DirectiveUpdate
from schemas.enums import AutonomyLevel, EvaluatorFailurePolicy, ForgeKind
from schemas.steps import DirectiveDetail

# Where a body field came from, so a refusal names the option the person typed.
OPTION_NAMES = {
    "title": "--title",
    "goal": "--goal",
    "requirements": "--requirement",
    "acceptance_criteria": "--criterion",
    "constraints": "--constraint",
    "repository": "--repo",
    "base_branch": "--base-branch",
    "autonomy": "--autonomy",
    "budgets.max_total_cost_usd": "--max-cost",
    "budgets.max_wall_seconds": "--max-wall-seconds",
    "budgets.max_rework_cycles": "--max-rework",
    "budgets.max_chain_regenerations": "--max-regenerations",
    "evaluation": "--green/--yellow",
    "evaluation.green_threshold": "--green",
    "evaluation.yellow_threshold": "--yellow",
    "evaluation.evaluator_enabled": "--evaluator",
    "evaluation.evaluator_failure_policy": "--evaluator-failure",
    "evaluation.auto_verifiers": "--auto-verifiers",
    "evaluation.verifier_commands": "--verifier",
    "agent.runtime": "--runtime",
    "agent.model": "--model",
    "agent.max_turns": "--max-turns",
    "agent.session_timeout_seconds": "--session-timeout",
    "agent.pool": "--pool",
    "forge": "--forge",
    "forge.kind": "--forge",
    "forge.repository": "--forge-repo",
    "plan": "--plan-file",
}


def parse_money(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc


Title = Annotated[str | None, typer.Option("--title", help="Short title.")]
Goal = Annotated[str | None, typer.Option("--goal", help="The goal, as text.")]
GoalFile = Annotated[
    str | None, typer.Option("--goal-file", help="Read the goal from a file ('-': stdin).")
]
Requirements = Annotated[
    list[str] | None, typer.Option("--requirement", help="A requirement (repeatable).")
]
Criteria = Annotated[
    list[str] | None, typer.Option("--criterion", help="An acceptance criterion (repeatable).")
]
Constraints = Annotated[
    list[str] | None, typer.Option("--constraint", help="A constraint (repeatable).")
]
Autonomy = Annotated[AutonomyLevel | None, typer.Option("--autonomy")]
MaxCost = Annotated[
    Decimal | None,
    typer.Option("--max-cost", parser=parse_money, metavar="USD", help="Budget in USD."),
]
MaxWall = Annotated[int | None, typer.Option("--max-wall-seconds", help="Wall-time budget.")]
MaxRework = Annotated[int | None, typer.Option("--max-rework", help="Rework cycles per step.")]
MaxRegen = Annotated[
    int | None, typer.Option("--max-regenerations", help="Planning retries allowed.")
]
Green = Annotated[float | None, typer.Option("--green", help="Score for green (0..1).")]
Yellow = Annotated[float | None, typer.Option("--yellow", help="Score for yellow (0..1).")]
Evaluator = Annotated[
    bool | None,
    typer.Option("--evaluator/--no-evaluator", help="Judge results with an evaluator agent."),
]
EvaluatorFailure = Annotated[
    EvaluatorFailurePolicy | None,
    typer.Option("--evaluator-failure", help="When the evaluator itself fails."),
]
Verifiers = Annotated[
    list[str] | None,
    typer.Option("--verifier", help='A check command, e.g. "pytest -q" (repeatable; no shell).'),
]
Runtime = Annotated[str | None, typer.Option("--runtime", help="Agent runtime, e.g. claude.")]
Model = Annotated[str | None, typer.Option("--model", help="Model for the agent runtime.")]
MaxTurns = Annotated[int | None, typer.Option("--max-turns", help="Turns per session.")]
SessionTimeout = Annotated[
    int | None, typer.Option("--session-timeout", help="Seconds per agent session.")
]


def _goal(goal: str | None, goal_file: str | None) -> str | None:
    if goal is not None and goal_file is not None:
        raise InputError("give --goal or --goal-file, not both", field="--goal")
    if goal_file is not None:
        return read_text(goal_file, label="--goal-file")[0]
    return goal


def _repository(repo: str) -> str:
    """A local path is made absolute (daemons do not share our working directory)."""
    path = Path(repo).expanduser()
    return str(path.resolve()) if "://" not in repo and path.exists() else repo


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _group(**values: Any) -> dict[str, Any] | None:
    """A nested body group with only the options given, or None when none was."""
    return _given(**values) or None


def _verifiers(commands: list[str] | None) -> list[list[str]] | None:
    if commands is None:
        return None
    return [split_command(text, option="--verifier") for text in commands]


def _say(detail: DirectiveDetail, verb: str, json_output: bool) -> None:
    if json_output:
        output.print_json(detail)
        return
    d = detail.directive
    typer.echo(f"directive {d.id} {verb}: {d.title} [{d.status.value}, generation {d.generation}]")


def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="Short title.")],
    repo: Annotated[str, typer.Option("--repo", help="Git remote URL or local path.")],
    goal: Goal = None,
    goal_file: GoalFile = None,
    requirement: Requirements = None,
    criterion: Criteria = None,
    constraint: Constraints = None,
    base_branch: Annotated[str | None, typer.Option("--base-branch")] = None,
    autonomy: Autonomy = None,
    max_cost: MaxCost = None,
    max_wall_seconds: MaxWall = None,
    max_rework: MaxRework = None,
    max_regenerations: MaxRegen = None,
    green: Green = None,
    yellow: Yellow = None,
    evaluator: Evaluator = None,
    evaluator_failure: EvaluatorFailure = None,
    no_auto_verifiers: Annotated[
        bool, typer.Option("--no-auto-verifiers", help="Run only the --verifier commands.")
    ] = False,
    verifier: Verifiers = None,
    runtime: Runtime = None,
    model: Model = None,
    max_turns: MaxTurns = None,
    session_timeout: SessionTimeout = None,
    pool: Annotated[str | None, typer.Option("--pool", help="Daemon pool to run on.")] = None,
    forge: Annotated[
        ForgeKind | None,
        typer.Option(
            "--forge", help="Where the PR is opened (auto: GitHub for a GitHub URL, else local)."
        ),
    ] = None,
    forge_repo: Annotated[
        str | None, typer.Option("--forge-repo", help="owner/name on the forge (GitHub).")
    ] = None,
    plan_file: Annotated[
        str | None, typer.Option("--plan-file", help="Give the plan as JSON ('-': stdin).")
    ] = None,
    start: Annotated[bool, typer.Option("--start", help="Start it right away.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Create a directive (a draft unless --start)."""
    text = _goal(goal, goal_file)
    if text is None:
        raise InputError("missing option (or give --goal-file)", field="--goal")
    values = _given(
        title=title,
        goal=text,
        requirements=requirement,
        acceptance_criteria=criterion,
        constraints=constraint,
        repository=_repository(repo),
        base_branch=base_branch,
        autonomy=autonomy,
        budgets=_group(
            max_total_cost_usd=max_cost,
            max_wall_seconds=max_wall_seconds,
            max_rework_cycles=max_rework,
            max_chain_regenerations=max_regenerations,
        ),
        evaluation=_group(
            green_threshold=green,
            yellow_threshold=yellow,
            evaluator_enabled=evaluator,
            evaluator_failure_policy=evaluator_failure,
            auto_verifiers=False if no_auto_verifiers else None,
            verifier_commands=_verifiers(verifier),
        ),
        agent=_group(
            runtime=runtime,
            model=model,
            max_turns=max_turns,
            session_timeout_seconds=session_timeout,
            pool=pool,
        ),
        forge=_group(kind=forge, repository=forge_repo),
    )
    if plan_file is not None:
        plan = parse_batch(read_json(plan_file, label="--plan-file"), label="--plan-file")
        values["plan"] = plan.steps
    body = validate(DirectiveCreate, values, OPTION_NAMES)
    api = client(ctx)
    detail = api.create_directive(body)
    if start:
        api.directive_action(detail.directive.id, "start")
        detail = api.get_directive(detail.directive.id)
    _say(detail, "started" if start else "created", json_output)


def update(
    ctx: typer.Context,
    directive: DirectiveArg,
    title: Title = None,
    goal: Goal = None,
    goal_file: GoalFile = None,
    requirement: Requirements = None,
    criterion: Criteria = None,
    constraint: Constraints = None,
    autonomy: Autonomy = None,
    max_cost: MaxCost = None,
    max_wall_seconds: MaxWall = None,
    max_rework: MaxRework = None,
    max_regenerations: MaxRegen = None,
    green: Green = None,
    yellow: Yellow = None,
    evaluator: Evaluator = None,
    evaluator_failure: EvaluatorFailure = None,
    auto_verifiers: Annotated[
        bool | None,
        typer.Option("--auto-verifiers/--no-auto-verifiers", help="Run detected checks."),
    ] = None,
    verifier: Verifiers = None,
    runtime: Runtime = None,
    model: Model = None,
    max_turns: MaxTurns = None,
    session_timeout: SessionTimeout = None,
    json_output: JsonOpt = False,
) -> None:
    """Change only the options given; a new goal is kept in the history and re-plans."""
    values = _given(
        title=title,
        goal=_goal(goal, goal_file),
        requirements=requirement,
        acceptance_criteria=criterion,
        constraints=constraint,
        autonomy=autonomy,
        budgets=_group(
            max_total_cost_usd=max_cost,
            max_wall_seconds=max_wall_seconds,
            max_rework_cycles=max_rework,
            max_chain_regenerations=max_regenerations,
        ),
        evaluation=_group(
            green_threshold=green,
            yellow_threshold=yellow,
            evaluator_enabled=evaluator,
            evaluator_failure_policy=evaluator_failure,
            auto_verifiers=auto_verifiers,
            verifier_commands=_verifiers(verifier),
        ),
        agent=_group(
            runtime=runtime,
            model=model,
            max_turns=max_turns,
            session_timeout_seconds=session_timeout,
        ),
    )
    if not values:
        raise InputError("nothing to change: give at least one option", field="update")
    body = validate(DirectiveUpdate, values, OPTION_NAMES)
    api = client(ctx)
    detail = api.update_directive(resolve_directive(api, directive), body)
    _say(detail, "updated", json_output)
