"""The daemon side's one exception root; every error carries its ErrorKind.

The session (workers.session) is the edge that turns a DaemonError into a TaskFinished with
`error_kind` and `error_detail`; nothing else branches on error text.
"""

from __future__ import annotations

from schemas.enums import ErrorKind
from schemas.messages import MergeConflict


class DaemonError(Exception):
    """Root of every expected failure on the daemon side."""

    kind: ErrorKind = ErrorKind.INTERNAL

    def __init__(self, detail: str, *, kind: ErrorKind | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if kind is not None:
            self.kind = kind


class GitError(DaemonError):
    """A git command failed; `kind` says which stage (worktree preparation or push)."""

    kind = ErrorKind.WORKTREE


class MergeConflictError(DaemonError):
    """Merging a dependency branch by code conflicted; `conflict` names branches and files."""

    kind = ErrorKind.MERGE_CONFLICT

    def __init__(self, conflict: MergeConflict) -> None:
        files = ", ".join(conflict.files) or "(no file listed)"
        super().__init__(
            f"merging {conflict.merging_ref} into {conflict.base_ref} conflicts in: {files}"
        )
        self.conflict = conflict


class RuntimeUnavailableError(DaemonError):
    kind = ErrorKind.RUNTIME_UNAVAILABLE
