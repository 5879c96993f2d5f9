"""`run_daemon`: one process that runs agent sessions for a pool.

The daemon is a Celery worker with the **threads** pool, consuming only `daemons.<pool>`
with prefetch 1; its concurrency (threads) is its capacity. Being a single process matters:
if it is SIGKILLed, its heartbeats stop with it and the orchestrator notices.

Life cycle:
1. salvage worktrees a crashed earlier run left in the work directory (commit + push);
2. start the worker; when it is ready, announce the daemon (name, host, pool, capacity,
   runtimes, version) and start the daemon heartbeat thread (ids of running tasks);
3. on SIGTERM/SIGINT (Celery's warm shutdown) every running session is stopped, commits and
   pushes its work and reports `interrupted` with ErrorKind.DAEMON_LOST and its session id
   (the orchestrator dispatches the step again and resumes the session), so nothing waits
   hours for a session to end; then DaemonGoodbye is sent.
"""

from __future__ import annotations

import logging
import socket
import threading
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

import redis
from celery import signals

from schemas.messages import DaemonAnnounce, DaemonGoodbye, DaemonHeartbeat
from schemas.wire import cancel_key, daemon_queue
from workers.celery_app import create_app, redis_url
from workers.config import DaemonSettings
from workers.reporter import CeleryPublisher, now
from workers.runtimes import build_runtimes
from workers.session import DaemonContext
from workers.tasks import register_tasks
from workers.worktrees import WorktreeManager

log = logging.getLogger(__name__)


def makima_version() -> str:
    try:
        return metadata.version("makima")
    except metadata.PackageNotFoundError:
        return "unknown"


class DaemonHeart:
    """Announces the daemon and beats every `heartbeat_seconds` until stopped."""

    def __init__(self, ctx: DaemonContext) -> None:
        self.ctx = ctx
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="daemon-heartbeat", daemon=True)

    def start(self) -> None:
        settings = self.ctx.settings
        self.ctx.publisher.daemon_message(DaemonAnnounce(
            name=settings.name, host=socket.gethostname(), pool=settings.pool,
            capacity=settings.concurrency, runtimes=tuple(sorted(self.ctx.runtimes)),
            version=makima_version(), at=now()))
        self._thread.start()

    def _beat(self) -> None:
        settings = self.ctx.settings
        while not self._stopped.wait(settings.heartbeat_seconds):
            self.ctx.publisher.daemon_message(DaemonHeartbeat(
                name=settings.name, pool=settings.pool,
                running_task_ids=self.ctx.running.snapshot(), at=now()))

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_daemon(pool: str, concurrency: int, name: str | None, work_dir: Path | None) -> None:
    """Run a daemon in this process until it is told to shut down."""
    _setup_logging()
    overrides: dict[str, Any] = {"pool": pool, "concurrency": concurrency}
    if name:
        overrides["name"] = name
    if work_dir is not None:
        overrides["work_dir"] = work_dir
    settings = DaemonSettings(**overrides)
    queue = daemon_queue(settings.pool)
    settings.work_dir.mkdir(parents=True, exist_ok=True)

    app = create_app(settings.pool)
    cancel_client = redis.Redis.from_url(redis_url(str(app.conf.broker_url)))

    def is_cancelled(task_id: UUID) -> bool:
        return bool(cancel_client.exists(cancel_key(str(task_id))))

    runtimes = build_runtimes(settings)
    unknown = set(settings.runtimes) - set(runtimes)
    if unknown:
        log.warning("runtimes not available on this daemon: %s", ", ".join(sorted(unknown)))
    ctx = DaemonContext(settings=settings, publisher=CeleryPublisher(app), runtimes=runtimes,
                        worktrees=WorktreeManager(settings.work_dir), is_cancelled=is_cancelled)
    salvaged = ctx.worktrees.recover_leftovers()
    if salvaged:
        log.warning("salvaged %d worktree(s) left by an earlier run", len(salvaged))
    register_tasks(app, ctx)
    heart = DaemonHeart(ctx)

    def on_ready(**_: Any) -> None:
        heart.start()
        log.info("daemon %s ready on %s (capacity %d, runtimes %s)", settings.name, queue,
                 settings.concurrency, ", ".join(sorted(runtimes)) or "none")

    def on_shutting_down(**_: Any) -> None:
        ctx.shutdown.set()  # every session's watcher stops its agent

    signals.worker_ready.connect(on_ready, weak=False)
    signals.worker_shutting_down.connect(on_shutting_down, weak=False)
    hostname = settings.name if "@" in settings.name else f"{settings.name}@{socket.gethostname()}"
    try:
        worker = app.Worker(
            hostname=hostname,
            pool_cls="threads",
            concurrency=settings.concurrency,
            queues=[queue],
            send_events=True,
            without_gossip=True,
            without_mingle=True,
            loglevel="INFO",
        )
        worker.start()
    finally:
        ctx.shutdown.set()
        heart.stop()
        ctx.publisher.daemon_message(DaemonGoodbye(name=settings.name, at=now()))
        signals.worker_ready.disconnect(on_ready)
        signals.worker_shutting_down.disconnect(on_shutting_down)
        cancel_client.close()
