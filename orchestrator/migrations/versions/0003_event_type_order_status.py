"""event type order_status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:40:00

`EventType.ORDER_STATUS` was added to the enum with migration 0002, but the CHECK
constraint on `directive_events.type` still lists the types of 0001, so recording an order's
status change failed with an integrity error. Autogenerate does not compare CHECK
constraints, hence this hand-written one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "directive_created",
    "directive_updated",
    "directive_status",
    "goal_changed",
    "plan_submitted",
    "step_added",
    "step_removed",
    "step_status",
    "task_status",
    "task_dispatched",
    "task_waiting",
    "evaluation",
    "evaluator_failed",
    "approval_requested",
    "approval_decided",
    "breaker_tripped",
    "planning_failed",
    "merge",
    "merge_gate",
    "pull_request",
    "order_linked",
    "order_unlinked",
    "directive_outcome",
)
_AFTER = (*_BEFORE, "order_status")


def _replace_check(values: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_directive_events_event_type"), "directive_events", type_="check")
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint(
        op.f("ck_directive_events_event_type"), "directive_events", f"type IN ({listed})"
    )


def upgrade() -> None:
    _replace_check(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM directive_events WHERE type = 'order_status'")
    _replace_check(_BEFORE)
