"""A real daemon running completion tasks: `complete` (merge by code, merge gate, push) and
`resolve_conflicts` (a scripted agent settles a conflicting merge)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import redis

from schemas.enums import ErrorKind, TaskKind
from schemas.messages import RunTask
from schemas.statuses import TaskStatus
from schemas.wire import CANCEL_KEY_TTL_SECONDS, cancel_key
from tests.integration.daemon.support import (
    DaemonProcess,
    Publisher,
    UpdateCollector,
    make_completion_task,
    script,
)
from tests.support.gitrepo import (
    branch_commit,
    commit_parents,
    commit_to_branch,
    files_on,
    git,
    is_ancestor,
    read_file,
)
from workers.conflicts import has_conflict_markers

DIRECTIVE = "makima/directive-demo-1234abcd"
STAGING = f"{DIRECTIVE}-merge"
STEP_A = "makima/step-a-11111111"
STEP_B = "makima/step-b-22222222"
FAIL = (sys.executable, "-c", "import sys; sys.exit(1)")
SLEEP = (sys.executable, "-c", "import time; time.sleep(120)")


def complete_task(origin: Path, merge_refs: tuple[str, ...], branch: str = DIRECTIVE,
                  **fields: Any) -> RunTask:
    fields.setdefault("diff_base_ref", "main")
    return make_completion_task(origin, TaskKind.COMPLETE, merge_refs, branch, **fields)


def test_complete_merges_the_steps_gates_and_pushes(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, STEP_A, {"a.txt": "from a\n"})
    commit_to_branch(origin, STEP_B, {"b.txt": "from b\n", "README.md": "# demo\nmore\n"})
    task = complete_task(origin, (STEP_A, STEP_B), runtime="no-such-runtime",
                         verifier_commands=(("test", "-f", "a.txt"), ("test", "-f", "b.txt")))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE, finished
    assert (finished.error_kind, finished.pushed, finished.changed) == (None, True, True)
    assert finished.branch == DIRECTIVE
    assert finished.commit == branch_commit(origin, DIRECTIVE)
    assert {"a.txt", "b.txt", "README.md", "shared.txt"} == files_on(origin, DIRECTIVE)
    assert read_file(origin, DIRECTIVE, "README.md") == "# demo\nmore"
    # Two merge commits, made with --no-ff in the order given.
    subjects = git(origin, "log", "--merges", "--format=%s", f"refs/heads/{DIRECTIVE}")
    assert subjects.splitlines() == [f"makima: merge {STEP_B} into {DIRECTIVE}",
                                     f"makima: merge {STEP_A} into {DIRECTIVE}"]
    stats = finished.diff_stats
    assert (stats.files_changed, stats.insertions, stats.deletions) == (3, 3, 0)
    assert [(v.name, v.passed) for v in finished.verifier_results] == [
        ("test -f a.txt", True), ("test -f b.txt", True)]
    assert (finished.cost_usd, finished.turns, finished.session_id) == (0.0, 0, None)
    assert not collector.output_events(task.task_id)  # no agent


def test_a_red_merge_gate_leaves_the_directive_branch_alone(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, STEP_A, {"a.txt": "from a\n"})
    task = complete_task(origin, (STEP_A,), verifier_commands=(FAIL,))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind) == (TaskStatus.DONE, None)
    assert (finished.pushed, finished.branch, finished.changed) == (False, None, True)
    assert [(v.exit_code, v.passed) for v in finished.verifier_results] == [(1, False)]
    assert finished.commit is not None and finished.diff_stats.files_changed == 1
    assert branch_commit(origin, DIRECTIVE) is None
    assert finished.result_text is not None and "merge gate red" in finished.result_text


def test_conflicting_steps_fail_the_complete_task_with_the_files(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, STEP_A, {"shared.txt": "from a\n"})
    commit_to_branch(origin, STEP_B, {"shared.txt": "from b\n", "b.txt": "b\n"})
    task = complete_task(origin, (STEP_A, STEP_B))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED,
                                                      ErrorKind.MERGE_CONFLICT)
    assert finished.conflict is not None
    assert (finished.conflict.base_ref, finished.conflict.merging_ref,
            finished.conflict.files) == ("main", STEP_B, ("shared.txt",))
    assert finished.pushed is False and finished.verifier_results == ()
    assert branch_commit(origin, DIRECTIVE) is None


def test_complete_onto_an_existing_directive_branch_fast_forwards_it(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    """A later round: the directive branch holds step A; step C was built on that branch."""
    commit_to_branch(origin, STEP_A, {"a.txt": "from a\n"})
    first = complete_task(origin, (STEP_A,))
    publisher.publish(first)
    assert collector.wait_finished(first.task_id).pushed is True
    old_tip = branch_commit(origin, DIRECTIVE)
    assert old_tip is not None
    commit_to_branch(origin, "makima/step-c-33333333", {"c.txt": "from c\n"}, base=DIRECTIVE)
    task = complete_task(origin, (STEP_A, "makima/step-c-33333333"), base_ref=DIRECTIVE)
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.pushed, finished.changed) == (TaskStatus.DONE, True, True)
    new_tip = branch_commit(origin, DIRECTIVE)
    assert finished.commit == new_tip and new_tip != old_tip
    assert is_ancestor(origin, old_tip, DIRECTIVE)
    assert {"a.txt", "c.txt"} <= files_on(origin, DIRECTIVE)
    # Measured against the pull request's base (main), not against the old tip.
    assert finished.diff_stats.files_changed == 2


def test_a_directive_branch_that_moved_elsewhere_refuses_the_push(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    foreign = commit_to_branch(origin, DIRECTIVE, {"other.txt": "someone else\n"})
    commit_to_branch(origin, STEP_A, {"a.txt": "from a\n"})
    task = complete_task(origin, (STEP_A,))  # from main: not a fast-forward of DIRECTIVE
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind, finished.pushed) == (
        TaskStatus.FAILED, ErrorKind.PUSH, False)
    assert finished.error_detail is not None and "rejected" in finished.error_detail
    assert branch_commit(origin, DIRECTIVE) == foreign


def test_cancel_and_time_limit_stop_the_merge_gate(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    redis_client: redis.Redis[bytes], origin: Path,
) -> None:
    commit_to_branch(origin, STEP_A, {"a.txt": "from a\n"})
    cancelled = complete_task(origin, (STEP_A,), verifier_commands=(SLEEP,))
    timed_out = complete_task(origin, (STEP_A,), verifier_commands=(SLEEP,), timeout_seconds=2,
                              branch=f"{DIRECTIVE}-2")
    publisher.publish(cancelled)
    publisher.publish(timed_out)
    redis_client.set(cancel_key(str(cancelled.task_id)), "1", ex=CANCEL_KEY_TTL_SECONDS)
    one = collector.wait_finished(cancelled.task_id)
    two = collector.wait_finished(timed_out.task_id)
    assert (one.status, one.error_kind, one.pushed) == (TaskStatus.CANCELLED,
                                                        ErrorKind.CANCELLED, False)
    assert (two.status, two.error_kind, two.pushed) == (TaskStatus.TIMED_OUT,
                                                        ErrorKind.TIMEOUT, False)
    assert branch_commit(origin, DIRECTIVE) is None
    assert branch_commit(origin, f"{DIRECTIVE}-2") is None


def conflicting_steps(origin: Path) -> None:
    commit_to_branch(origin, STEP_A, {"shared.txt": "from a\n", "a.txt": "a\n"})
    commit_to_branch(origin, STEP_B, {"shared.txt": "from b\n", "b.txt": "b\n"})


def resolve_task(origin: Path, *actions: str, attempt: int = 1) -> RunTask:
    return make_completion_task(origin, TaskKind.RESOLVE_CONFLICTS, (STEP_A, STEP_B), STAGING,
                                prompt=script(*actions), run_verifiers=False, attempt=attempt)


def test_a_resolution_is_pushed_to_the_staging_branch_and_the_gate_follows(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    conflicting_steps(origin)
    resolve = json.dumps({"write": {"path": "shared.txt", "content": "from a\nfrom b\n"}})
    task = resolve_task(origin, resolve, '{"say": "kept both"}')
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE, finished
    assert (finished.pushed, finished.branch, finished.result_text) == (True, STAGING,
                                                                        "kept both")
    assert finished.commit == branch_commit(origin, STAGING)
    assert read_file(origin, STAGING, "shared.txt") == "from a\nfrom b"
    assert {"a.txt", "b.txt"} <= files_on(origin, STAGING)
    assert not has_conflict_markers(read_file(origin, STAGING, "shared.txt"))
    assert len(commit_parents(origin, STAGING)) == 2  # the merge commit itself
    subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{STAGING}")
    assert subject == f"makima: resolve conflicts merging {STEP_B}"
    assert finished.verifier_results == ()
    assert branch_commit(origin, f"{STAGING}-unresolved-1") is None
    # The round goes on: the next complete task starts from the staging branch.
    gate = complete_task(origin, (STEP_A, STEP_B), base_ref=STAGING,
                         verifier_commands=(("test", "-f", "b.txt"),))
    publisher.publish(gate)
    completed = collector.wait_finished(gate.task_id)
    assert (completed.status, completed.pushed) == (TaskStatus.DONE, True), completed
    assert branch_commit(origin, DIRECTIVE) == branch_commit(origin, STAGING)


def test_markers_left_by_the_agent_fail_and_go_to_a_side_branch(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    conflicting_steps(origin)
    notes = json.dumps({"write": {"path": "NOTES.md", "content": "Notes\n=======\n"}})
    task = resolve_task(origin, notes, attempt=2)
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    side = f"{STAGING}-unresolved-2"
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED,
                                                      ErrorKind.MERGE_CONFLICT)
    assert (finished.pushed, finished.branch) == (False, side)
    assert finished.conflict is not None and finished.conflict.files == ("shared.txt",)
    assert finished.conflict.merging_ref == STEP_B
    assert finished.error_detail is not None
    assert "shared.txt" in finished.error_detail and side in finished.error_detail
    assert branch_commit(origin, STAGING) is None
    assert finished.commit == branch_commit(origin, side)
    assert has_conflict_markers(read_file(origin, side, "shared.txt"))
    assert read_file(origin, side, "NOTES.md") == "Notes\n======="
    subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{side}")
    assert subject == f"makima: unresolved conflicts merging {STEP_B} (attempt 2)"


def test_an_agent_that_aborts_the_merge_does_not_pass_for_a_resolution(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    conflicting_steps(origin)
    task = resolve_task(origin, '{"run": ["git", "merge", "--abort"], "check": true}')
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED,
                                                      ErrorKind.MERGE_CONFLICT)
    assert finished.error_detail is not None and "abandoned" in finished.error_detail
    assert branch_commit(origin, STAGING) is None


def test_nothing_to_resolve_pushes_the_clean_merge_without_an_agent(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, STEP_A, {"a.txt": "a\n"})
    commit_to_branch(origin, STEP_B, {"b.txt": "b\n"})
    task = resolve_task(origin, '{"fail": "the agent must not run"}')
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.pushed, finished.branch) == (TaskStatus.DONE, True,
                                                                   STAGING), finished
    assert finished.result_text is not None and "no conflict" in finished.result_text
    assert {"a.txt", "b.txt"} <= files_on(origin, STAGING)
    assert not collector.output_events(task.task_id)
