"""Handoff latency: a step's finished update received → its dependent's session started.

Runs the real embedded stack (PostgreSQL, Redis, an orchestrator worker, beat, one daemon
with the scripted runtime doing nothing) on a chain of steps, once event-driven and once
tick-only, and in the same run measures the round trip of a raw two-hop Celery chain on the
same broker, so the ratio says what makima's bookkeeping costs over Celery itself.

    python bench/handoff.py --handoffs 200

Each handoff is measured from the PostgreSQL `now()` of the transaction that recorded the
dependency's `done` (the start of the recording worker's transaction) to the dependent
task's `started_at` (the daemon's clock when it took the message; same machine), and split
into stages with the task's `queued_at` and the Celery `task-sent` / `task-received` events
of its RunTask message (captured by a thread of this process).

A benchmark, not a test: it prints figures; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis  # noqa: E402
from orchestrator.supervisor import Supervisor, log_ready  # noqa: E402
from schemas.wire import TASK_RUN  # noqa: E402
from tests.support.sample_repo import make_sample_repo, script  # noqa: E402

INSTANT = script('{"say": "ok"}')


class RunTaskEvents:
    """When each RunTask message was published and when a daemon received it (Celery events)."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self._receiver: Any = None
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def _on_event(self, event: dict[str, Any]) -> None:
        if event["type"] == "task-sent" and event.get("name") == TASK_RUN:
            self.sent[event["uuid"]] = event["timestamp"]
        elif event["type"] == "task-received" and event.get("name") == TASK_RUN:
            self.received[event["uuid"]] = event["timestamp"]

    def _capture(self) -> None:
        from orchestrator.celery_app import app

        with app.connection_for_read() as connection:
            handlers = {"task-sent": self._on_event, "task-received": self._on_event}
            self._receiver = app.events.Receiver(connection, handlers=handlers)
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def start(self) -> None:
        self._thread.start()
        time.sleep(1)  # the receiver's queue must be bound before the first message

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class Handoff:
    """One handoff's instants, in seconds since the epoch (one clock: same machine)."""

    reported: float  # the daemon reported the dependency finished (TaskFinished.at)
    received: float  # the recording transaction of the dependency's `done` began
    queued: float  # the dependent's task row was queued (still inside that transaction)
    published: float | None  # its RunTask left the orchestrator (after the commit)
    taken: float | None  # the daemon's Celery consumer received the message
    started: float  # the daemon started the session (TaskStarted.at)

    @property
    def total_ms(self) -> float:
        return (self.started - self.received) * 1000


STAGES = (
    ("(before: reported → received)", "reported", "received"),
    ("deciding (received → queued)", "received", "queued"),
    ("commit + publish (queued → sent)", "queued", "published"),
    ("broker → daemon (sent → taken)", "published", "taken"),
    ("daemon start (taken → started)", "taken", "started"),
)


def stage_figures(handoffs: list[Handoff]) -> dict[str, dict[str, float]]:
    figures = {}
    for label, start, end in STAGES:
        values = [
            (getattr(h, end) - getattr(h, start)) * 1000
            for h in handoffs
            if getattr(h, start) is not None and getattr(h, end) is not None
        ]
        if values:
            figures[label] = percentiles(values)
    return figures


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": pick(0.5),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "mean": statistics.fmean(ordered),
    }


