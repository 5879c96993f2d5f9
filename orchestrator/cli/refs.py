"""Turning what a person types into ids: a full id, a unique id prefix (tables show 8 hex
digits), or for steps a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from uuid import UUID

from orchestrator.cli.client import ApiClient
from orchestrator.cli.errors import InputError, NotFoundError
from schemas.statuses import StepStatus
from schemas.steps import StepPublic

_PREFIX = re.compile(r"^[0-9a-f]{4,32}$")
_PAGE = 100


def _full_id(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except ValueError:
        return None


def match_id(ref: str, candidates: Iterable[UUID], *, kind: str) -> UUID:
    """The one candidate whose hex starts with `ref` (dashes ignored)."""
    prefix = ref.strip().lower().replace("-", "")
    if not _PREFIX.match(prefix):
        raise InputError(f"{ref!r} is not an id or an id prefix (4+ hex digits)", field=kind)
    found = sorted({c for c in candidates if c.hex.startswith(prefix)})
    if not found:
        raise NotFoundError(f"no {kind} with id {ref!r}", field=kind)
    if len(found) > 1:
        ids = ", ".join(c.hex[:12] for c in found[:5])
        raise InputError(f"{ref!r} matches several: {ids}; give more digits", field=kind)
    return found[0]


def resolve_id(ref: str, list_ids: Callable[[], Iterable[UUID]], *, kind: str) -> UUID:
    """A full id as is (the API answers 404 if it is wrong); a prefix through the listing."""
    full = _full_id(ref)
    return full if full is not None else match_id(ref, list_ids(), kind=kind)


def _all_directive_ids(client: ApiClient) -> Iterable[UUID]:
    offset = 0
    while True:
        page = client.list_directives(limit=_PAGE, offset=offset)
        yield from (d.id for d in page)
        if len(page) < _PAGE:
            return
        offset += _PAGE


def resolve_directive(client: ApiClient, ref: str) -> UUID:
    return resolve_id(ref, lambda: _all_directive_ids(client), kind="directive")


def resolve_step(steps: Sequence[StepPublic], ref: str) -> StepPublic:
    """By id, by name (a removed step of the same name never shadows a live one), by prefix."""
    full = _full_id(ref)
    if full is not None:
        by_id = [s for s in steps if s.id == full]
        if by_id:
            return by_id[0]
        raise NotFoundError(f"no step with id {ref}", field="step")
    named = [s for s in steps if s.name == ref]
    live = [s for s in named if s.status is not StepStatus.REMOVED]
    chosen = live or named
    if len(chosen) == 1:
        return chosen[0]
    if len(chosen) > 1:
        raise InputError(f"several steps are named {ref!r}; give the id", field="step")
    if not _PREFIX.match(ref.strip().lower().replace("-", "")):
        raise NotFoundError(f"no step named {ref!r}", field="step")
    step_id = match_id(ref, (s.id for s in steps), kind="step")
    return next(s for s in steps if s.id == step_id)


def resolve_step_id(client: ApiClient, directive_id: UUID, ref: str) -> UUID:
    """A full step id as is; a name or prefix through the directive's steps."""
    full = _full_id(ref)
    return full if full is not None else resolve_step(client.list_steps(directive_id), ref).id
