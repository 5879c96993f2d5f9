"""Conflict markers, and where an unresolved attempt goes instead of the staging branch.

A resolve_conflicts task may push to its staging branch only when the conflict is really
gone: no file git reported as conflicted may still hold a marker line. Only `<<<<<<<` and
`>>>>>>>` count (alone or followed by a space and a label, as git writes them): a line of
`=======` alone is legitimate text (a Markdown or reStructuredText heading underline).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

CONFLICT_MARKERS = ("<<<<<<<", ">>>>>>>")
_MARKER_PREFIXES = tuple(f"{marker} " for marker in CONFLICT_MARKERS)


def is_conflict_marker(line: str) -> bool:
    """Whether one line (without its line ending) is a conflict marker git writes."""
    return line in CONFLICT_MARKERS or line.startswith(_MARKER_PREFIXES)


def has_conflict_markers(text: str) -> bool:
    return any(is_conflict_marker(line.removesuffix("\r")) for line in text.split("\n"))


def files_with_conflict_markers(root: Path, files: Iterable[str]) -> tuple[str, ...]:
    """The files among `files` (relative to `root`) that still hold a conflict marker line.

    A deleted file has none (deleting it is a resolution). Symlinks, and paths that resolve
    outside `root`, are not read: the agent controls the worktree, not what the daemon reads.
    """
    base = root.resolve()
    marked: list[str] = []
    for name in files:
        path = root / name
        if path.is_symlink() or not path.is_file():
            continue
        if base not in path.resolve().parents:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if has_conflict_markers(text):
            marked.append(name)
    return tuple(marked)


def unresolved_branch_name(branch: str, attempt: int) -> str:
    """`<branch>-unresolved-<attempt>`: keeps a failed resolution without touching `branch`."""
    return f"{branch}-unresolved-{attempt}"
