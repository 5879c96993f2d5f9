"""The demo's progress view: frames from API answers, the live redraw and the plain log."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from orchestrator.cli.client import ApiClient
from orchestrator.demo.follow import AgentActivity
from orchestrator.demo.progress import (
    Snapshot,
    agent_text,
    dag_lines,
    event_line,
    fit,
    ordered_steps,
    render_progress,
)
from orchestrator.demo.terminal import CURSOR_UP, ERASE_DOWN, LiveScreen, PlainLog
from schemas.directives import DirectivePublic
from schemas.enums import EventType, ForgeKind, Severity, TaskKind
from schemas.events import EventPublic, OutputEventPublic, OutputPage
from schemas.messages import DiffStats
from schemas.pulls import PullRequestPublic
from schemas.statuses import DirectiveStatus, StepStatus, TaskStatus
from schemas.steps import ChainView, DirectiveDetail, StepPublic, TaskPublic
from tests.unit.cli.builders import directive, step

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
FEEDBACK = (
    "These checks failed and must pass:\n- `python -m pytest -q` exited 1; output tail:\n"
    "F..\nFAILED tests/test_stats.py::test_top_words - AssertionError: assert [('The', 2)]\n"
    "1 failed, 2 passed in 0.02s"
)


def task(d: DirectivePublic, s: StepPublic | None, cost: str, **overrides: Any) -> TaskPublic:
    values: dict[str, Any] = {
        "id": uuid4(), "directive_id": d.id, "step_id": s.id if s else None,
        "kind": TaskKind.EXECUTE if s else TaskKind.COMPLETE, "status": TaskStatus.DONE,
        "attempt": 1, "generation": 0, "pool": "default", "daemon": "host-1",
        "runtime": "scripted", "model": None, "base_ref": "main", "merge_refs": [],
        "branch": "makima/x", "commit": None, "session_id": None, "cost_usd": Decimal(cost),
        "turns": 1, "heartbeat_at": None, "queued_at": None, "started_at": None,
        "finished_at": None, "error_kind": None, "error_detail": None, "result": None,
        "created_at": AT,
    }
    values.update(overrides)
    return TaskPublic(**values)


def event(
    d: DirectivePublic,
    event_id: int,
    type: EventType,
    message: str,
    *,
    step_id: UUID | None = None,
    severity: Severity = Severity.INFO,
    data: dict[str, Any] | None = None,
) -> EventPublic:
    return EventPublic(
        id=event_id, directive_id=d.id, step_id=step_id, task_id=None, type=type,
        severity=severity, actor="system", message=message, data=data or {}, created_at=AT,
    )


def pull_request(d: DirectivePublic) -> PullRequestPublic:
    return PullRequestPublic(
        id=uuid4(), directive_id=d.id, forge=ForgeKind.LOCAL, repository="/srv/origin.git",
        number=1, url="http://127.0.0.1:8765/api/v1/directives/x/pull-request",
        title=d.title, body="", head="makima/directive-textkit-1234", base="main",
        head_commit="abc", diff_stats=DiffStats(files_changed=11, insertions=181, deletions=1),
        gate_summary="passed: pytest", state="open", updates=0, created_at=AT, updated_at=AT,
    )


class Demo:
    """A demo directive mid-run: slugify passed, word-stats reworked, toc running."""

    def __init__(self, status: DirectiveStatus = DirectiveStatus.ACTIVE) -> None:
        self.d = directive(
            title="textkit", status=status, runtime="scripted", total_cost_usd=Decimal("0.10")
        )
        did = self.d.id
        self.slug = step(did, "slugify", status=StepStatus.PASSED, attempts=1)
        self.stats = step(did, "word-stats", status=StepStatus.RUNNING, attempts=2,
                          rework_count=1)
        self.toc = step(did, "toc", status=StepStatus.RUNNING, attempts=1,
                        depends_on=[self.slug.id])
        self.report = step(did, "report", depends_on=[self.toc.id, self.stats.id])
        # Listed out of order: the chain's order is what the view follows.
        self.steps = [self.report, self.toc, self.stats, self.slug]
        self.order = [self.slug.id, self.stats.id, self.toc.id, self.report.id]
        self.tasks = [
            task(self.d, self.slug, "0.03"),
            task(self.d, self.stats, "0.04"),
            task(self.d, self.stats, "0.02", attempt=2, status=TaskStatus.RUNNING),
            task(self.d, self.toc, "0.01", status=TaskStatus.RUNNING),
        ]

    def detail(self) -> DirectiveDetail:
        return DirectiveDetail(
            directive=self.d, steps=self.steps,
            chain=ChainView(generation=0, order=self.order, ready=[], live_tasks=[]),
            goal_history=[],
        )

    def rework_event(self, event_id: int = 7) -> EventPublic:
        return event(
            self.d, event_id, EventType.STEP_STATUS, "step evaluating → pending: rework",
            step_id=self.stats.id, severity=Severity.WARNING, data={
                "from": "evaluating", "to": "pending",
                "reason": "rework 1 of 2: 1 of 1 checks failed", "feedback": FEEDBACK,
            },
        )


def test_the_dag_follows_the_chain_order_with_needs_state_attempts_and_cost() -> None:
    demo = Demo()
    assert [s.name for s in ordered_steps(demo.detail())] == [
        "slugify", "word-stats", "toc", "report"
    ]
    assert dag_lines(demo.detail(), demo.tasks) == [
        "  step        needs            state      attempts      cost",
        "  slugify     -                ✓ passed   1             $0.03",
        "  word-stats  -                ▶ running  2 (1 rework)  $0.06",
        "  toc         slugify          ▶ running  1             $0.01",
        "  report      toc, word-stats  · pending  0             $0.00",
    ]


def test_a_frame_has_the_header_the_dag_and_the_latest_events() -> None:
    demo = Demo()
    events = [
        event(demo.d, 1, EventType.STEP_ADDED, "step 'slugify' added", step_id=demo.slug.id),
        event(demo.d, 2, EventType.PLAN_SUBMITTED, "plan submitted: 4 steps added, 0 removed"),
        event(demo.d, 3, EventType.STEP_STATUS, "step pending → ready", step_id=demo.slug.id,
              data={"from": "pending", "to": "ready", "reason": "every dependency passed"}),
        event(demo.d, 4, EventType.TASK_STATUS, "task queued → running", step_id=demo.slug.id,
              data={"from": "queued", "to": "running"}),
        event(demo.d, 5, EventType.STEP_STATUS, "step ready → running", step_id=demo.slug.id,
              data={"from": "ready", "to": "running", "reason": "attempt 1 dispatched"}),
        event(demo.d, 6, EventType.EVALUATION,
              "step 'word-stats': red (score 0.00) → rework:\n1 of 1 checks failed",
              step_id=demo.stats.id),
        demo.rework_event(),
    ]
    snapshot = Snapshot(detail=demo.detail(), tasks=demo.tasks, events=events,
                        elapsed_seconds=75.4)
    lines = render_progress(snapshot)
    assert lines[:3] == [
        "makima demo · textkit",
        f"directive {demo.d.id.hex[:8]} · active · 1:15 · runtime scripted",
        "total cost $0.10 (declared by the scripted agent: no model was called)",
    ]
    assert lines[3:9] == ["", *dag_lines(demo.detail(), demo.tasks)]
    # Added steps, task moves and pending → ready are bookkeeping, left out.
    assert lines[9:] == [
        "",
        "latest events",
        f"  {AT.astimezone():%H:%M:%S}   plan          plan submitted: 4 steps added, 0 removed",
        f"  {AT.astimezone():%H:%M:%S}   step          slugify: ready → running "
        "(attempt 1 dispatched)",
        f"  {AT.astimezone():%H:%M:%S}   evaluation    step 'word-stats': red (score 0.00) "
        "→ rework: 1 of 1 checks failed",
        f"  {AT.astimezone():%H:%M:%S} ! REWORK        word-stats: evaluating → pending "
        "(rework 1 of 2: 1 of 1 checks failed): FAILED tests/test_stats.py::test_top_words",
    ]


def test_only_the_latest_events_are_kept_in_a_frame() -> None:
    demo = Demo()
    events = [
        event(demo.d, i, EventType.MERGE, f"merge news {i}") for i in range(1, 21)
    ]
    lines = render_progress(Snapshot(detail=demo.detail(), events=events), max_events=3)
    assert [line.rsplit(" ", 1)[-1] for line in lines[-3:]] == ["18", "19", "20"]
    assert lines[-4] == "latest events"


def test_a_failed_task_is_shown_with_its_step() -> None:
    demo = Demo()
    failed = event(demo.d, 3, EventType.TASK_STATUS, "task running → failed: agent crashed",
                   step_id=demo.toc.id, severity=Severity.ERROR,
                   data={"from": "running", "to": "failed"})
    line = event_line(failed, {demo.toc.id: "toc"})
    assert line == (f"{AT.astimezone():%H:%M:%S} ✗ task          toc: task running → failed: "
                    "agent crashed")


def test_completing_shows_the_latest_merge_news_then_the_pull_request() -> None:
    demo = Demo(DirectiveStatus.COMPLETING)
    snapshot = Snapshot(detail=demo.detail())
    assert "  merging the step branches ..." in render_progress(snapshot)
    gate = event(demo.d, 9, EventType.MERGE_GATE, "merge gate green on abc: passed: pytest")
    snapshot = Snapshot(detail=demo.detail(), events=[gate])
    assert "  merge gate green on abc: passed: pytest" in render_progress(snapshot)

    done = Demo(DirectiveStatus.COMPLETED)
    snapshot = Snapshot(detail=done.detail(), pull_request=pull_request(done.d))
    lines = render_progress(snapshot)
    start = lines.index("  pull request #1 (local forge): makima/directive-textkit-1234 → main")
    assert lines[start + 1:start + 3] == [
        "  11 files changed, +181 -1",
        "  http://127.0.0.1:8765/api/v1/directives/x/pull-request",
    ]


def test_a_paused_directive_says_why_in_the_header() -> None:
    demo = Demo(DirectiveStatus.PAUSED)
    demo.d = demo.d.model_copy(update={"status_reason": "merge gate red:\npytest failed",
                                       "runtime": "claude"})
    lines = render_progress(Snapshot(detail=demo.detail()))
    assert lines[1].endswith("· paused (merge gate red: pytest failed) · 0:00 · runtime claude")
    assert lines[2] == "total cost $0.10"


def test_fit_cuts_long_lines_to_the_width() -> None:
    assert fit("abcdef", 10) == "abcdef"
    assert fit("abcdefghijkl", 10) == "abcdefgh…"
    assert len(fit("x" * 300, 80)) == 79


def test_live_screen_redraws_over_its_previous_frame() -> None:
    demo = Demo()
    stream = io.StringIO()
    screen = LiveScreen(stream, size=lambda: os.terminal_size((40, 50)))
    snapshot = Snapshot(detail=demo.detail(), tasks=demo.tasks)
    screen.update(snapshot, [])
    first = stream.getvalue()
    assert first.startswith(ERASE_DOWN)
    drawn = first.count("\n")
    assert drawn == len(render_progress(snapshot))
    assert all(len(line) < 40 for line in first.splitlines())

    screen.finish(snapshot)
    second = stream.getvalue()[len(first):]
    assert second.startswith(CURSOR_UP.format(drawn) + ERASE_DOWN)


def test_live_screen_never_draws_taller_than_the_screen() -> None:
    demo = Demo()
    events = [event(demo.d, i, EventType.MERGE, f"news {i}") for i in range(1, 10)]
    stream = io.StringIO()
    LiveScreen(stream, size=lambda: os.terminal_size((100, 14))).update(
        Snapshot(detail=demo.detail(), events=events), []
    )
    lines = stream.getvalue().removeprefix(ERASE_DOWN).splitlines()
    assert len(lines) == 13
    assert lines[-1].endswith("news 9")  # the newest events are the ones kept


def test_plain_log_appends_new_events_and_ends_with_the_dag() -> None:
    demo = Demo()
    stream = io.StringIO()
    log = PlainLog(stream)
    snapshot = Snapshot(detail=demo.detail(), tasks=demo.tasks)
    quiet = event(demo.d, 1, EventType.STEP_ADDED, "step 'toc' added", step_id=demo.toc.id)
    log.update(snapshot, [quiet, demo.rework_event(2)])
    log.update(snapshot, [])
    log.finish(snapshot)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 + 1 + 5
    assert "REWORK        word-stats: evaluating → pending" in lines[0]
    assert lines[1] == ""
    assert lines[2:] == dag_lines(demo.detail(), demo.tasks)


def test_a_running_step_shows_what_its_agent_did_last() -> None:
    demo = Demo()
    activity = {demo.toc.id: "tool_use Write {\"file_path\": \"textkit/toc.py\"}",
                demo.slug.id: "result done"}  # slugify has passed: not shown
    lines = dag_lines(demo.detail(), demo.tasks, activity)
    toc_row = next(i for i, line in enumerate(lines) if line.startswith("  toc "))
    assert lines[toc_row + 1] == '    ↳ tool_use Write {"file_path": "textkit/toc.py"}'
    assert len(lines) == 6


def test_agent_lines_show_worktree_paths_relative() -> None:
    text = 'Write {"file_path": "/home/u/.makima/daemon/worktrees/2a-b/textkit/slug.py"}'
    assert agent_text("tool_use", text) == 'tool_use Write {"file_path": "textkit/slug.py"}'
    assert agent_text("text", "sleeping\n  2 s") == "text sleeping 2 s"


class FakeOutputApi(ApiClient):
    """Only the output pages: task id → every line its session reported so far."""

    def __init__(self) -> None:
        self.lines: dict[UUID, list[tuple[str, str]]] = {}
        self.reads: list[UUID] = []

    def task_output(
        self, task_id: UUID, *, after_id: int = 0, limit: int | None = None
    ) -> OutputPage:
        self.reads.append(task_id)
        found = [
            OutputEventPublic(id=n, task_id=task_id, seq=n, at=AT, kind=kind, text=text, data={})
            for n, (kind, text) in enumerate(self.lines.get(task_id, []), start=1)
            if n > after_id
        ]
        return OutputPage(output=found, next_after_id=found[-1].id if found else after_id)


def test_agent_activity_reads_each_session_until_once_after_it_ended() -> None:
    demo = Demo()
    api = FakeOutputApi()
    running = task(demo.d, demo.toc, "0", status=TaskStatus.RUNNING)
    queued = task(demo.d, demo.report, "0", status=TaskStatus.QUEUED)
    api.lines[running.id] = [("system", "session started"), ("text", "sleeping 1 s")]
    activity = AgentActivity(api)

    latest, new = activity.poll([running, queued])
    assert latest == {demo.toc.id: "text sleeping 1 s"}
    assert new == [(demo.toc.id, "text sleeping 1 s")]

    api.lines[running.id] += [("tool_use", "Write {}"), ("tool_result", "ok"), ("result", "done")]
    ended = running.model_copy(update={"status": TaskStatus.DONE})
    latest, new = activity.poll([ended, queued])
    assert latest == {}  # nothing runs any more
    assert new == [(demo.toc.id, "tool_use Write {}"), (demo.toc.id, "result done")]
    assert activity.poll([ended, queued]) == ({}, [])
    assert api.reads == [running.id, running.id]  # never the queued one; the ended one once


def test_plain_log_prints_what_the_agents_said() -> None:
    demo = Demo()
    stream = io.StringIO()
    log = PlainLog(stream, now=lambda: datetime(2025, 1, 2, 9, 8, 7))
    snapshot = Snapshot(detail=demo.detail(), agent_lines=[(demo.toc.id, "result x" * 40)])
    log.update(snapshot, [])
    [line] = stream.getvalue().splitlines()
    assert line.startswith("09:08:07   agent         toc: result x")
    assert line.endswith("…") and len(line) < 200
