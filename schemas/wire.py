"""Every name that crosses Redis: queues, Celery task names, keys.

Both sides import these; neither spells one by hand.
"""

from __future__ import annotations

import re

QUEUE_ORCHESTRATOR = "orchestrator"
QUEUE_CONTROL = "control"
DAEMON_QUEUE_PREFIX = "daemons."
DEFAULT_POOL = "default"

# Orchestrator-side tasks.
TASK_TICK = "orchestrator.tick"
TASK_PLAN = "orchestrator.phases.plan"
TASK_DISPATCH = "orchestrator.phases.dispatch"
TASK_MONITOR = "orchestrator.phases.monitor"
TASK_EVALUATE = "orchestrator.phases.evaluate"
TASK_REPLAN = "orchestrator.phases.replan"
TASK_COMPLETE = "orchestrator.phases.complete"
TASK_RECORD_UPDATE = "orchestrator.record_task_update"
TASK_RECORD_DAEMON = "orchestrator.record_daemon_message"

# Daemon-side task.
TASK_RUN = "daemon.run_task"

# Redis keys. A cancel key exists while the orchestrator wants a task stopped; the daemon
# running it polls the key with its heartbeat. Keys expire so Redis never fills up.
CANCEL_KEY_PREFIX = "makima:cancel:"
CANCEL_KEY_TTL_SECONDS = 24 * 3600

_POOL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def daemon_queue(pool: str) -> str:
    """The queue a daemon pool consumes; pool names are validated, never free text."""
    if not _POOL_RE.match(pool):
        raise ValueError(f"pool name {pool!r} must match {_POOL_RE.pattern}")
    return DAEMON_QUEUE_PREFIX + pool


def cancel_key(task_id: str) -> str:
    return CANCEL_KEY_PREFIX + task_id
