"""Repository caches and one git worktree per task, under the daemon's work directory.

Layout of `<work_dir>`:

    repos/<name>-<hash>.git     bare cache of one repository (remote URL or local path),
    repos/<name>-<hash>.lock    fetched before every task, guarded by this file lock
    worktrees/<slot>/           the checkout the agent works in
    worktrees/<slot>.json       who owns it (task, attempt, branch, start commit, agent pgid)
    worktrees/<slot>.lock       held (flock) for as long as a task uses the slot

The slot is the step id when the task has one, so every attempt of a step works in the same
path: Claude Code keys its session history by working directory, and `--resume` only finds
a session from the same path. When that slot is busy (another task of the step is still
running here), the task id is used instead. File locks are released by the kernel when a
process dies, so a slot whose lock can be taken but whose checkout still exists was left
by a crash; `salvage` commits and pushes it before anything reuses or removes it.

Concurrency: the cache is shared by every task of the daemon (and by daemons sharing the
work directory), so fetch, `worktree add/remove` and push hold the per-repository lock;
commits and merges inside a worktree only touch that worktree's own branch.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.enums import ErrorKind, TaskKind
from schemas.messages import DiffStats, MergeConflict, RunTask
from workers.conflicts import unresolved_branch_name
from workers.errors import GitError, MergeConflictError
from workers.gitops import git_out, run_git, validate_branch_name
from workers.locks import FileLock
from workers.processes import kill_orphaned_group
from workers.repo_cache import RepoCache

log = logging.getLogger(__name__)

class WorktreeMeta(BaseModel):
    """What a slot's JSON file records, so a crashed task's work can be salvaged."""

    model_config = ConfigDict(extra="ignore")
    task_id: UUID
    attempt: int
    kind: TaskKind
    step_name: str
    branch: str  # pushed to on origin
    local_branch: str  # checked out in the worktree (unique among the cache's worktrees)
    repository: str
    start_commit: str  # after the merges by code: what the agent started from
    base_commit: str | None = None  # what base_ref resolved to, before any merge
    diff_base_commit: str | None = None  # what diff_base_ref resolved to, if given
    conflict: MergeConflict | None = None  # the merge left in place for a resolve task
    agent_pgid: int | None = None


class Worktree:
    """One task's checkout; holds the slot lock until `release`."""

    def __init__(self, path: Path, cache: RepoCache, meta: WorktreeMeta, lock: FileLock) -> None:
        self.path = path
        self.cache = cache
        self.meta = meta
        self.lock = lock

    @property
    def meta_path(self) -> Path:
        return self.path.with_suffix(".json")

    def save_meta(self, **changes: object) -> None:
        self.meta = self.meta.model_copy(update=changes)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(self.meta.model_dump_json())
        tmp.replace(self.meta_path)

    def head(self) -> str:
        return git_out(["rev-parse", "HEAD"], self.path)

    def commit_all(self, message: str) -> bool:
        """Commit every change in the worktree (agent commits stay as they are)."""
        run_git(["add", "--all"], self.path)
        staged = run_git(["diff", "--cached", "--quiet"], self.path, check=False).returncode
        merging = run_git(
            ["rev-parse", "--verify", "--quiet", "MERGE_HEAD"], self.path, check=False
        ).returncode == 0
        if staged == 0 and not merging:
            return False
        run_git(["commit", "--quiet", "--no-verify", "--allow-empty", "-F", "-"],
                self.path, stdin=message)
        return True

    def changed(self) -> bool:
        return self.head() != self.meta.start_commit

    def stage_all(self) -> None:
        run_git(["add", "--all"], self.path)

    def unmerged_files(self) -> tuple[str, ...]:
        return unmerged_files(self.path)

    def merge_head(self) -> str | None:
        """The commit an unfinished merge is merging, if one is in progress."""
        found = run_git(["rev-parse", "--verify", "--quiet", "MERGE_HEAD"], self.path,
                        check=False)
        return found.stdout.strip() if found.returncode == 0 else None

    def contains(self, commit: str) -> bool:
        """Whether `commit` is HEAD or one of its ancestors."""
        return run_git(["merge-base", "--is-ancestor", commit, "HEAD"], self.path,
                       check=False).returncode == 0

    def merge_base(self, commit: str) -> str | None:
        """The best common ancestor of `commit` and HEAD (None: unrelated histories)."""
        found = run_git(["merge-base", commit, "HEAD"], self.path, check=False)
        return found.stdout.strip() if found.returncode == 0 else None

    def diff_stats(self, since: str | None = None) -> DiffStats:
        """Files, insertions and deletions from `since` (default: start_commit) to HEAD."""
        out = git_out(["diff", "--numstat", since or self.meta.start_commit, "HEAD"],
                      self.path)
        files = insertions = deletions = 0
        for line in out.splitlines():
            added, removed, _ = line.split("\t", 2)
            files += 1
            insertions += int(added) if added.isdigit() else 0
            deletions += int(removed) if removed.isdigit() else 0
        return DiffStats(files_changed=files, insertions=insertions, deletions=deletions)

    def push(self, commit: str, branch: str | None = None, *, force: bool = True) -> None:
        """Push `commit` to origin's `branch` (default: the task's branch).

        Forced by default: a step branch holds its latest attempt's result. A complete task
        pushes without force, so a branch that moved since it was fetched is never rewound
        (git's refusal becomes a GitError of kind PUSH).
        """
        target = validate_branch_name(branch or self.meta.branch)
        with self.cache.lock.held():
            run_git(
                ["push", "--quiet", *(["--force"] if force else []), "--no-verify", "origin",
                 f"{commit}:refs/heads/{target}"],
                self.path,
                kind=ErrorKind.PUSH,
            )

    def remove(self) -> None:
        """Delete the checkout and its local branch; call only after a successful push."""
        with self.cache.lock.held():
            run_git(["worktree", "remove", "--force", str(self.path)], self.cache.path,
                    check=False)
            if self.path.exists():
                shutil.rmtree(self.path, ignore_errors=True)
            run_git(["worktree", "prune"], self.cache.path, check=False)
            run_git(["branch", "--quiet", "-D", self.meta.local_branch], self.cache.path,
                    check=False)
        self.meta_path.unlink(missing_ok=True)

    def release(self) -> None:
        """Give the slot back; its lock file goes too once the checkout is gone."""
        self.lock.release(unlink=not self.path.exists() and not self.meta_path.exists())


