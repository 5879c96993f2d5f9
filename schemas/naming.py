"""Safe names built from user text: slugs, step branches, directive branches.

Pure functions, shared by the orchestrator (which computes branch names) and the daemon
(which builds worktree paths and commit messages). A slug holds only `[a-z0-9-]`, never
starts or ends with `-`, and is never empty, so whatever a user typed (`; rm -rf ~`,
`../../etc`, emoji, 500 characters) cannot reach a shell, escape a directory or make an
invalid git ref.
"""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID

STEP_SLUG_MAX = 40
DIRECTIVE_SLUG_MAX = 40
EMPTY_SLUG = "unnamed"

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = STEP_SLUG_MAX) -> str:
    """Lower-case ASCII words joined by `-`, at most `max_len` characters, never empty."""
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or EMPTY_SLUG[:max_len]


def short_id(object_id: UUID | str) -> str:
    """The first 8 hex digits of a UUID (validated, so it is always hex)."""
    return UUID(str(object_id)).hex[:8]


def step_branch_name(step_name: str, step_id: UUID | str) -> str:
    """`makima/<slug>-<8 hex>`: the branch a step's sessions commit to."""
    return f"makima/{slugify(step_name, STEP_SLUG_MAX)}-{short_id(step_id)}"


def directive_branch_name(title: str, directive_id: UUID | str) -> str:
    """`makima/directive-<slug>-<8 hex>`: the branch the pull request is opened from."""
    return f"makima/directive-{slugify(title, DIRECTIVE_SLUG_MAX)}-{short_id(directive_id)}"


def merge_branch_name(directive_branch: str) -> str:
    """`<directive branch>-merge`: where a completion's conflict resolutions are staged before
    the merge gate lets the result onto the directive branch."""
    return f"{directive_branch}-merge"
