"""A bare two-hop Celery chain on makima's broker: the yardstick for the handoff benchmark."""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

app = Celery("bench-chain", broker=os.environ.get("MAKIMA_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.task_ignore_result = True
app.conf.worker_prefetch_multiplier = 1
app.conf.task_acks_late = True


@app.task(name="bench.hop1")  # type: ignore[untyped-decorator]
def hop1() -> None:
    hop2.apply_async(queue="bench.hop2")


_client: list[redis.Redis[bytes]] = []


@app.task(name="bench.hop2")  # type: ignore[untyped-decorator]
def hop2() -> None:
    started = time.time()
    if not _client:
        _client.append(redis.Redis.from_url(app.conf.broker_url))
    _client[0].rpush("bench:hop2", repr(started))