def start_stack(
    sup: Supervisor, env: dict[str, str], state: Path, tick_only: bool, tick_seconds: float
) -> None:
    env = {
        **env,
        "MAKIMA_TICK_ONLY": "true" if tick_only else "false",
        "MAKIMA_TICK_SECONDS": str(tick_seconds),
    }
    py = sys.executable
    sup.start(
        "orchestrator",
        [
            py,
            "-m",
            "celery",
            "-A",
            "orchestrator.celery_app",
            "worker",
            "-Q",
            "orchestrator,control",
            "-n",
            f"bench-{uuid.uuid4().hex[:6]}@%h",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
        ],
        env=env,
        ready=log_ready("ready"),
    )
    sup.start(
        "beat",
        [
            py,
            "-m",
            "celery",
            "-A",
            "orchestrator.celery_app",
            "beat",
            "--schedule",
            str(state / f"beat-{tick_only}"),
            "--loglevel",
            "INFO",
        ],
        env=env,
    )
    sup.start(
        "daemon",
        [
            py,
            "-m",
            "workers",
            "--pool",
            "default",
            "--concurrency",
            "2",
            "--name",
            f"bench-daemon-{tick_only}",
            "--work-dir",
            str(state / "daemon"),
        ],
        env=env,
        ready=log_ready("ready"),
    )


def run_chain(
    database_url: str, repo: Path, handoffs: int, timeout: float, events: RunTaskEvents
) -> list[Handoff]:
    from orchestrator.db import session_scope
    from orchestrator.lifecycle import start_directive
    from orchestrator.models import Directive, Step, Task
    from orchestrator.repository.owners import get_or_create_owner
    from schemas.enums import AutonomyLevel
    from schemas.statuses import DirectiveStatus, StepStatus

    with session_scope(database_url) as session:
        owner = get_or_create_owner(session, name="bench")
        directive = Directive(
            owner_id=owner.id,
            title="handoff bench",
            goal="measure",
            repository=str(repo),
            runtime="scripted",
            autonomy=AutonomyLevel.FULL_AUTO,
            auto_verifiers=False,
            max_total_cost_usd=Decimal(1000),
            max_wall_seconds=24 * 3600,
        )
        session.add(directive)
        session.flush()
        previous: uuid.UUID | None = None
        for index in range(handoffs + 1):
            step = Step(
                directive_id=directive.id,
                name=f"s{index:04d}",
                task_plan=INSTANT,
                depends_on=[previous] if previous else [],
            )
            session.add(step)
            session.flush()
            previous = step.id
        start_directive(session, directive=directive, actor="bench")
        directive_id = directive.id

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(database_url) as session:
            status = session.scalar(select(Directive.status).where(Directive.id == directive_id))
            if status in (
                DirectiveStatus.COMPLETING,
                DirectiveStatus.COMPLETED,
                DirectiveStatus.PAUSED,
                DirectiveStatus.FAILED,
            ):
                break
        time.sleep(0.5)
    else:
        raise SystemExit(f"chain did not finish within {timeout}s")

    from orchestrator.models import DirectiveEvent
    from schemas.enums import EventType

    with session_scope(database_url) as session:
        steps = session.scalars(select(Step).where(Step.directive_id == directive_id)).all()
        if any(s.status is not StepStatus.PASSED for s in steps):
            raise SystemExit("not every step passed; see the logs")
        tasks = {
            t.step_id: t
            for t in session.scalars(select(Task).where(Task.directive_id == directive_id))
        }
        done_at = {
            e.task_id: e.created_at
            for e in session.scalars(
                select(DirectiveEvent).where(
                    DirectiveEvent.directive_id == directive_id,
                    DirectiveEvent.type == EventType.TASK_STATUS,
                )
            )
            if e.data.get("to") == "done"
        }
        measured: list[Handoff] = []
        for step in steps:
            if not step.depends_on:
                continue
            task, dependency = tasks[step.id], tasks[step.depends_on[0]]
            assert task.started_at is not None and task.queued_at is not None
            assert dependency.finished_at is not None
            message_id = f"{task.id}:{task.attempt}"
            measured.append(
                Handoff(
                    reported=epoch(dependency.finished_at),
                    received=epoch(done_at[dependency.id]),
                    queued=epoch(task.queued_at),
                    published=events.sent.get(message_id),
                    taken=events.received.get(message_id),
                    started=epoch(task.started_at),
                )
            )
    return measured


