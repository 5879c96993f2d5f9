"""A daemon killed with SIGKILL mid-step: its heartbeats stop, the orchestrator marks the
session interrupted, and the step finishes after being dispatched again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.conftest import _spawn, _stop, wait_for
from tests.integration.lifecycle.helpers import (
    action,
    create_directive,
    events,
    start,
    tasks,
    wait_status,
    write,
)
from tests.support.sample_repo import make_sample_repo, script


def _daemon(name: str, env: dict[str, str], state_dir: Path) -> subprocess.Popen[bytes]:
    return _spawn(
        name,
        [
            sys.executable,
            "-m",
            "workers",
            "--pool",
            "victims",
            "--concurrency",
            "1",
            "--name",
            name,
            "--work-dir",
            str(state_dir / name),
        ],
        env,
        state_dir,
    )


def test_a_killed_daemon_interrupts_its_session_and_the_step_finishes_elsewhere(
    stack: httpx.Client, stack_env: dict[str, str], state_dir: Path, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [
        {
            "name": "long",
            "task_plan": script(
                write("started.txt", "yes\n"),
                action(sleep=120, when_attempt=[1]),
                write("done.txt", "done\n"),
            ),
        }
    ]
    victim = _daemon("victim", stack_env, state_dir)
    rescuer = None
    try:
        directive_id = create_directive(
            stack, repo, plan, agent={"runtime": "scripted", "pool": "victims"}
        )["directive"]["id"]
        start(stack, directive_id)
        wait_for(lambda: any(t["status"] == "running" for t in tasks(stack, directive_id)), 60)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)

        def interrupted() -> bool:
            return any(t["status"] == "interrupted" for t in tasks(stack, directive_id))

        wait_for(interrupted, timeout=60)
        [lost] = [t for t in tasks(stack, directive_id) if t["status"] == "interrupted"]
        assert lost["error_kind"] == "daemon_lost"
        daemons = {d["name"]: d for d in stack.get("/api/v1/daemons").json()}
        assert daemons["victim"]["status"] == "offline"

        rescuer = _daemon("rescuer", stack_env, state_dir)
        final = wait_status(stack, directive_id, {"completing", "completed", "paused"}, timeout=90)
        assert final["steps"][0]["status"] == "passed", final
        attempts = sorted(
            (t["attempt"], t["status"], t["daemon"])
            for t in tasks(stack, directive_id)
            if t["kind"] == "execute"
        )
        assert attempts == [(1, "interrupted", "victim"), (2, "done", "rescuer")]
        assert any(
            e["type"] == "task_status" and "interrupted" in e["message"]
            for e in events(stack, directive_id)
        )
    finally:
        _stop(victim)
        if rescuer is not None:
            _stop(rescuer)
