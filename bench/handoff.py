"""Handoff latency: a step's finished update received → its dependent's session started.

Runs the real embedded stack (PostgreSQL, Redis, an orchestrator worker, beat, one daemon
with the scripted runtime doing nothing) on a chain of steps, once event-driven and once
tick-only, and in the same run measures the round trip of a raw two-hop Celery chain on the
same broker, so the ratio says what makima's bookkeeping costs over Celery itself.

    python bench/handoff.py --handoffs 200

A benchmark, not a test: it prints figures; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis  # noqa: E402
from orchestrator.supervisor import Supervisor, log_ready  # noqa: E402
from tests.support.sample_repo import make_sample_repo, script  # noqa: E402

INSTANT = script('{"say": "ok"}')


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


def start_stack(sup: Supervisor, env: dict[str, str], state: Path, tick_only: bool) -> None:
    env = {**env, "MAKIMA_TICK_ONLY": "true" if tick_only else "false"}
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


def run_chain(database_url: str, repo: Path, handoffs: int, timeout: float) -> list[float]:
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
        latencies, deciding = [], []
        for step in steps:
            if not step.depends_on:
                continue
            dep_task = tasks[step.depends_on[0]]
            received = done_at[dep_task.id]
            task = tasks[step.id]
            assert task.started_at is not None and task.queued_at is not None
            latencies.append((task.started_at - received).total_seconds() * 1000)
            deciding.append((task.queued_at - received).total_seconds() * 1000)
    print(f"  of which deciding (received → dependent queued): "
          f"p50 {percentiles(deciding)['p50']:.1f} ms", flush=True)
    return latencies


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
    parser.add_argument("--tick-seconds", type=float, default=0.5)
    parser.add_argument("--modes", default="event,tick")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="makima-bench-"))
    with EmbeddedPostgres(state / "pg") as pg, EmbeddedRedis(state / "redis") as rd:
        database_url, redis_url = pg.start(), rd.start()
        from orchestrator.migrations import upgrade

        upgrade(database_url)
        env = {
            **os.environ,
            "MAKIMA_DATABASE_URL": database_url,
            "MAKIMA_REDIS_URL": redis_url,
            "MAKIMA_TICK_SECONDS": str(args.tick_seconds),
            "MAKIMA_API_URL": "http://127.0.0.1:9",
            "PYTHONPATH": str(REPO_ROOT),
        }
        os.environ.update(env)
        repo = make_sample_repo(state / "repo")
        results: dict[str, dict[str, float]] = {}
        with Supervisor(state / "raw") as sup:
            results["raw two-hop celery chain"] = percentiles(raw_chain(env, sup, args.handoffs))
        for mode in args.modes.split(","):
            with Supervisor(state / mode) as sup:
                start_stack(sup, env, state, tick_only=(mode == "tick"))
                time.sleep(2)  # let the daemon announce itself
                timeout = args.handoffs * (3 + 4 * args.tick_seconds) + 120
                latencies = run_chain(database_url, repo, args.handoffs, timeout)
                results[f"handoff, {'tick-only' if mode == 'tick' else 'event-driven'}"] = (
                    percentiles(latencies)
                )
    raw = results["raw two-hop celery chain"]
    print(f"{'measure':<34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'p50 ratio':>11}")
    for name, figures in results.items():
        print(
            f"{name:<34}{figures['n']:>6.0f}{figures['p50']:>10.1f}{figures['p95']:>10.1f}"
            f"{figures['p99']:>10.1f}{figures['p50'] / raw['p50']:>11.1f}"
        )


if __name__ == "__main__":
    main()
