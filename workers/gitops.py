"""Running git: argument lists only, never a shell, with errors that carry an ErrorKind.

Every git call of the daemon goes through `run_git`. User text (branch names, commit
messages) only ever travels as one argv element or on stdin, and refs are passed fully
qualified (`refs/heads/...`) or after a validation that refuses a leading `-`.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from schemas.enums import ErrorKind
from workers.errors import GitError

GIT_TIMEOUT_SECONDS = 600.0
AUTHOR_NAME = "makima"
AUTHOR_EMAIL = "makima@localhost"

# The identity and safety settings every git call gets, whatever the host's config says.
_CONFIG = (
    "-c", f"user.name={AUTHOR_NAME}",
    "-c", f"user.email={AUTHOR_EMAIL}",
    "-c", "commit.gpgsign=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
)  # fmt: skip


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: str
    stderr: str


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # a missing credential fails instead of hanging
    env["LC_ALL"] = "C"
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("GIT_INDEX_FILE", None)
    return env


def run_git(
    args: list[str],
    cwd: Path,
    *,
    check: bool = True,
    stdin: str | None = None,
    kind: ErrorKind = ErrorKind.WORKTREE,
    timeout: float = GIT_TIMEOUT_SECONDS,
) -> GitResult:
    """Run `git <args>` in `cwd`; raise GitError(kind) on a non-zero exit when `check`."""
    argv = ["git", *_CONFIG, *args]
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_git_env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s", kind=kind) from exc
    except OSError as exc:
        raise GitError(f"git could not start: {exc}", kind=kind) from exc
    result = GitResult(done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise GitError(f"git {args[0]} failed ({done.returncode}): {message}", kind=kind)
    return result


def git_out(args: list[str], cwd: Path, *, kind: ErrorKind = ErrorKind.WORKTREE) -> str:
    """stdout of a successful git command, stripped."""
    return run_git(args, cwd, kind=kind).stdout.strip()


def validate_branch_name(name: str) -> str:
    """Return `name` if git accepts it as a branch name; raise GitError otherwise."""
    if not name or name.startswith("-") or name != name.strip():
        raise GitError(f"invalid branch name {name!r}")
    done = subprocess.run(
        ["git", "check-ref-format", f"refs/heads/{name}"],
        capture_output=True,
        text=True,
        env=_git_env(),
        check=False,
    )
    if done.returncode != 0:
        raise GitError(f"invalid branch name {name!r} (git check-ref-format refused it)")
    return name
