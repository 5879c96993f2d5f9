"""One task, end to end: worktree, agent session, commit, verifiers, push, report.

Whatever happens to the agent (success, failure, time limit, cancel, crash, even a bug in
a runtime), the work it did is committed with a message naming the step and attempt and
pushed to the task's branch before the worktree is removed. If the push itself fails, the
worktree stays on disk and is salvaged at the next start of a daemon on this work
directory, so work never lives only in a worktree that gets deleted.

`Session.run` dispatches on the kind: plan, execute and evaluate tasks are concluded here;
`complete` tasks (no agent) run in workers.completion and `resolve_conflicts` tasks end in
workers.resolution.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import sysconfig
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from schemas.enums import ErrorKind, TaskKind
from schemas.messages import MergeConflict, RunTask, TaskFinished, VerifierResult
from schemas.statuses import TaskStatus
from workers.completion import run_complete
from workers.config import DaemonSettings
from workers.errors import DaemonError, MergeConflictError
from workers.outcomes import STOPPED_STATUS, status_of
from workers.processes import StopSignal
from workers.reporter import Publisher, TaskReporter, now
from workers.resolution import run_resolution
from workers.runtimes.base import AgentOutcome, AgentRequest, Runtime, clip
from workers.verifiers import custom_verifiers, detect_verifiers, run_verifier
from workers.watcher import TaskWatcher
from workers.worktrees import Worktree, WorktreeManager, commit_subject

log = logging.getLogger(__name__)

MAX_DETAIL_CHARS = 4000
MAX_RESULT_CHARS = 16000


class RunningTasks:
    """The ids of the tasks this daemon runs right now (for its heartbeat)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[UUID] = set()

    def add(self, task_id: UUID) -> None:
        with self._lock:
            self._ids.add(task_id)

    def discard(self, task_id: UUID) -> None:
        with self._lock:
            self._ids.discard(task_id)

    def snapshot(self) -> tuple[UUID, ...]:
        with self._lock:
            return tuple(sorted(self._ids, key=str))


@dataclass
class DaemonContext:
    """What every session of one daemon shares."""

    settings: DaemonSettings
    publisher: Publisher
    runtimes: Mapping[str, Runtime]
    worktrees: WorktreeManager
    is_cancelled: Callable[[UUID], bool]
    shutdown: threading.Event = field(default_factory=threading.Event)
    running: RunningTasks = field(default_factory=RunningTasks)


def base_environment() -> dict[str, str]:
    """The daemon's environment without its own MAKIMA_* settings (broker URL and such)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("MAKIMA_")}


def agent_environment(task: RunTask) -> dict[str, str]:
    """The agent's environment: task-scoped makima credentials and the makima CLI on PATH."""
    env = base_environment()
    env.update({
        "MAKIMA_URL": task.api_url,
        "MAKIMA_API_KEY": task.api_token,
        "MAKIMA_DIRECTIVE_ID": str(task.directive_id),
        "MAKIMA_TASK_ID": str(task.task_id),
        "MAKIMA_TASK_KIND": task.kind.value,
        "MAKIMA_ATTEMPT": str(task.attempt),
    })
    if task.step_id is not None:
        env["MAKIMA_STEP_ID"] = str(task.step_id)
    bin_dirs = dict.fromkeys([sysconfig.get_path("scripts"), str(Path(sys.executable).parent)])
    env["PATH"] = os.pathsep.join([*bin_dirs, env.get("PATH", os.defpath)])
    return env


def commit_message(task: RunTask, runtime: str, outcome: AgentOutcome) -> str:
    result = "done" if outcome.succeeded else f"{status_of(outcome).value} ({outcome.error_kind})"
    return (
        f"makima: {commit_subject(task.step_name)} (attempt {task.attempt})\n\n"
        f"Step: {commit_subject(task.step_name, 200)}\n"
        f"Task: {task.task_id} ({task.kind.value}, attempt {task.attempt})\n"
        f"Runtime: {runtime}\n"
        f"Session: {result}\n"
    )


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else clip(text, limit)


