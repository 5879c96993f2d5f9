"""Starting the tasks of a completion round: `complete` (merge by code + merge gate) and
`resolve_conflicts` (an agent settles one conflicting merge).

Both run on a daemon of the directive's pool. The branches involved:
- the directive branch `makima/directive-<slug>-<short>`: the pull request's head; only a
  `complete` task whose merge gate is green pushes to it (a fast-forward);
- its staging branch `<directive branch>-merge`: where a resolution is pushed; the next
  `complete` task of the round starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from orchestrator.completion_texts import MergedStep, resolve_conflicts_prompt
from orchestrator.dag import topological_order
from orchestrator.models import Directive, Evaluation, Step, Task
from orchestrator.phases.tasking import create_task
from orchestrator.repository.steps import step_nodes
from schemas.directives import DirectivePublic
from schemas.enums import TaskKind
from schemas.messages import MergeConflict
from schemas.naming import directive_branch_name, merge_branch_name
from schemas.statuses import StepStatus


@dataclass(frozen=True)
class MergePlan:
    """What a round merges: the passed steps with a branch, dependencies first."""

    steps: list[Step]

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(s.branch for s in self.steps if s.branch)


def merge_plan(steps: list[Step]) -> MergePlan:
    passed = [s for s in steps if s.status is StepStatus.PASSED and s.branch]
    by_id = {s.id: s for s in passed}
    return MergePlan([by_id[i] for i in topological_order(step_nodes(passed))])


def directive_branch(directive: Directive) -> str:
    return directive.pr_branch or directive_branch_name(directive.title, directive.id)


def round_base(directive: Directive) -> str:
    """Where a round starts: the directive branch once pushed, else the base branch."""
    return directive.pr_branch or directive.base_branch


def start_complete_task(
    session: Session, *, directive: Directive, plan: MergePlan, base_ref: str
) -> Task:
    refs = plan.refs
    return create_task(
        session,
        directive=directive,
        kind=TaskKind.COMPLETE,
        prompt=(
            f"Merge {len(refs)} step branches onto {base_ref} by code, run the merge gate, "
            f"push to {directive_branch(directive)} if it is green:\n"
            + "\n".join(f"- {ref}" for ref in refs)
        ),
        base_ref=base_ref,
        merge_refs=refs,
        branch=directive_branch(directive),
        step_name=f"complete {directive.title}",
        completion_round=directive.completion_round,
        diff_base_ref=directive.base_branch,
    )


def start_resolve_task(
    session: Session,
    *,
    directive: Directive,
    plan: MergePlan,
    base_ref: str,
    conflict: MergeConflict,
    attempt: int,
) -> Task:
    """An agent task whose worktree holds the conflicted merge (the daemon leaves it)."""
    merged: list[MergedStep] = []
    merging: MergedStep | None = None
    for step in plan.steps:
        if step.branch == conflict.merging_ref:
            merging = merged_step(session, step)
            break
        merged.append(merged_step(session, step))
    prompt = resolve_conflicts_prompt(
        DirectivePublic.model_validate(directive), conflict, merged=merged, merging=merging
    )
    return create_task(
        session,
        directive=directive,
        kind=TaskKind.RESOLVE_CONFLICTS,
        attempt=attempt,
        prompt=prompt,
        base_ref=base_ref,
        merge_refs=plan.refs,
        branch=merge_branch_name(directive_branch(directive)),
        run_verifiers=False,
        step_name=f"resolve conflicts merging {conflict.merging_ref}",
        completion_round=directive.completion_round,
    )


def merged_step(session: Session, step: Step) -> MergedStep:
    evaluation = session.get(Evaluation, step.last_evaluation_id) if step.last_evaluation_id else None
    judged = (
        f"{evaluation.color.value} {evaluation.score:.2f} ({evaluation.decision}): "
        f"{evaluation.summary or 'no summary'}"
        if evaluation is not None
        else "passed"
    )
    return MergedStep(
        name=step.name, description=step.description, branch=step.branch or "", evaluation=judged
    )


def staging_branch(directive: Directive) -> str:
    return merge_branch_name(directive_branch(directive))
