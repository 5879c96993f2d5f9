"""Fixtures for the API tests: a second owner's client, a task-scoped client, and helpers
that build state through the same repository functions production uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from orchestrator.db import session_scope
from orchestrator.models import Directive, Step
from orchestrator.repository.transitions import transition
from schemas.statuses import StepStatus

MakeDirective = Callable[..., dict[str, Any]]


NO_DAEMON_POOL = "api-tests"


def directive_body(**overrides: Any) -> dict[str, Any]:
    """A directive on a pool no daemon serves: when a test session also runs the stack's
    worker and daemon, a started directive's tasks stay queued instead of running."""
    body: dict[str, Any] = {
        "title": "Add a CLI",
        "goal": "Give the tool a command line.",
        "repository": "/srv/repos/tool",
        "agent": {"pool": NO_DAEMON_POOL},
    }
    body.update(overrides)
    return body


@pytest.fixture()
def make_directive(client: httpx.Client) -> MakeDirective:
    """Create a directive over HTTP; returns the DirectiveDetail JSON."""

    def make(**overrides: Any) -> dict[str, Any]:
        response = client.post("/api/v1/directives", json=directive_body(**overrides))
        assert response.status_code == 201, response.text
        detail: dict[str, Any] = response.json()
        return detail

    return make


@pytest.fixture()
def other_client(api_url: str, other_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api_url, headers={"Authorization": f"Bearer {other_token}"}, timeout=30
    ) as c:
        yield c


@pytest.fixture()
def task_client_for(api_url: str, database_url: str) -> Iterator[Callable[[str], httpx.Client]]:
    """A client holding a task-scoped key bound to the given directive."""
    from orchestrator.models import Directive
    from orchestrator.repository.owners import create_api_key
    from schemas.enums import TokenScope

    clients: list[httpx.Client] = []

    def make(directive_id: str) -> httpx.Client:
        with session_scope(database_url) as session:
            directive = session.get_one(Directive, uuid.UUID(directive_id))
            _key, token = create_api_key(
                session,
                owner_id=directive.owner_id,
                name="task",
                scope=TokenScope.TASK,
                directive_id=directive.id,
                task_id=uuid.uuid4(),
                expires_in_seconds=3600,
            )
        c = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def move_step(database_url: str, step_id: str, *path: StepStatus) -> None:
    """Walk a step through the transition table (as the phases would), one guarded step each.

    Under the directive's row lock, like a phase: when the test session also runs the
    stack's orchestrator worker, it may already have dispatched a started directive's step
    (pending → ready → running); the path then goes on from where the step is.
    """
    with session_scope(database_url) as session:
        step = session.get_one(Step, uuid.UUID(step_id))
        session.get_one(Directive, step.directive_id, with_for_update=True)
        session.refresh(step)
        if step.status in path:
            path = path[path.index(step.status) + 1 :]
        for target in path:
            assert transition(
                session,
                directive_id=step.directive_id,
                row_id=step.id,
                current=step.status,
                target=target,
                reason="test",
            )
            session.refresh(step)


def table_counts(database_url: str) -> dict[str, int]:
    """Rows per table: proof that a refused request wrote nothing."""
    from sqlalchemy import func, select

    from orchestrator.models import Base

    with session_scope(database_url) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name != "scheduler_state"  # the tick's own bookkeeping, when beat runs
        }
