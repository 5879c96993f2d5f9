"""The transition tables, checked exhaustively: every pair is either allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from schemas.statuses import (
    DIRECTIVE_TRANSITIONS,
    STEP_TERMINAL,
    STEP_TRANSITIONS,
    TASK_LIVE,
    TASK_TERMINAL,
    TASK_TRANSITIONS,
    DirectiveStatus,
    IllegalTransitionError,
    StepStatus,
    TaskStatus,
    can_transition,
    check_transition,
)

TABLES = [
    (DirectiveStatus, DIRECTIVE_TRANSITIONS),
    (StepStatus, STEP_TRANSITIONS),
    (TaskStatus, TASK_TRANSITIONS),
]

D, S, T = DirectiveStatus, StepStatus, TaskStatus

# The full list of allowed moves, written out by hand from DESIGN.md section 3; the tables
# must match it exactly, so an edit to a table is a deliberate edit here too.
EXPECTED = [  # a list, not a set: members of different machines hash alike
    (D.DRAFT, D.PLANNING), (D.DRAFT, D.ACTIVE), (D.DRAFT, D.STOPPED),
    (D.PLANNING, D.ACTIVE), (D.PLANNING, D.PAUSED), (D.PLANNING, D.FAILED),
    (D.PLANNING, D.STOPPED),
    (D.ACTIVE, D.PAUSED), (D.ACTIVE, D.PLANNING), (D.ACTIVE, D.COMPLETING),
    (D.ACTIVE, D.FAILED), (D.ACTIVE, D.STOPPED),
    (D.PAUSED, D.ACTIVE), (D.PAUSED, D.PLANNING), (D.PAUSED, D.FAILED), (D.PAUSED, D.STOPPED),
    (D.COMPLETING, D.COMPLETED), (D.COMPLETING, D.ACTIVE), (D.COMPLETING, D.PAUSED),
    (D.COMPLETING, D.FAILED), (D.COMPLETING, D.STOPPED),
    (D.COMPLETED, D.PLANNING), (D.FAILED, D.PLANNING),
    (S.PENDING, S.READY), (S.PENDING, S.SKIPPED), (S.PENDING, S.REMOVED),
    (S.READY, S.RUNNING), (S.READY, S.PENDING), (S.READY, S.SKIPPED), (S.READY, S.REMOVED),
    (S.RUNNING, S.EVALUATING), (S.RUNNING, S.PENDING), (S.RUNNING, S.READY),
    (S.RUNNING, S.FAILED),
    (S.EVALUATING, S.PASSED), (S.EVALUATING, S.AWAITING_APPROVAL), (S.EVALUATING, S.PENDING),
    (S.EVALUATING, S.FAILED),
    (S.AWAITING_APPROVAL, S.PASSED), (S.AWAITING_APPROVAL, S.PENDING),
    (S.AWAITING_APPROVAL, S.FAILED),
    (S.FAILED, S.SKIPPED), (S.FAILED, S.REMOVED), (S.SKIPPED, S.REMOVED),
    (T.PENDING, T.QUEUED), (T.PENDING, T.CANCELLED),
    *((T.QUEUED, t) for t in (T.RUNNING, T.DONE, T.FAILED, T.INTERRUPTED, T.CANCELLED,
                             T.TIMED_OUT)),
    *((T.RUNNING, t) for t in (T.DONE, T.FAILED, T.INTERRUPTED, T.CANCELLED, T.TIMED_OUT)),
]  # fmt: skip


def _key(current: object, target: object) -> tuple[str, str, str]:
    return (type(current).__name__, str(current), str(target))


EXPECTED_KEYS = {_key(c, t) for c, t in EXPECTED}


@pytest.mark.parametrize(("enum", "table"), TABLES)
def test_table_covers_every_status(enum: type, table: dict) -> None:  # type: ignore[type-arg]
    assert set(table) == set(enum)
    for targets in table.values():
        assert targets <= set(enum)


@pytest.mark.parametrize(("enum", "table"), TABLES)
def test_every_pair_matches_the_design(enum: type, table: dict) -> None:  # type: ignore[type-arg]
    for current, target in itertools.product(enum, enum):
        # StrEnum members of different machines compare equal by value ("running"), so
        # the machine's name is part of the key.
        allowed = _key(current, target) in EXPECTED_KEYS
        assert can_transition(current, target) is allowed, (current, target)
        if allowed:
            check_transition(current, target)
        else:
            with pytest.raises(IllegalTransitionError):
                check_transition(current, target)


def test_machines_do_not_mix() -> None:
    with pytest.raises(IllegalTransitionError):
        check_transition(StepStatus.PENDING, TaskStatus.QUEUED)


def test_terminal_sets_have_no_way_forward_except_replanning() -> None:
    for status in TASK_TERMINAL:
        assert not TASK_TRANSITIONS[status]
    assert set(TaskStatus) == TASK_LIVE | TASK_TERMINAL
    for status in STEP_TERMINAL:
        assert STEP_TRANSITIONS[status] <= {StepStatus.SKIPPED, StepStatus.REMOVED}
    assert not DIRECTIVE_TRANSITIONS[DirectiveStatus.STOPPED]
