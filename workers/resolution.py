"""`resolve_conflicts` tasks: an agent settles the merge conflict left in its worktree.

The worktree is prepared like an execute task's, except that the first conflicting merge
of `merge_refs` is left in place and the conflicted files are recorded (the worktree's
meta) before the agent starts. The agent runs as for an execute task. Then the daemon
stages everything and checks the result:

- no recorded file still holds a conflict marker line (workers.conflicts),
- git reports no unmerged path,
- the commit being merged is in the result (an agent that aborted or reset the merge lost it).

A successful session with a clean result is committed (`makima: resolve conflicts merging
<ref>`: the merge commit) and pushed, forced, to `branch` (the staging branch, which holds
the latest resolution): `pushed=True`. Anything else is committed and pushed to the side
branch `<branch>-unresolved-<attempt>`, so the work is never lost and the staging branch
only ever holds a checked resolution: a conflict left ends `failed` / `merge_conflict`
with the files named (also in `conflict`); a failed or stopped session keeps its own status.

When every merge goes through cleanly (nothing left to resolve), no agent is started and
the merged result is pushed to the staging branch as it is.

Verifiers run only when `run_verifiers` (the orchestrator sends false: the complete task
that follows gates the whole result), on a resolution bound for the staging branch; they
are reported, they do not decide where it is pushed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.enums import ErrorKind
from schemas.messages import MergeConflict, RunTask, TaskFinished, VerifierResult
from schemas.statuses import TaskStatus
from workers.conflicts import files_with_conflict_markers, unresolved_branch_name
from workers.errors import DaemonError
from workers.outcomes import status_of
from workers.runtimes.base import AgentOutcome, Runtime
from workers.worktrees import Worktree, commit_subject

if TYPE_CHECKING:
    from workers.session import Session

NOTHING_TO_RESOLVE = "every branch merged cleanly: no conflict to resolve, no agent was started"


def run_resolution(session: Session, runtime: Runtime, worktree: Worktree) -> TaskFinished:
    """Run the agent on the conflicted worktree, then push the resolution or keep it aside."""
    conflict = worktree.meta.conflict
    if conflict is None:
        return conclude(session, worktree, runtime.name, AgentOutcome(
            result_text=NOTHING_TO_RESOLVE), None, None)
    merging = worktree.merge_head()
    outcome = session.run_agent_safely(runtime, worktree)
    return conclude(session, worktree, runtime.name, outcome, conflict, merging)


def remaining_problems(worktree: Worktree, conflict: MergeConflict | None,
                       merging: str | None) -> tuple[tuple[str, ...], list[str]]:
    """(files still conflicted, what is wrong) after staging; both empty when resolved."""
    if conflict is None:
        return (), []
    marked = files_with_conflict_markers(worktree.path, conflict.files)
    unmerged = worktree.unmerged_files()
    problems: list[str] = []
    if marked:
        problems.append(f"conflict markers remain in {', '.join(marked)}")
    if unmerged:
        problems.append(f"git still reports unmerged paths: {', '.join(unmerged)}")
    if merging is not None and worktree.merge_head() != merging and not worktree.contains(
            merging):
        problems.append(f"the merge of {conflict.merging_ref} was abandoned (its commit is "
                        "not in the result)")
    files = tuple(dict.fromkeys((*marked, *unmerged))) or (conflict.files if problems else ())
    return files, problems


def resolution_message(task: RunTask, runtime: str, conflict: MergeConflict | None,
                       outcome: AgentOutcome, resolved: bool) -> str:
    ref = commit_subject(conflict.merging_ref if conflict else task.step_name, 120)
    subject = (f"makima: resolve conflicts merging {ref}" if resolved else
               f"makima: unresolved conflicts merging {ref} (attempt {task.attempt})")
    files = ", ".join(conflict.files) if conflict else "none"
    session = "done" if outcome.succeeded else f"{outcome.error_kind}"
    return (f"{subject}\n\nConflicted files: {commit_subject(files, 400)}\n"
            f"Task: {task.task_id} ({task.kind.value}, attempt {task.attempt})\n"
            f"Runtime: {runtime}\nSession: {session}\n")


def conclude(session: Session, worktree: Worktree, runtime: str, outcome: AgentOutcome,
             conflict: MergeConflict | None, merging: str | None) -> TaskFinished:
    task = session.task
    succeeded = outcome.succeeded  # a stopped session is not a successful one
    try:
        worktree.stage_all()
        files, problems = remaining_problems(worktree, conflict, merging)
        to_staging = succeeded and not problems
        worktree.commit_all(resolution_message(task, runtime, conflict, outcome, to_staging))
        commit = worktree.head()
        changed, diff_stats = worktree.changed(), worktree.diff_stats()
        target = task.branch if to_staging else unresolved_branch_name(task.branch, task.attempt)
        verifiers: tuple[VerifierResult, ...] = ()
        if to_staging and task.run_verifiers:
            verifiers = session.verify(worktree)
        worktree.push(commit, target)
    except DaemonError as exc:
        return session.keep_unpushed(worktree, exc, outcome)
    session.discard(worktree)
    fields = {"branch": target, "commit": commit, "changed": changed, "pushed": to_staging,
              "diff_stats": diff_stats, "verifier_results": verifiers,
              **session.agent_fields(outcome)}
    if to_staging:
        if session.stop.reason is not None:
            return session.stopped("stopped while verifying the resolution", **fields)
        return session.finished(TaskStatus.DONE, **fields)
    details = [] if succeeded else [outcome.error_detail or f"session {outcome.error_kind}"]
    details += problems
    details.append(f"the attempt was pushed to {target}; {task.branch} was left as it was")
    left = (MergeConflict(base_ref=conflict.base_ref, merging_ref=conflict.merging_ref,
                          files=files) if conflict is not None and problems else None)
    status, kind = status_of(outcome), outcome.error_kind
    if left is not None and outcome.stopped is None:  # a stopped session keeps its status
        status, kind = TaskStatus.FAILED, ErrorKind.MERGE_CONFLICT
    return session.finished(status, error_kind=kind, error_detail="; ".join(details),
                            conflict=left, **fields)
