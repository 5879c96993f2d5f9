"""What an agent session's outcome means as a task status."""

from __future__ import annotations

from schemas.enums import ErrorKind
from schemas.statuses import TaskStatus
from workers.processes import StopReason
from workers.runtimes.base import AgentOutcome

STOPPED_STATUS = {
    StopReason.CANCELLED: (TaskStatus.CANCELLED, ErrorKind.CANCELLED),
    StopReason.TIMED_OUT: (TaskStatus.TIMED_OUT, ErrorKind.TIMEOUT),
    StopReason.SHUTDOWN: (TaskStatus.INTERRUPTED, ErrorKind.DAEMON_LOST),
}


def status_of(outcome: AgentOutcome) -> TaskStatus:
    if outcome.stopped is not None:
        return STOPPED_STATUS[outcome.stopped][0]
    return TaskStatus.DONE if outcome.succeeded else TaskStatus.FAILED