class WorktreeManager:
    def __init__(self, work_dir: Path) -> None:
        self.repos_dir = work_dir / "repos"
        self.trees_dir = work_dir / "worktrees"

    def cache_for(self, repository: str) -> RepoCache:
        return RepoCache(self.repos_dir, repository)

    def claim_slot(self, task: RunTask) -> tuple[Path, FileLock]:
        """The step's stable slot if free, else the task's own; locked for the caller."""
        names = [str(task.step_id)] if task.step_id else []
        names.append(str(task.task_id))
        for name in names:
            lock = FileLock(self.trees_dir / f"{name}.lock")
            if lock.acquire(blocking=False):
                path = self.trees_dir / name
                if not self._free_leftover(path, lock):
                    lock.release()
                    continue
                return path, lock
        raise GitError(f"no free worktree slot for task {task.task_id}")

    def recover_leftovers(self) -> list[Path]:
        """Salvage every checkout a crashed run left here (slots locked by a live task are
        skipped: their lock is held). Returns the slots that were salvaged."""
        salvaged: list[Path] = []
        if not self.trees_dir.is_dir():
            return salvaged
        for meta_path in sorted(self.trees_dir.glob("*.json")):
            path = meta_path.with_suffix("")
            lock = FileLock(path.with_suffix(".lock"))
            if not lock.acquire(blocking=False):
                continue
            freed = False
            try:
                freed = self._free_leftover(path, lock)
            finally:
                lock.release(unlink=freed)
            if freed:
                salvaged.append(path)
        return salvaged

    def _free_leftover(self, path: Path, lock: FileLock) -> bool:
        """True when `path` is free, salvaging a crashed task's checkout there first."""
        meta_path = path.with_suffix(".json")
        if not path.exists() and not meta_path.exists():
            return True
        if not meta_path.exists():
            shutil.rmtree(path, ignore_errors=True)
            return True
        try:
            meta = WorktreeMeta.model_validate_json(meta_path.read_text())
        except ValueError as exc:  # an unreadable record: keep the files for a person
            log.error("cannot salvage %s: %s", path, exc)
            return False
        leftover = Worktree(path, self.cache_for(meta.repository), meta, lock)
        try:
            commit = salvage(leftover, reason="left by an earlier run")
        except GitError as exc:
            log.error("could not salvage %s: %s", path, exc.detail)
            return False
        log.warning("salvaged %s of task %s: pushed %s to %s", path, meta.task_id, commit,
                    meta.branch)
        return True

    def prepare(self, task: RunTask) -> Worktree:
        """Fetch, check out `base_ref` as `branch` in a fresh worktree, merge `merge_refs`.

        A merge conflict raises MergeConflictError (worktree released, nothing pushed),
        except for a resolve_conflicts task, whose agent is there to resolve it: the
        conflicted merge is left in the worktree for it.
        """
        branch = validate_branch_name(task.branch)
        diff_base_ref = task.diff_base_ref
        optional = [r for r in (diff_base_ref, task.base_fallback_ref) if r]
        for ref in (task.base_ref, *task.merge_refs, *optional):
            validate_branch_name(ref)
        path, lock = self.claim_slot(task)
        # git refuses one branch in two worktrees: a task pushed aside to its own slot
        # (the step's slot is busy) checks out a suffixed local name; it pushes to `branch`.
        local_branch = branch if path.name != str(task.task_id) or task.step_id is None else (
            f"{branch}-{task.task_id.hex[:8]}")
        cache = self.cache_for(task.repository)
        try:
            with cache.lock.held():
                cache.sync()
                base = cache.resolve_base(task.base_ref, task.base_fallback_ref)
                merges = [(ref, cache.resolve(ref)) for ref in task.merge_refs]
                diff_base = cache.resolve(diff_base_ref) if diff_base_ref else None
                run_git(["worktree", "prune"], cache.path)
                run_git(["worktree", "add", "--quiet", "-B", local_branch, str(path), base],
                        cache.path)
            meta = WorktreeMeta(task_id=task.task_id, attempt=task.attempt, kind=task.kind,
                                step_name=task.step_name, branch=branch,
                                local_branch=local_branch,
                                repository=task.repository, start_commit=base,
                                base_commit=base, diff_base_commit=diff_base)
            worktree = Worktree(path, cache, meta, lock)
            worktree.save_meta()
            leave_conflict = task.kind == TaskKind.RESOLVE_CONFLICTS
            conflict: MergeConflict | None = None
            for ref, commit in merges:
                conflict = merge_branch(worktree, task.base_ref, ref, commit, leave_conflict)
                if conflict is not None:
                    break
            worktree.save_meta(start_commit=worktree.head(), conflict=conflict)
            return worktree
        except BaseException:
            self._discard(path, cache)
            lock.release(unlink=True)
            raise

    def _discard(self, path: Path, cache: RepoCache) -> None:
        """Remove a half-prepared worktree: it holds no agent work yet."""
        with cache.lock.held():
            if cache.path.exists():
                run_git(["worktree", "remove", "--force", str(path)], cache.path, check=False)
        shutil.rmtree(path, ignore_errors=True)
        path.with_suffix(".json").unlink(missing_ok=True)