class Session:
    def __init__(self, ctx: DaemonContext, task: RunTask, reporter: TaskReporter,
                 stop: StopSignal, watcher: TaskWatcher) -> None:
        self.ctx = ctx
        self.task = task
        self.reporter = reporter
        self.stop = stop
        self.watcher = watcher

    def finished(self, status: TaskStatus, **fields: Any) -> TaskFinished:
        fields["error_detail"] = _clip(fields.get("error_detail"), MAX_DETAIL_CHARS)
        fields["result_text"] = _clip(fields.get("result_text"), MAX_RESULT_CHARS)
        return TaskFinished(task_id=self.task.task_id, attempt=self.task.attempt,
                            daemon=self.ctx.settings.name, at=now(), status=status, **fields)

    def failed(self, kind: ErrorKind, detail: str,
               conflict: MergeConflict | None = None) -> TaskFinished:
        return self.finished(TaskStatus.FAILED, error_kind=kind, error_detail=detail,
                             conflict=conflict)

    def stopped(self, detail: str, **fields: Any) -> TaskFinished:
        """The report of a task the watcher stopped (cancel, time limit, daemon shutdown)."""
        assert self.stop.reason is not None
        status, kind = STOPPED_STATUS[self.stop.reason]
        return self.finished(status, error_kind=kind,
                             error_detail=f"{detail}: {self.stop.reason}", **fields)

    def run(self) -> TaskFinished:
        task = self.task
        if task.kind == TaskKind.COMPLETE:
            return run_complete(self)
        runtime = self.ctx.runtimes.get(task.runtime)
        if runtime is None:
            offered = ", ".join(sorted(self.ctx.runtimes)) or "none"
            return self.failed(ErrorKind.RUNTIME_UNAVAILABLE,
                               f"runtime {task.runtime!r} is not available on daemon "
                               f"{self.ctx.settings.name} (it offers: {offered})")
        try:
            worktree = self.ctx.worktrees.prepare(task)
        except MergeConflictError as exc:
            return self.failed(exc.kind, exc.detail, exc.conflict)
        except DaemonError as exc:
            return self.failed(exc.kind, exc.detail)
        if task.kind == TaskKind.RESOLVE_CONFLICTS:
            return run_resolution(self, runtime, worktree)
        return self.conclude(worktree, runtime.name, self.run_agent_safely(runtime, worktree))

    def run_agent_safely(self, runtime: Runtime, worktree: Worktree) -> AgentOutcome:
        """The agent's outcome; a runtime that raises is a failed session (its work is kept)."""
        try:
            return self.run_agent(runtime, worktree)
        except Exception as exc:
            log.exception("runtime %s failed on task %s", runtime.name, self.task.task_id)
            return AgentOutcome(ErrorKind.INTERNAL, f"runtime {runtime.name} raised: {exc!r}")

    def run_agent(self, runtime: Runtime, worktree: Worktree) -> AgentOutcome:
        if self.stop.reason is not None:  # cancelled while the worktree was prepared
            kind = STOPPED_STATUS[self.stop.reason][1]
            return AgentOutcome(kind, f"stopped before the agent started: {self.stop.reason}",
                                stopped=self.stop.reason)
        scratch = self.ctx.settings.work_dir / "tmp" / str(self.task.task_id)
        scratch.mkdir(parents=True, exist_ok=True)
        request = AgentRequest(
            task_id=self.task.task_id,
            attempt=self.task.attempt,
            prompt=self.task.prompt,
            cwd=worktree.path,
            env=agent_environment(self.task),
            system_prompt=self.task.system_prompt,
            model=self.task.model,
            max_turns=self.task.max_turns,
            resume_session_id=self.task.resume_session_id,
            scratch_dir=scratch,
            on_process=lambda pid: worktree.save_meta(agent_pgid=pid),
        )
        self.watcher.arm_deadline(self.task.timeout_seconds)
        try:
            return runtime.run(request, self.reporter.event, self.stop)
        finally:
            self.watcher.disarm_deadline()
            shutil.rmtree(scratch, ignore_errors=True)

    def verify(self, worktree: Worktree) -> tuple[VerifierResult, ...]:
        specs = detect_verifiers(worktree.path) if self.task.auto_verifiers else []
        specs += custom_verifiers(self.task.verifier_commands)
        settings = self.ctx.settings
        return tuple(
            run_verifier(spec, cwd=worktree.path, env=base_environment(),
                         timeout=settings.verifier_timeout_seconds, stop=self.stop,
                         kill_grace_seconds=settings.kill_grace_seconds)
            for spec in specs
        )

    def agent_fields(self, outcome: AgentOutcome) -> dict[str, Any]:
        return {"cost_usd": outcome.cost_usd, "turns": outcome.turns,
                "session_id": outcome.session_id, "result_text": outcome.result_text}

    def keep_unpushed(self, worktree: Worktree, exc: DaemonError,
                      outcome: AgentOutcome) -> TaskFinished:
        """A commit or push failed: the worktree stays for salvage at the next daemon start."""
        worktree.release()
        log.error("task %s: %s; work kept in %s", self.task.task_id, exc.detail, worktree.path)
        return self.failed(exc.kind, f"{exc.detail} (session: {status_of(outcome).value}; the "
                           f"work stays in {worktree.path} on daemon {self.ctx.settings.name} "
                           "and is pushed when that daemon restarts)")

    def discard(self, worktree: Worktree) -> None:
        """Remove a worktree whose work is pushed (or holds none), then give its slot back."""
        try:
            worktree.remove()
        except DaemonError as exc:  # a leftover directory loses nothing
            log.warning("task %s: could not remove %s: %s", self.task.task_id, worktree.path,
                        exc.detail)
        finally:
            worktree.release()

    def conclude(self, worktree: Worktree, runtime: str, outcome: AgentOutcome) -> TaskFinished:
        """Commit, verify, push, clean up; the worktree is removed only after the push."""
        task = self.task
        status = status_of(outcome)
        try:
            worktree.commit_all(commit_message(task, runtime, outcome))
            commit = worktree.head()
            changed, diff_stats = worktree.changed(), worktree.diff_stats()
            verifiers: tuple[VerifierResult, ...] = ()
            if status == TaskStatus.DONE and task.run_verifiers:
                verifiers = self.verify(worktree)
            worktree.push(commit)
        except DaemonError as exc:
            return self.keep_unpushed(worktree, exc, outcome)
        self.discard(worktree)
        error_kind, error_detail = outcome.error_kind, outcome.error_detail
        if status == TaskStatus.DONE and self.stop.reason is not None:
            status, error_kind = STOPPED_STATUS[self.stop.reason]
            error_detail = f"stopped while verifying: {self.stop.reason}"
        return self.finished(status, error_kind=error_kind, error_detail=error_detail,
                             branch=worktree.meta.branch, commit=commit, changed=changed,
                             pushed=True, diff_stats=diff_stats, verifier_results=verifiers,
                             **self.agent_fields(outcome))


