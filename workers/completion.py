"""`complete` tasks: merge the step branches by code, run the merge gate, push if it is green.

No agent runs (RunTask.runtime is ignored). The worktree starts from `base_ref` (the
directive branch tip, its staging branch, or the base branch) and every `merge_refs` entry
is merged in order with `--no-ff`; a conflict ends the task `failed` / `merge_conflict`
with the `conflict` report. The verifiers then run on the merged result, exactly as for an
execute task (auto-detected ones when `auto_verifiers`, then `verifier_commands`; none when
`run_verifiers` is false): that is the merge gate. Only a green gate (an empty one is
green) pushes the merged HEAD to `branch`, without force: the base was that branch's
fetched tip or a branch built on it, so the push is a fast-forward, and a branch that moved
meanwhile is refused rather than rewound (`failed` / `push`). A red gate ends `done` with
`pushed=False`; the verifier results say why and the branch is left as it was.

The task's time limit covers the whole task; cancel, the time limit and daemon shutdown
stop the gate's commands and nothing is pushed. The checkout is always removed at the end:
it holds merges by code only, which the next task redoes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemas.messages import TaskFinished, VerifierResult
from schemas.statuses import TaskStatus
from workers.errors import DaemonError, MergeConflictError
from workers.worktrees import Worktree

if TYPE_CHECKING:
    from workers.session import Session


def run_complete(session: Session) -> TaskFinished:
    """Merge, gate, push; never raises for a task's failure."""
    task = session.task
    session.watcher.arm_deadline(task.timeout_seconds)
    try:
        try:
            worktree = session.ctx.worktrees.prepare(task)
        except MergeConflictError as exc:
            return session.failed(exc.kind, exc.detail, exc.conflict)
        except DaemonError as exc:
            return session.failed(exc.kind, exc.detail)
        try:
            return gate_and_push(session, worktree)
        except DaemonError as exc:
            return session.failed(exc.kind, exc.detail)
        finally:
            session.discard(worktree)
    finally:
        session.watcher.disarm_deadline()


def merged_report(worktree: Worktree) -> dict[str, Any]:
    """commit, changed and diff stats of the merged result (the same whatever the gate says).

    `changed` compares with what `base_ref` resolved to; the diff stats are measured from
    the merge base with `diff_base_ref` (the pull request's base branch) when it is given.
    """
    meta = worktree.meta
    base = meta.base_commit or meta.start_commit
    since = base
    if meta.diff_base_commit is not None:
        since = worktree.merge_base(meta.diff_base_commit) or base
    commit = worktree.head()
    return {"commit": commit, "changed": commit != base,
            "diff_stats": worktree.diff_stats(since=since)}


def gate_and_push(session: Session, worktree: Worktree) -> TaskFinished:
    task = session.task
    report = merged_report(worktree)
    merged = (f"merged {len(task.merge_refs)} branch(es) onto {task.base_ref} "
              f"({report['commit'][:12]})")
    if session.stop.reason is not None:
        return session.stopped(f"{merged}; stopped before the merge gate ran", **report)
    verifiers: tuple[VerifierResult, ...] = session.verify(worktree) if task.run_verifiers else ()
    if session.stop.reason is not None:
        return session.stopped(f"{merged}; stopped while the merge gate ran",
                               verifier_results=verifiers, **report)
    failing = [v.name for v in verifiers if not v.passed]
    if failing:
        return session.finished(
            TaskStatus.DONE, verifier_results=verifiers, **report,
            result_text=f"{merged}; merge gate red ({', '.join(failing)} failed): "
                        f"{task.branch} was left as it was")
    try:
        worktree.push(report["commit"], force=False)
    except DaemonError as exc:
        return session.finished(
            TaskStatus.FAILED, error_kind=exc.kind, verifier_results=verifiers, **report,
            error_detail=f"{merged}; the merge gate passed but the push to {task.branch} "
                         f"was refused: {exc.detail}")
    return session.finished(
        TaskStatus.DONE, branch=task.branch, pushed=True, verifier_results=verifiers, **report,
        result_text=f"{merged}; merge gate passed ({len(verifiers)} verifier(s)); "
                    f"pushed to {task.branch}")
