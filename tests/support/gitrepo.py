"""Real git repositories in temporary directories, for tests of the daemon's git work."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_TERMINAL_PROMPT": "0",
}
_scratch_ids = itertools.count()


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=_ENV, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def make_origin(root: Path, files: dict[str, str], branch: str = "main") -> Path:
    """A bare repository `root/origin.git` whose `branch` holds `files` in one commit."""
    origin = root / "origin.git"
    origin.mkdir(parents=True)
    git(origin, "init", "--quiet", "--bare", "--initial-branch", branch)
    scratch = root / "seed"
    scratch.mkdir()
    git(scratch, "init", "--quiet", "--initial-branch", branch)
    _write(scratch, files)
    git(scratch, "add", "--all")
    git(scratch, "commit", "--quiet", "-m", "initial")
    git(scratch, "remote", "add", "origin", str(origin))
    git(scratch, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
    return origin


def commit_to_branch(origin: Path, branch: str, files: dict[str, str], base: str = "main",
                     message: str = "change") -> str:
    """Create `branch` on origin from `base` with `files` written; its commit id."""
    scratch = origin.parent / f"scratch-{next(_scratch_ids)}"
    git(origin.parent, "clone", "--quiet", "--branch", base, str(origin), str(scratch))
    _write(scratch, files)
    git(scratch, "add", "--all")
    git(scratch, "commit", "--quiet", "-m", message)
    git(scratch, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
    return git(scratch, "rev-parse", "HEAD")


def branch_commit(origin: Path, branch: str) -> str | None:
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                          cwd=origin, capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def read_file(origin: Path, branch: str, path: str) -> str:
    return git(origin, "show", f"refs/heads/{branch}:{path}")


def files_on(origin: Path, branch: str) -> set[str]:
    return set(git(origin, "ls-tree", "-r", "--name-only", f"refs/heads/{branch}").splitlines())


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def commit_parents(origin: Path, ref: str) -> list[str]:
    """The parent commit ids of `ref` (two for a merge commit)."""
    return git(origin, "log", "-1", "--format=%P", ref).split()


def is_ancestor(origin: Path, ancestor: str, descendant: str) -> bool:
    done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, descendant],
                          cwd=origin, capture_output=True, check=False)
    return done.returncode == 0
