"""Worktrees against real git repositories: prepare, merge, commit, push, salvage."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from schemas.enums import ErrorKind, TaskKind
from schemas.messages import RunTask
from schemas.naming import step_branch_name
from tests.support.gitrepo import (
    branch_commit,
    commit_to_branch,
    files_on,
    git,
    make_origin,
    read_file,
)
from workers.errors import GitError, MergeConflictError
from workers.gitops import validate_branch_name
from workers.locks import FileLock
from workers.worktrees import WorktreeManager, commit_subject


def run_task(origin: Path, **fields: object) -> RunTask:
    step_id = uuid.uuid4()
    values: dict[str, object] = {
        "task_id": uuid.uuid4(), "attempt": 1, "kind": TaskKind.EXECUTE,
        "directive_id": uuid.uuid4(), "step_id": step_id, "step_name": "Do the thing",
        "repository": str(origin), "base_ref": "main",
        "branch": step_branch_name("Do the thing", step_id), "prompt": "p",
        "runtime": "scripted", "timeout_seconds": 60, "api_url": "http://x", "api_token": "t",
    }
    values.update(fields)
    return RunTask.model_validate(values)


@pytest.fixture()
def origin(tmp_path: Path) -> Path:
    return make_origin(tmp_path / "remote", {"README.md": "hello\n", "shared.txt": "base\n"})


@pytest.fixture()
def manager(tmp_path: Path) -> WorktreeManager:
    return WorktreeManager(tmp_path / "daemon")


def test_prepare_commit_push_remove(origin: Path, manager: WorktreeManager) -> None:
    task = run_task(origin)
    worktree = manager.prepare(task)
    assert worktree.path == manager.trees_dir / str(task.step_id)  # stable per step
    assert (worktree.path / "README.md").read_text() == "hello\n"
    (worktree.path / "new.txt").write_text("agent work\n")
    (worktree.path / "README.md").write_text("changed\n")
    assert worktree.commit_all("makima: Do the thing (attempt 1)") is True
    assert worktree.changed()
    stats = worktree.diff_stats()
    assert (stats.files_changed, stats.insertions, stats.deletions) == (2, 2, 1)
    commit = worktree.head()
    worktree.push(commit)
    worktree.remove()
    worktree.release()
    assert branch_commit(origin, task.branch) == commit
    assert read_file(origin, task.branch, "new.txt") == "agent work"
    assert git(origin, "log", "-1", "--format=%s", f"refs/heads/{task.branch}") == (
        "makima: Do the thing (attempt 1)")
    assert not worktree.path.exists() and not worktree.meta_path.exists()


def test_nothing_changed_still_pushes_the_base(origin: Path, manager: WorktreeManager) -> None:
    task = run_task(origin)
    worktree = manager.prepare(task)
    assert worktree.commit_all("nothing") is False
    assert not worktree.changed()
    assert worktree.diff_stats().files_changed == 0
    worktree.push(worktree.head())
    worktree.remove()
    worktree.release()
    assert branch_commit(origin, task.branch) == branch_commit(origin, "main")


def test_agent_commits_count_as_changes(origin: Path, manager: WorktreeManager) -> None:
    worktree = manager.prepare(run_task(origin))
    (worktree.path / "a.txt").write_text("a")
    git(worktree.path, "add", "a.txt")
    git(worktree.path, "commit", "-qm", "agent's own commit")
    assert worktree.commit_all("nothing left") is False
    assert worktree.changed()
    worktree.release()


def test_clean_merge_of_dependency_branches(origin: Path, manager: WorktreeManager) -> None:
    commit_to_branch(origin, "makima/dep-a-11111111", {"a.txt": "from a\n"})
    commit_to_branch(origin, "makima/dep-b-22222222", {"b.txt": "from b\n"})
    task = run_task(origin, base_ref="makima/dep-a-11111111",
                    merge_refs=("makima/dep-b-22222222",))
    worktree = manager.prepare(task)
    assert (worktree.path / "a.txt").exists() and (worktree.path / "b.txt").exists()
    assert not worktree.changed()  # merges happened before the agent: not its changes
    worktree.push(worktree.head())
    worktree.remove()
    worktree.release()
    assert {"a.txt", "b.txt"} <= files_on(origin, task.branch)


def test_conflicting_merge_names_branches_and_files(origin: Path, manager: WorktreeManager,
                                                    ) -> None:
    commit_to_branch(origin, "makima/left-11111111", {"shared.txt": "left\n", "l.txt": "l"})
    commit_to_branch(origin, "makima/right-22222222", {"shared.txt": "right\n"})
    task = run_task(origin, base_ref="makima/left-11111111",
                    merge_refs=("makima/right-22222222",))
    with pytest.raises(MergeConflictError) as caught:
        manager.prepare(task)
    conflict = caught.value.conflict
    assert conflict.base_ref == "makima/left-11111111"
    assert conflict.merging_ref == "makima/right-22222222"
    assert conflict.files == ("shared.txt",)
    assert caught.value.kind == ErrorKind.MERGE_CONFLICT
    assert not (manager.trees_dir / str(task.step_id)).exists()
    assert branch_commit(origin, task.branch) is None  # nothing pushed
    # The slot is free again.
    lock = FileLock(manager.trees_dir / f"{task.step_id}.lock")
    assert lock.acquire(blocking=False)
    lock.release()


def test_resolve_conflicts_task_keeps_the_conflict_for_its_agent(
    origin: Path, manager: WorktreeManager
) -> None:
    commit_to_branch(origin, "makima/left-11111111", {"shared.txt": "left\n"})
    commit_to_branch(origin, "makima/right-22222222", {"shared.txt": "right\n"})
    task = run_task(origin, kind=TaskKind.RESOLVE_CONFLICTS, base_ref="makima/left-11111111",
                    merge_refs=("makima/right-22222222",))
    worktree = manager.prepare(task)
    assert "<<<<<<<" in (worktree.path / "shared.txt").read_text()
    (worktree.path / "shared.txt").write_text("both\n")
    assert worktree.commit_all("resolved") is True
    parents = git(worktree.path, "log", "-1", "--format=%P").split()
    assert len(parents) == 2  # the commit concluded the merge
    worktree.release()


def test_missing_base_branch_is_a_worktree_error(origin: Path, manager: WorktreeManager) -> None:
    with pytest.raises(GitError, match="not found") as caught:
        manager.prepare(run_task(origin, base_ref="no-such-branch"))
    assert caught.value.kind == ErrorKind.WORKTREE


@pytest.mark.parametrize("name", ["-rf", "a..b", "x.lock", "has space", "a~b", "", "/x", "a//b"])
def test_invalid_branch_names_are_refused(name: str) -> None:
    with pytest.raises(GitError):
        validate_branch_name(name)


def test_a_busy_step_slot_falls_back_to_the_task_slot(origin: Path,
                                                      manager: WorktreeManager) -> None:
    first = run_task(origin)
    second = run_task(origin, step_id=first.step_id, branch=first.branch, attempt=2)
    one = manager.prepare(first)
    two = manager.prepare(second)
    assert one.path.name == str(first.step_id)
    assert two.path.name == str(second.task_id)
    for worktree in (one, two):
        worktree.release()


def test_leftover_of_a_crashed_task_is_salvaged(origin: Path, manager: WorktreeManager) -> None:
    task = run_task(origin)
    crashed = manager.prepare(task)
    (crashed.path / "half-done.txt").write_text("unsaved work\n")
    crashed.release()  # what the kernel does when the daemon dies
    assert manager.recover_leftovers() == [crashed.path]
    assert read_file(origin, task.branch, "half-done.txt") == "unsaved work"
    subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{task.branch}")
    assert subject == "makima: Do the thing (attempt 1, salvaged)"
    assert not crashed.path.exists()


def test_reusing_a_step_slot_salvages_the_previous_attempt(origin: Path,
                                                           manager: WorktreeManager) -> None:
    first = run_task(origin)
    crashed = manager.prepare(first)
    (crashed.path / "attempt1.txt").write_text("1")
    crashed.release()
    retry = run_task(origin, step_id=first.step_id, branch=first.branch, attempt=2)
    worktree = manager.prepare(retry)
    assert worktree.path == crashed.path  # same path, so --resume finds the session
    assert read_file(origin, first.branch, "attempt1.txt") == "1"
    worktree.release()


def test_live_slots_are_not_salvaged(origin: Path, manager: WorktreeManager) -> None:
    worktree = manager.prepare(run_task(origin))
    assert manager.recover_leftovers() == []
    assert worktree.path.exists()
    worktree.release()


def test_commit_subject_is_one_safe_line() -> None:
    assert commit_subject("fix\nthe\tbug\x1b[31m") == "fix the bug [31m"
    assert len(commit_subject("x" * 500)) == 60
    assert commit_subject("   ") == "unnamed step"


def test_finished_slots_leave_no_lock_files(origin: Path, manager: WorktreeManager) -> None:
    worktree = manager.prepare(run_task(origin))
    worktree.push(worktree.head())
    worktree.remove()
    worktree.release()
    assert list(manager.trees_dir.iterdir()) == []


def test_file_lock_excludes_and_survives_unlink(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    first.release(unlink=True)
    assert second.acquire(blocking=False)
    assert (tmp_path / "x.lock").exists()
    second.release()


def test_prepare_records_the_base_the_diff_base_and_a_left_conflict(
    origin: Path, manager: WorktreeManager
) -> None:
    main = branch_commit(origin, "main")
    commit_to_branch(origin, "makima/left-11111111", {"shared.txt": "left\n", "ü ñ.txt": "l"})
    commit_to_branch(origin, "makima/right-22222222", {"shared.txt": "right\n", "ü ñ.txt": "r"})
    task = run_task(origin, kind=TaskKind.RESOLVE_CONFLICTS, base_ref="makima/left-11111111",
                    merge_refs=("makima/right-22222222",), diff_base_ref="main")
    worktree = manager.prepare(task)
    meta = worktree.meta
    assert meta.base_commit == branch_commit(origin, "makima/left-11111111")
    assert meta.diff_base_commit == main
    assert meta.conflict is not None
    assert meta.conflict.merging_ref == "makima/right-22222222"
    assert set(meta.conflict.files) == {"shared.txt", "ü ñ.txt"}  # unquoted, as on disk
    assert worktree.unmerged_files() == meta.conflict.files
    assert worktree.merge_head() == branch_commit(origin, "makima/right-22222222")
    worktree.release()


def test_a_push_without_force_never_rewinds_a_branch(origin: Path,
                                                     manager: WorktreeManager) -> None:
    moved = commit_to_branch(origin, "makima/directive-x-1234abcd", {"other.txt": "x\n"})
    task = run_task(origin, kind=TaskKind.COMPLETE, step_id=None,
                    branch="makima/directive-x-1234abcd")
    worktree = manager.prepare(task)
    with pytest.raises(GitError) as caught:
        worktree.push(worktree.head(), force=False)
    assert caught.value.kind == ErrorKind.PUSH and "rejected" in caught.value.detail
    assert branch_commit(origin, "makima/directive-x-1234abcd") == moved
    worktree.push(worktree.head(), "makima/elsewhere", force=False)  # a new branch is fine
    assert branch_commit(origin, "makima/elsewhere") == branch_commit(origin, "main")
    worktree.remove()
    worktree.release()


def test_a_crashed_complete_task_is_dropped_not_pushed(origin: Path,
                                                       manager: WorktreeManager) -> None:
    commit_to_branch(origin, "makima/step-a-11111111", {"a.txt": "a\n"})
    task = run_task(origin, kind=TaskKind.COMPLETE, step_id=None,
                    merge_refs=("makima/step-a-11111111",),
                    branch="makima/directive-x-1234abcd")
    crashed = manager.prepare(task)
    crashed.release()
    assert manager.recover_leftovers() == [crashed.path]
    assert branch_commit(origin, "makima/directive-x-1234abcd") is None  # the gate never ran
    assert not crashed.path.exists()


def test_a_crashed_resolution_goes_to_its_side_branch(origin: Path,
                                                      manager: WorktreeManager) -> None:
    commit_to_branch(origin, "makima/left-11111111", {"shared.txt": "left\n"})
    commit_to_branch(origin, "makima/right-22222222", {"shared.txt": "right\n"})
    task = run_task(origin, kind=TaskKind.RESOLVE_CONFLICTS, step_id=None, attempt=2,
                    base_ref="makima/left-11111111", merge_refs=("makima/right-22222222",),
                    branch="makima/directive-x-1234abcd-merge")
    crashed = manager.prepare(task)
    crashed.release()
    assert manager.recover_leftovers() == [crashed.path]
    assert branch_commit(origin, "makima/directive-x-1234abcd-merge") is None
    side = "makima/directive-x-1234abcd-merge-unresolved-2"
    assert "<<<<<<<" in read_file(origin, side, "shared.txt")
