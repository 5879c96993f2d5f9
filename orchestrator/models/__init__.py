"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from orchestrator.models.backlog import Order
from orchestrator.models.base import Base
from orchestrator.models.directives import Directive, GoalHistory
from orchestrator.models.events import DirectiveEvent
from orchestrator.models.fleet import Daemon, SchedulerState
from orchestrator.models.owners import ApiKey, Owner
from orchestrator.models.pulls import PullRequest
from orchestrator.models.reviews import Approval, Evaluation
from orchestrator.models.steps import Step
from orchestrator.models.tasks import Task, TaskOutputEvent

__all__ = [
    "ApiKey",
    "Approval",
    "Base",
    "Daemon",
    "Directive",
    "DirectiveEvent",
    "Evaluation",
    "GoalHistory",
    "Order",
    "Owner",
    "PullRequest",
    "SchedulerState",
    "Step",
    "Task",
    "TaskOutputEvent",
]
