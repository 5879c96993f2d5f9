"""The orchestrator's Celery app: phases, the tick and the records of daemon reports."""

from __future__ import annotations

import gc

from celery import Celery, signals

app = Celery("makima")
app.config_from_object("celeryconfig")
app.conf.include = ["orchestrator.tasks"]


def freeze_startup_heap(**_: object) -> None:
    """Keep what a worker process allocated at startup out of the cyclic GC's full passes.

    Modules, mappers and compiled caches live as long as the process, yet every full
    collection walks them all: in a worker child that pause reached 70-90 ms and fell on
    whichever handoff was running (the benchmark's p99). Frozen objects are never scanned;
    what tasks allocate later still is.
    """
    gc.collect()
    gc.freeze()


# worker_process_init: each prefork child after the fork; worker_ready: the parent (which
# receives the messages) or the only process of a solo/threads worker.
signals.worker_process_init.connect(freeze_startup_heap, weak=False)
signals.worker_ready.connect(freeze_startup_heap, weak=False)
