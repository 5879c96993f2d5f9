"""What completion writes for people and agents, as pure functions of plain values: the
resolve_conflicts prompt, the pull request's title and body, the merge gate's summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.directives import DirectivePublic
from schemas.messages import MergeConflict, VerifierResult

MAX_BODY_CHARS = 60_000


@dataclass(frozen=True)
class MergedStep:
    """A passed step as completion sees it: what it did and how it was judged."""

    name: str
    description: str
    branch: str
    evaluation: str  # e.g. "green 0.95: all checks passed"


def gate_summary(results: Sequence[VerifierResult]) -> str:
    """One line per merge-gate verifier: passed/failed, the command, the exit code."""
    if not results:
        return "no verifiers ran (none detected or configured)"
    lines = []
    for result in results:
        verdict = "passed" if result.passed else "FAILED"
        code = "timed out" if result.timed_out else f"exit {result.exit_code}"
        lines.append(f"{verdict}: {result.name} (`{' '.join(result.command)}`, {code}, "
                     f"{result.duration_seconds:.1f}s)")
    return "\n".join(lines)


def gate_failure_detail(results: Sequence[VerifierResult], tail_chars: int = 1500) -> str:
    """What a red gate says: every failing verifier with the end of its output."""
    parts = []
    for result in results:
        if not result.passed:
            tail = result.output_tail[-tail_chars:].strip()
            parts.append(f"{result.name} (`{' '.join(result.command)}`) failed:\n{tail}")
    return "\n\n".join(parts)


def resolve_conflicts_prompt(
    directive: DirectivePublic,
    conflict: MergeConflict,
    *,
    merged: Sequence[MergedStep],
    merging: MergedStep | None,
) -> str:
    """The agent resolving one conflicting merge, left in place in its worktree.

    The directive comes first (its goal may carry instructions for the whole directive);
    both sides are described by what their steps were for, never by quoting their task
    plans, which were instructions for other agents.
    """
    ours = "\n".join(f"- {s.name}: {s.description}" for s in merged) or "- (the base branch)"
    theirs = (
        f"- {merging.name}: {merging.description}" if merging is not None else "- (unknown step)"
    )
    files = "\n".join(f"- `{path}`" for path in conflict.files)
    return (
        f"# Directive: {directive.title}\n\n## Goal\n{directive.goal}\n\n"
        "# Your task: resolve a merge conflict\n"
        f"Your worktree is in the middle of merging `{conflict.merging_ref}` into a branch "
        f"built on `{conflict.base_ref}`. Git stopped on conflicts in:\n{files}\n\n"
        "## Side 1 (already in the branch, 'ours'): the work of these steps\n"
        f"{ours}\n\n"
        f"## Side 2 (being merged, 'theirs'): `{conflict.merging_ref}`\n{theirs}\n\n"
        "## What to do\n"
        "Edit each conflicted file so that it keeps the intent of BOTH sides, remove every "
        "conflict marker (`<<<<<<<`, `=======`, `>>>>>>>`), and make sure the project's "
        "tests pass. Do not commit and do not abort the merge: the merge is committed and "
        "pushed for you, and it is refused if any conflict marker remains.\n"
    )


def pull_request_title(directive: DirectivePublic) -> str:
    return directive.title[:256]


def pull_request_body(
    directive: DirectivePublic,
    *,
    steps: Sequence[MergedStep],
    gate: Sequence[VerifierResult],
    orders: Sequence[str] = (),
) -> str:
    """Markdown: the goal, the acceptance criteria, the steps with their evaluations, the gate."""
    step_lines = "\n".join(
        f"- **{s.name}** (`{s.branch}`): {s.description}\n  - evaluation: {s.evaluation}"
        for s in steps
    )
    criteria = "\n".join(f"- {c}" for c in directive.acceptance_criteria) or "- (none given)"
    parts = [
        f"## Goal\n\n{directive.goal}\n",
        f"## Acceptance criteria\n\n{criteria}\n",
        f"## Steps ({len(steps)}, merged in dependency order)\n\n{step_lines}\n",
        f"## Merge gate\n\n```\n{gate_summary(gate)}\n```\n",
    ]
    if orders:
        parts.append("## Orders\n\n" + "\n".join(f"- {o}" for o in orders) + "\n")
    parts.append(
        f"---\nOpened by makima for directive `{directive.id}` (generation "
        f"{directive.generation}, cost so far ${directive.total_cost_usd:.2f}).\n"
    )
    body = "\n".join(parts)
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - 40].rstrip() + "\n\n… (truncated)\n"
    return body
