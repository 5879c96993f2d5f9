"""The daemon's Celery app: the shared celeryconfig plus the pool's own queue."""

from __future__ import annotations

from celery import Celery
from kombu.entity import Queue

from schemas.wire import daemon_queue


def create_app(pool: str) -> Celery:
    """A Celery app that knows the `daemons.<pool>` queue; built when a daemon starts."""
    app = Celery("makima-daemon")
    app.config_from_object("celeryconfig")
    queue = Queue(daemon_queue(pool))  # type: ignore[no-untyped-call]
    app.conf.task_queues = (*app.conf.task_queues, queue)
    return app


def redis_url(broker_url: str) -> str:
    """The broker URL in the form redis-py accepts (Celery also allows redis+socket://)."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://")
    return broker_url