def unmerged_files(path: Path) -> tuple[str, ...]:
    """Paths git reports as unmerged in the worktree at `path` (NUL-separated: no quoting)."""
    out = run_git(["diff", "--name-only", "-z", "--diff-filter=U"], path).stdout
    return tuple(dict.fromkeys(name for name in out.split("\0") if name))


def merge_branch(
    worktree: Worktree, base_ref: str, ref: str, commit: str, leave_conflict: bool
) -> MergeConflict | None:
    """Merge `commit` (origin's `ref`) into the worktree; the conflict if one was left in place.

    A conflict raises MergeConflictError after aborting the merge, unless `leave_conflict`.
    """
    message = f"makima: merge {ref} into {worktree.meta.branch}"
    merged = run_git(["merge", "--no-ff", "--no-edit", "-m", message, commit], worktree.path,
                     check=False)
    if merged.returncode == 0:
        return None
    files = unmerged_files(worktree.path)
    if not files:
        raise GitError(f"merging {ref} failed: {(merged.stderr or merged.stdout).strip()[-2000:]}")
    conflict = MergeConflict(base_ref=base_ref, merging_ref=ref, files=files)
    if leave_conflict:
        return conflict
    run_git(["merge", "--abort"], worktree.path, check=False)
    raise MergeConflictError(conflict)


def salvage_branch(meta: WorktreeMeta) -> str | None:
    """Where a crashed task's leftover work is pushed; None when it is not pushed at all.

    A complete task's checkout holds only merges by code (the next task redoes them), and
    pushing it would skip the merge gate: it is dropped. A resolve task's attempt goes to its
    side branch, never to the staging branch, which only ever holds a checked resolution.
    """
    if meta.kind == TaskKind.COMPLETE:
        return None
    if meta.kind == TaskKind.RESOLVE_CONFLICTS:
        return unresolved_branch_name(meta.branch, meta.attempt)
    return meta.branch


def salvage(worktree: Worktree, reason: str) -> str:
    """Commit and push whatever a crashed task left, then remove the checkout; the commit."""
    if worktree.meta.agent_pgid is not None:
        kill_orphaned_group(worktree.meta.agent_pgid, worktree.path)
    if not (worktree.path / ".git").exists():
        worktree.meta_path.unlink(missing_ok=True)
        shutil.rmtree(worktree.path, ignore_errors=True)
        return worktree.meta.start_commit
    target = salvage_branch(worktree.meta)
    if target is None:
        worktree.remove()
        return worktree.meta.start_commit
    meta = worktree.meta
    worktree.commit_all(
        f"makima: {commit_subject(meta.step_name)} (attempt {meta.attempt}, salvaged)\n\n"
        f"Work {reason}, committed by the daemon so it is not lost.\n\n"
        f"Task: {meta.task_id}\nKind: {meta.kind.value}\n"
    )
    commit = worktree.head()
    worktree.push(commit, target)
    worktree.remove()
    return commit


def commit_subject(step_name: str, max_len: int = 60) -> str:
    """A step name made safe for a commit subject: printable, one line, bounded."""
    printable = "".join(ch if ch.isprintable() else " " for ch in step_name)
    words = " ".join(printable.split())
    if len(words) > max_len:
        words = words[: max_len - 1].rstrip() + "…"
    return words or "unnamed step"
