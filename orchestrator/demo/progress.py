"""The demo's progress view, as pure functions of what the API answers.

`render_progress(snapshot)` gives the lines of one frame: a header (status, elapsed time,
total cost), the DAG (steps in dependency order with what they wait for, their state,
attempts and cost), the merge and pull request once they happen, and the latest events.
`event_text` is the one-line form of an event shared by the frame and the plain log.
Nothing here does I/O, so every line is tested without a stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from orchestrator.demo.plan import SCRIPTED
from schemas.enums import EventType, Severity
from schemas.events import EventPublic
from schemas.pulls import PullRequestPublic
from schemas.statuses import DirectiveStatus, StepStatus, TaskStatus
from schemas.steps import DirectiveDetail, StepPublic, TaskPublic

MAX_EVENTS = 8
# An absolute path into a daemon worktree, up to the worktree's own directory.
_WORKTREE_PREFIX = re.compile(r"/[^\s\"']*/worktrees/[^/\s\"']+/")

STATE_MARKS: Mapping[StepStatus, str] = {
    StepStatus.PENDING: "·",
    StepStatus.READY: "○",
    StepStatus.RUNNING: "▶",
    StepStatus.EVALUATING: "…",
    StepStatus.AWAITING_APPROVAL: "?",
    StepStatus.PASSED: "✓",
    StepStatus.FAILED: "✗",
    StepStatus.SKIPPED: "-",
    StepStatus.REMOVED: "-",
}
TASK_PROBLEMS = frozenset(
    {TaskStatus.FAILED, TaskStatus.INTERRUPTED, TaskStatus.TIMED_OUT, TaskStatus.CANCELLED}
)
# Moves another line already tells: the dispatch follows "ready", the evaluation event
# tells "evaluating" and "passed".
QUIET_STEP_MOVES = frozenset({
    (StepStatus.PENDING, StepStatus.READY),
    (StepStatus.RUNNING, StepStatus.EVALUATING),
    (StepStatus.EVALUATING, StepStatus.PASSED),
})
LABELS: Mapping[EventType, str] = {
    EventType.DIRECTIVE_STATUS: "directive",
    EventType.DIRECTIVE_OUTCOME: "outcome",
    EventType.DIRECTIVE_CREATED: "directive",
    EventType.PLAN_SUBMITTED: "plan",
}


@dataclass(frozen=True)
class Snapshot:
    """What one poll of the API saw."""

    detail: DirectiveDetail
    tasks: Sequence[TaskPublic] = ()
    events: Sequence[EventPublic] = ()
    """The latest events, oldest first."""
    pull_request: PullRequestPublic | None = None
    elapsed_seconds: float = 0.0
    activity: Mapping[UUID, str] = field(default_factory=dict)
    """The latest thing each running step's agent reported, by step id."""
    agent_lines: Sequence[tuple[UUID, str]] = ()
    """What the agents reported since the previous poll, as (step id, line)."""


def money(value: Decimal) -> str:
    return f"${value:.2f}"


def duration(seconds: float) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def ordered_steps(detail: DirectiveDetail) -> list[StepPublic]:
    """The current plan in dependency order (the chain's order), removed steps left out."""
    position = {step_id: index for index, step_id in enumerate(detail.chain.order)}
    shown = [s for s in detail.steps if s.status is not StepStatus.REMOVED]
    return sorted(
        shown,
        key=lambda s: (s.id not in position, position.get(s.id, 0), s.order_index, s.created_at),
    )


def step_costs(tasks: Sequence[TaskPublic]) -> dict[UUID, Decimal]:
    """What each step's sessions cost, all attempts together."""
    costs: dict[UUID, Decimal] = {}
    for task in tasks:
        if task.step_id is not None:
            costs[task.step_id] = costs.get(task.step_id, Decimal(0)) + task.cost_usd
    return costs


def attempts_text(step: StepPublic) -> str:
    if step.rework_count:
        plural = "s" if step.rework_count > 1 else ""
        return f"{step.attempts} ({step.rework_count} rework{plural})"
    return str(step.attempts)


def first_failure(feedback: str) -> str | None:
    """`FAILED <test id>` of the first failure pytest listed in a rework's feedback."""
    for line in feedback.splitlines():
        stripped = line.strip()
        if stripped.startswith("FAILED "):
            return stripped.split(" - ", 1)[0]
    return None


def _is_rework(data: Mapping[str, object]) -> bool:
    return data.get("from") == StepStatus.EVALUATING.value and (
        data.get("to") == StepStatus.PENDING.value
    )


