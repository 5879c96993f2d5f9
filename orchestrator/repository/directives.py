"""Directives, owner-scoped: create from the nested create body, read, patch field by field.

Status changes are not made here: they belong to `orchestrator.lifecycle`. A goal edit is
also the lifecycle's (it records the goal history and re-plans); `update_directive` applies
every other field of a patch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orchestrator.errors import ConflictError, NotFoundError, ValidationError
from orchestrator.models import Directive, GoalHistory
from orchestrator.repository.events import record_event
from schemas.directives import DirectiveCreate, DirectiveUpdate
from schemas.enums import EventType, ForgeKind
from schemas.statuses import DIRECTIVE_DELETABLE, DirectiveStatus

# Columns that may be set to null by an explicit `null` in a patch; every other column
# refuses null (a patch field left out changes nothing).
_NULLABLE = frozenset({"model", "max_turns"})


def get_directive(
    session: Session,
    *,
    owner_id: uuid.UUID,
    directive_id: uuid.UUID,
    for_update: bool = False,
) -> Directive:
    """The owner's directive, or NotFoundError (also for another owner's: no existence leak).

    `for_update` locks the row until the transaction ends, so two requests editing the
    same directive's plan run one after the other.
    """
    query = select(Directive).where(Directive.id == directive_id, Directive.owner_id == owner_id)
    if for_update:
        query = query.with_for_update()
    directive = session.scalars(query).one_or_none()
    if directive is None:
        raise NotFoundError(f"directive {directive_id} not found", field="directive_id")
    return directive


def list_directives(
    session: Session,
    *,
    owner_id: uuid.UUID,
    statuses: Sequence[DirectiveStatus] = (),
    only_id: uuid.UUID | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Directive]:
    """The owner's directives, newest first; `only_id` narrows to one (task-scoped keys)."""
    query = select(Directive).where(Directive.owner_id == owner_id)
    if statuses:
        query = query.where(Directive.status.in_(statuses))
    if only_id is not None:
        query = query.where(Directive.id == only_id)
    query = query.order_by(Directive.created_at.desc(), Directive.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def check_forge(directive: Directive) -> None:
    """A GitHub forge needs an owner/name: given, or read from a GitHub repository URL."""
    from orchestrator.forge.select import github_repository_of

    if directive.forge is ForgeKind.GITHUB and github_repository_of(directive) is None:
        raise ValidationError(
            "forge.repository is required (owner/name) when forge.kind is github and the "
            "repository is not a GitHub URL",
            field="forge.repository",
        )


def create_directive(
    session: Session, *, owner_id: uuid.UUID, body: DirectiveCreate, actor: str
) -> Directive:
    """A draft directive from the create body's groups (the plan, if any, is the caller's)."""
    directive = Directive(
        owner_id=owner_id,
        title=body.title,
        goal=body.goal,
        requirements=body.requirements,
        acceptance_criteria=body.acceptance_criteria,
        constraints=body.constraints,
        repository=body.repository,
        base_branch=body.base_branch,
        pool=body.agent.pool,
        status=DirectiveStatus.DRAFT,
        autonomy=body.autonomy,
        **body.budgets.model_dump(),
        **body.evaluation.model_dump(),
        **body.agent.model_dump(exclude={"pool"}),
        forge=body.forge.kind,
        forge_repository=body.forge.repository,
    )
    check_forge(directive)
    session.add(directive)
    session.flush()
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.DIRECTIVE_CREATED,
        message=f"directive {directive.title!r} created",
        actor=actor,
    )
    session.refresh(directive)
    return directive


def _patch_values(group: str | None, patch: BaseModel) -> dict[str, tuple[str, Any]]:
    """{column: (field path, value)} for the fields the patch actually sets."""
    out: dict[str, tuple[str, Any]] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        path = f"{group}.{name}" if group else name
        if value is None and name not in _NULLABLE:
            raise ValidationError(f"{path} must not be null", field=path)
        out[name] = (path, value)
    return out


def _check_items(path: str, items: list[str]) -> list[str]:
    cleaned = [item.strip() for item in items]
    if any(not item for item in cleaned):
        raise ValidationError(f"{path}: items must not be empty", field=path)
    return cleaned


def update_directive(session: Session, *, directive: Directive, body: DirectiveUpdate) -> list[str]:
    """Apply every field of the patch except the goal; returns the paths that changed.

    Thresholds are checked against each other after merging with the stored values, so
    raising only `yellow_threshold` above the stored green threshold is refused.
    """
    top_fields = body.model_fields_set - {"goal", "budgets", "evaluation", "agent"}
    values: dict[str, tuple[str, Any]] = {}
    for name in top_fields:
        value = getattr(body, name)
        if value is None:
            raise ValidationError(f"{name} must not be null", field=name)
        if name == "title":
            value = value.strip()
            if not value:
                raise ValidationError("title must not be blank", field="title")
        if name in ("requirements", "acceptance_criteria", "constraints"):
            value = _check_items(name, value)
        values[name] = (name, value)
    for group in ("budgets", "evaluation", "agent"):
        patch = getattr(body, group)
        if patch is not None:
            values.update(_patch_values(group, patch))

    if "verifier_commands" in values:
        path, commands = values["verifier_commands"]
        for argv in commands:
            if not argv or not argv[0].strip():
                raise ValidationError(
                    "each verifier command needs at least a program name", field=path
                )
    green = values.get("green_threshold", ("", directive.green_threshold))[1]
    yellow = values.get("yellow_threshold", ("", directive.yellow_threshold))[1]
    if green < yellow:
        field = (
            "evaluation.green_threshold"
            if "green_threshold" in values
            else "evaluation.yellow_threshold"
        )
        raise ValidationError(
            f"green_threshold ({green}) must be >= yellow_threshold ({yellow})", field=field
        )

    changed: list[str] = []
    for column, (path, value) in sorted(values.items(), key=lambda item: item[1][0]):
        if getattr(directive, column) != value:
            setattr(directive, column, value)
            changed.append(path)
    if changed:
        session.flush()
        session.refresh(directive)
    return changed


def record_update(
    session: Session, *, directive: Directive, changed: list[str], actor: str
) -> None:
    """One DIRECTIVE_UPDATED event naming every field that changed (none: no event)."""
    if changed:
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.DIRECTIVE_UPDATED,
            message="updated " + ", ".join(changed),
            actor=actor,
            data={"fields": changed},
        )


def goal_history(session: Session, *, directive_id: uuid.UUID) -> list[GoalHistory]:
    return list(
        session.scalars(
            select(GoalHistory)
            .where(GoalHistory.directive_id == directive_id)
            .order_by(GoalHistory.replaced_at, GoalHistory.generation)
        )
    )


def delete_directive(session: Session, *, directive: Directive) -> None:
    """Only a draft or stopped directive may go; its steps, tasks and events go with it."""
    if directive.status not in DIRECTIVE_DELETABLE:
        allowed = " or ".join(sorted(s.value for s in DIRECTIVE_DELETABLE))
        raise ConflictError(
            f"directive is {directive.status.value}; only a {allowed} directive can be "
            "deleted (stop it first)",
            field="status",
        )
    session.execute(delete(Directive).where(Directive.id == directive.id))
    session.expunge(directive)
