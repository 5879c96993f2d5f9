"""A directive's row lock, and the directive with its steps loaded once under that lock.

Every phase that moves a directive's steps takes the directive row `FOR UPDATE` first, so
two workers or two ticks serialize and the second sees what the first did. The handoff
path runs monitor → evaluate → dispatch → monitor in one transaction; those phases share
one `LockedDirective` instead of each locking again and reloading every step.

Sharing the loaded steps is safe: guarded transitions update the session's objects in place
(`synchronize_session="fetch"`), and a re-query in the same session would return the very
same objects anyway (the identity map does not overwrite loaded attributes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, Step
from schemas.statuses import StepStatus


@dataclass
class LockedDirective:
    """A directive locked for this transaction and its steps (removed ones left out)."""

    directive: Directive
    steps: list[Step]


def lock_directive(session: Session, directive_id: uuid.UUID) -> Directive | None:
    return session.scalars(
        select(Directive).where(Directive.id == directive_id).with_for_update()
    ).one_or_none()


def lock_with_steps(session: Session, directive_id: uuid.UUID) -> LockedDirective | None:
    directive = lock_directive(session, directive_id)
    if directive is None:
        return None
    steps = session.scalars(
        select(Step).where(Step.directive_id == directive_id, Step.status != StepStatus.REMOVED)
    )
    return LockedDirective(directive, list(steps))
