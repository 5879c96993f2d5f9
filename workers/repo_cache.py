"""The daemon's bare cache of one repository (`<work_dir>/repos/<name>-<hash>.git`).

`origin` is the real repository; every branch of it is fetched before each task, under the
cache's file lock (shared by every task of the daemon and by daemons sharing the work dir).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from schemas.naming import slugify
from workers.errors import GitError
from workers.gitops import run_git
from workers.locks import FileLock

log = logging.getLogger(__name__)

_SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")


class RepoCache:
    """The daemon's bare cache of one repository; `origin` is the real repository."""

    def __init__(self, repos_dir: Path, repository: str) -> None:
        if not repository.strip() or repository.startswith("-"):
            raise GitError(f"invalid repository {repository!r}")
        local = Path(repository).expanduser()
        self.url = str(local.resolve()) if "://" not in repository and local.exists() else repository
        name = slugify(self.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"), 40)
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        self.path = repos_dir / f"{name}-{digest}.git"
        self.lock = FileLock(repos_dir / f"{name}-{digest}.lock")

    def sync(self) -> None:
        """Create the cache if needed and fetch every branch of origin (caller holds the lock)."""
        if not (self.path / "HEAD").exists():
            self.path.mkdir(parents=True, exist_ok=True)
            run_git(["init", "--quiet", "--bare"], self.path)
            run_git(["remote", "add", "origin", self.url], self.path)
        else:
            run_git(["remote", "set-url", "origin", self.url], self.path)
        run_git(
            ["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"], self.path
        )
        run_git(["fetch", "--quiet", "--prune", "--no-tags", "origin"], self.path)

    def resolve(self, ref: str) -> str:
        """The commit of origin's branch `ref` (or of a commit id), as fetched."""
        candidates = [f"refs/remotes/origin/{ref}"]
        if _SHA_RE.match(ref):
            candidates.append(ref)
        for candidate in candidates:
            found = run_git(
                ["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
                self.path,
                check=False,
            )
            if found.returncode == 0:
                return found.stdout.strip()
        raise GitError(f"branch {ref!r} not found in {self.url}")

    def resolve_base(self, ref: str, fallback: str | None) -> str:
        """`ref`'s commit, or `fallback`'s when origin has no branch `ref` (any more)."""
        try:
            return self.resolve(ref)
        except GitError:
            if fallback is None:
                raise
        log.warning("branch %r not found in %s; starting from %r", ref, self.url, fallback)
        return self.resolve(fallback)