def raw_chain(env: dict[str, str], sup: Supervisor, n: int) -> list[float]:
    """Send hop1 → hop1 sends hop2 on another worker → hop2 notes when it started."""
    import redis

    py = sys.executable
    for queue in ("bench.hop1", "bench.hop2"):
        sup.start(
            queue,
            [
                py,
                "-m",
                "celery",
                "-A",
                "bench.chain_app",
                "worker",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
            ],
            env=env,
            ready=log_ready("ready"),
            cwd=REPO_ROOT,
        )
    from bench.chain_app import app, hop1

    client = redis.Redis.from_url(env["MAKIMA_REDIS_URL"])
    client.delete("bench:hop2")
    latencies = []
    for _ in range(n):
        sent = time.time()
        hop1.apply_async(queue="bench.hop1")
        _key, value = client.blpop(["bench:hop2"], timeout=30) or (None, None)
        assert value is not None, "raw chain lost a message"
        latencies.append((float(value) - sent) * 1000)
    app.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--handoffs", type=int, default=200)
    parser.add_argument(
        "--tick-seconds", type=float, default=0.5, help="the beat tick in tick-only mode"
    )
    parser.add_argument(
        "--event-tick-seconds",
        type=float,
        default=5.0,
        help="the beat tick (the safety net) in event-driven mode; 5 s is makima's default",
    )
    parser.add_argument("--modes", default="event,tick")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average {load_average()} at the start")
    state = Path(tempfile.mkdtemp(prefix="makima-bench-"))
    with EmbeddedPostgres(state / "pg") as pg, EmbeddedRedis(state / "redis") as rd:
        database_url, redis_url = pg.start(), rd.start()
        from orchestrator.migrations import upgrade

        upgrade(database_url)
        env = {
            **os.environ,
            "MAKIMA_DATABASE_URL": database_url,
            "MAKIMA_REDIS_URL": redis_url,
            "MAKIMA_API_URL": "http://127.0.0.1:9",
            "PYTHONPATH": str(REPO_ROOT),
        }
        os.environ.update(env)
        repo = make_sample_repo(state / "repo")
        results: dict[str, dict[str, float]] = {}
        breakdowns: dict[str, dict[str, dict[str, float]]] = {}
        with Supervisor(state / "raw") as sup:
            results["raw two-hop celery chain"] = percentiles(raw_chain(env, sup, args.handoffs))
        for mode in args.modes.split(","):
            tick_only = mode == "tick"
            tick = args.tick_seconds if tick_only else args.event_tick_seconds
            name = f"handoff, {'tick-only' if tick_only else 'event-driven'} (tick {tick:g} s)"
            with Supervisor(state / mode) as sup:
                start_stack(sup, env, state, tick_only=tick_only, tick_seconds=tick)
                time.sleep(2)  # let the daemon announce itself
                events = RunTaskEvents()
                events.start()
                timeout = args.handoffs * (3 + 4 * tick) + 120
                try:
                    handoffs = run_chain(database_url, repo, args.handoffs, timeout, events)
                finally:
                    events.stop()
                results[name] = percentiles([h.total_ms for h in handoffs])
                breakdowns[name] = stage_figures(handoffs)
    print(f"load average {load_average()} at the end (other work on the machine skews figures)")
    print_table(results)
    for name, stages in breakdowns.items():
        print(f"\n{name}: stages")
        print_table(stages, ratio=False)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_table(results: dict[str, dict[str, float]], *, ratio: bool = True) -> None:
    raw = results.get("raw two-hop celery chain")
    print(
        f"{'measure':<36}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        + (f"{'p50 ratio':>11}" if ratio else "")
    )
    for name, figures in results.items():
        line = (
            f"{name:<36}{figures['n']:>6.0f}{figures['p50']:>10.1f}{figures['p95']:>10.1f}"
            f"{figures['p99']:>10.1f}"
        )
        if ratio and raw:
            line += f"{figures['p50'] / raw['p50']:>11.1f}"
        print(line)


if __name__ == "__main__":
    main()
