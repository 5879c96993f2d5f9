"""Celery configuration shared by orchestrator workers, beat and daemons.

Read by `app.config_from_object("celeryconfig")`, which Celery does lazily on first use, so
importing this module connects to nothing. Values come from `MAKIMA_*` environment
variables (the same names as the orchestrator's Settings) so a daemon machine needs no
orchestrator code to join.

Queues:
- `control`: the beat tick alone, so a burst of phase tasks never delays it.
- `orchestrator`: the phase tasks and everything daemons report back.
- `daemons.<pool>`: agent sessions; declared by each daemon for its own pool.
"""

from __future__ import annotations

import os

from kombu.entity import Queue

from schemas.wire import QUEUE_CONTROL, QUEUE_ORCHESTRATOR, TASK_TICK

broker_url = os.environ.get("MAKIMA_REDIS_URL", "redis://127.0.0.1:6379/0")
broker_connection_retry_on_startup = True

# Long agent sessions are acknowledged only when they end (acks_late). Redis redelivers an
# unacknowledged message after the visibility timeout, so it must outlast the longest
# session; otherwise a second daemon would start the same session while the first still runs.
_max_session = int(os.environ.get("MAKIMA_MAX_SESSION_SECONDS", str(4 * 3600)))
broker_transport_options = {"visibility_timeout": _max_session + 3600}

task_serializer = "json"
accept_content = ["json"]
result_serializer = "json"
task_ignore_result = True  # PostgreSQL holds every outcome; Redis only carries messages.
result_backend = None

task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
worker_send_task_events = True
task_send_sent_event = True
worker_hijack_root_logger = False
broker_heartbeat = 0

task_default_queue = QUEUE_ORCHESTRATOR
task_queues = (Queue(QUEUE_ORCHESTRATOR), Queue(QUEUE_CONTROL))  # type: ignore[no-untyped-call]
task_routes = {
    TASK_TICK: {"queue": QUEUE_CONTROL},
    "orchestrator.*": {"queue": QUEUE_ORCHESTRATOR},
}

_tick_seconds = float(os.environ.get("MAKIMA_TICK_SECONDS", "5"))
beat_schedule = {
    "orchestrator-tick": {
        "task": TASK_TICK,
        "schedule": _tick_seconds,
        # A tick that could not run in time is useless: the next one re-derives everything.
        "options": {"queue": QUEUE_CONTROL, "expires": max(_tick_seconds * 2, 1.0)},
    }
}
timezone = "UTC"
enable_utc = True