def run_task(ctx: DaemonContext, task: RunTask) -> TaskFinished:
    """Run one task and report everything about it; never raises for a task's failure."""
    reporter = TaskReporter(ctx.publisher, task, ctx.settings.name,
                            ctx.settings.output_flush_seconds)
    stop = StopSignal()
    watcher = TaskWatcher(
        reporter=reporter,
        stop=stop,
        is_cancelled=lambda: ctx.is_cancelled(task.task_id),
        shutdown=ctx.shutdown,
        heartbeat_seconds=ctx.settings.heartbeat_seconds,
        cancel_poll_seconds=ctx.settings.cancel_poll_seconds,
    )
    ctx.running.add(task.task_id)
    reporter.started()
    watcher.start()
    try:
        finished = Session(ctx, task, reporter, stop, watcher).run()
    except Exception as exc:
        log.exception("task %s failed inside the daemon", task.task_id)
        finished = TaskFinished(task_id=task.task_id, attempt=task.attempt,
                                daemon=ctx.settings.name, at=now(), status=TaskStatus.FAILED,
                                error_kind=ErrorKind.INTERNAL,
                                error_detail=f"daemon error: {exc!r}"[:MAX_DETAIL_CHARS])
    finally:
        watcher.close()
        ctx.running.discard(task.task_id)
    reporter.finished(finished)
    return finished