def event_text(event: EventPublic, names: Mapping[UUID, str]) -> str | None:
    """`label  message` for an event worth showing; None for bookkeeping that another
    event already tells (a step added, a task's moves, a step's routine moves)."""
    step = names.get(event.step_id) if event.step_id is not None else None
    data = event.data
    if event.type is EventType.STEP_ADDED:
        return None
    if event.type is EventType.TASK_STATUS:
        if data.get("to") not in TASK_PROBLEMS:
            return None
        return f"{'task':<12}  {step or data.get('kind', 'task')}: {_flat(event.message)}"
    if event.type is EventType.STEP_STATUS:
        if (data.get("from"), data.get("to")) in QUIET_STEP_MOVES:
            return None
        reason = data.get("reason")
        text = f"{step or 'step'}: {data.get('from')} → {data.get('to')}"
        text += f" ({_flat(str(reason))})" if reason else ""
        if not _is_rework(data):
            return f"{'step':<12}  {text}"
        failure = first_failure(str(data.get("feedback") or ""))
        return f"{'REWORK':<12}  {text}" + (f": {failure}" if failure else "")
    label = LABELS.get(event.type, event.type.value.replace("_", " "))
    return f"{label:<12}  {_flat(event.message)}"


def _flat(text: str) -> str:
    return " ".join(text.split())


def event_line(event: EventPublic, names: Mapping[UUID, str]) -> str | None:
    """`HH:MM:SS  label  message`, with a mark for warnings and errors."""
    text = event_text(event, names)
    if text is None:
        return None
    mark = {Severity.WARNING: "!", Severity.ERROR: "✗"}.get(event.severity, " ")
    return f"{event.created_at.astimezone():%H:%M:%S} {mark} {text}"


def agent_text(kind: str, text: str) -> str:
    """`kind text` on one line, paths inside the daemon's worktree shown relative to it."""
    return f"{kind} {_WORKTREE_PREFIX.sub('', _flat(text))}"


def step_names(detail: DirectiveDetail) -> dict[UUID, str]:
    return {step.id: step.name for step in detail.steps}


def dag_lines(
    detail: DirectiveDetail,
    tasks: Sequence[TaskPublic],
    activity: Mapping[UUID, str] | None = None,
) -> list[str]:
    """The steps as an aligned table, in dependency order; under a running step, the
    latest thing its agent reported (`activity`)."""
    names = step_names(detail)
    costs = step_costs(tasks)
    steps = ordered_steps(detail)
    rows = [("step", "needs", "state", "attempts", "cost")]
    for step in steps:
        needs = ", ".join(names.get(dep, dep.hex[:8]) for dep in step.depends_on) or "-"
        state = f"{STATE_MARKS[step.status]} {step.status.value}"
        rows.append(
            (step.name, needs, state, attempts_text(step), money(costs.get(step.id, Decimal(0))))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        step_id = steps[index - 1].id if index else None
        said = (activity or {}).get(step_id) if step_id is not None else None
        if said and steps[index - 1].status is StepStatus.RUNNING:
            lines.append(f"    ↳ {_flat(said)}")
    return lines


def completion_lines(snapshot: Snapshot) -> list[str]:
    """Where the merge stands: the last merge, gate and pull request news."""
    directive = snapshot.detail.directive
    if snapshot.pull_request is not None:
        pr = snapshot.pull_request
        stats = pr.diff_stats
        number = f" #{pr.number}" if pr.number is not None else ""
        return [
            f"  pull request{number} ({pr.forge.value} forge): {pr.head} → {pr.base}",
            f"  {stats.files_changed} files changed, +{stats.insertions} -{stats.deletions}",
            f"  {pr.url}",
        ]
    if directive.status is not DirectiveStatus.COMPLETING:
        return []
    kinds = {EventType.MERGE, EventType.MERGE_GATE, EventType.PULL_REQUEST}
    latest = [e for e in snapshot.events if e.type in kinds]
    if not latest:
        return ["  merging the step branches ..."]
    return ["  " + " ".join(latest[-1].message.split())]


def header_lines(snapshot: Snapshot) -> list[str]:
    directive = snapshot.detail.directive
    status = directive.status.value
    if directive.status_reason and directive.status in {
        DirectiveStatus.PAUSED, DirectiveStatus.FAILED, DirectiveStatus.STOPPED
    }:
        status += f" ({' '.join(directive.status_reason.split())})"
    cost = money(directive.total_cost_usd)
    if directive.runtime == SCRIPTED:
        cost += " (declared by the scripted agent: no model was called)"
    return [
        f"makima demo · {directive.title}",
        f"directive {directive.id.hex[:8]} · {status} · {duration(snapshot.elapsed_seconds)}"
        f" · runtime {directive.runtime}",
        f"total cost {cost}",
    ]


def render_progress(snapshot: Snapshot, *, max_events: int = MAX_EVENTS) -> list[str]:
    """One frame of the live view (lines without newlines, not yet cut to a width)."""
    lines = header_lines(snapshot)
    lines += ["", *dag_lines(snapshot.detail, snapshot.tasks, snapshot.activity)]
    completion = completion_lines(snapshot)
    if completion:
        lines += ["", *completion]
    names = step_names(snapshot.detail)
    shown = [line for e in snapshot.events if (line := event_line(e, names)) is not None]
    if shown:
        lines += ["", "latest events", *("  " + line for line in shown[-max_events:])]
    return lines


def fit(line: str, width: int) -> str:
    """Cut a line to the terminal width so a redraw never wraps."""
    if width <= 1 or len(line) < width:
        return line
    return line[: width - 2] + "…"
