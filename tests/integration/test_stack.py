"""`makima up` for real: embedded servers, API, orchestrator worker, beat, daemon, Flower.

`run_stack` runs in a child Python (as the `makima up` command would), so the test can
SIGKILL it, press Ctrl-C on it, and watch what it prints.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis
from orchestrator.processes import free_port, port_in_use
from tests.support.stack_state import alive, recorded_pids, stack_state_dir

pytestmark = pytest.mark.integration

RUNNER = """
import sys
from pathlib import Path
from orchestrator.stack import run_stack
sys.exit(run_stack(Path(sys.argv[1]), api_port=int(sys.argv[2]), flower=True, tick_seconds=1))
"""


class UpRun:
    """One `run_stack` in a child process, its output collected as it comes."""

    def __init__(self, state: Path, api_port: int) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKIMA_DATABASE_URL", "MAKIMA_REDIS_URL")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(state), str(api_port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._reader.join(5)
                raise AssertionError(f"never printed {text!r}:\n{self.output}")
            time.sleep(0.1)

    def value(self, pattern: str) -> str:
        found = re.search(pattern, self.output)
        assert found is not None, self.output
        return found.group(1)

    def finish(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code


@pytest.fixture()
def state() -> Iterator[Path]:
    with stack_state_dir("makima-test-") as path:
        yield path


def _check_serving(run: UpRun, api_port: int) -> None:
    api = f"http://127.0.0.1:{api_port}"
    assert httpx.get(f"{api}/healthz", timeout=5).status_code == 200
    key = run.value(r"export MAKIMA_API_KEY=(\S+)")
    # The daemon announces itself over Redis; the orchestrator worker records it in
    # PostgreSQL; the API reads it: every piece is wired.
    deadline = time.monotonic() + 60
    while True:
        answer = httpx.get(f"{api}/api/v1/daemons", timeout=5,
                           headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        if any(d["status"] == "online" for d in answer.json()):
            break
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.5)
    flower = run.value(r"Flower\s+(http://\S+)")
    password = run.value(r"password (\S+)\)")
    assert httpx.get(f"{flower}/api/workers", timeout=5).status_code == 401
    assert httpx.get(f"{flower}/api/workers", timeout=5,
                     auth=("makima", password)).status_code == 200


def test_up_survives_its_own_sigkill_and_stops_cleanly_on_ctrl_c(state: Path) -> None:
    api_port = free_port()
    first = UpRun(state, api_port)
    first.wait_for("Press Ctrl-C to stop.")
    _check_serving(first, api_port)
    key = first.value(r"export MAKIMA_API_KEY=(\S+)")
    orphans = recorded_pids(state)
    servers = (EmbeddedPostgres(state).pid, EmbeddedRedis(state).pid)

    first.process.kill()  # SIGKILL: every child and both servers are left running
    first.finish()
    assert all(alive(pid) for pid in orphans)

    second = UpRun(state, api_port)
    second.wait_for("Press Ctrl-C to stop.")
    assert f"stopped {len(orphans)} processes left by an earlier run" in second.output
    assert "reusing the PostgreSQL server" in second.output
    assert "reusing the Redis server" in second.output
    assert not any(alive(pid) for pid in orphans)
    assert (EmbeddedPostgres(state).pid, EmbeddedRedis(state).pid) == servers
    assert second.value(r"export MAKIMA_API_KEY=(\S+)") == key  # the same local key
    _check_serving(second, api_port)
    children = recorded_pids(state)

    second.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert second.finish() == 0
    assert second.output.rstrip().endswith("stopped.")
    assert not any(alive(pid) for pid in children)
    assert recorded_pids(state) == []
    assert EmbeddedPostgres(state).pid is None
    assert EmbeddedRedis(state).pid is None
    assert not port_in_use(api_port)


def test_a_dying_child_is_reported_and_everything_else_stopped(state: Path) -> None:
    api_port = free_port()
    run = UpRun(state, api_port)
    run.wait_for("Press Ctrl-C to stop.")
    daemon = json.loads((state / "pids" / "daemon.json").read_text())["pid"]
    others = [pid for pid in recorded_pids(state) if pid != daemon]

    os.kill(daemon, signal.SIGKILL)

    assert run.finish() == 1
    assert "daemon was killed by SIGKILL; stopping everything else." in run.output
    assert f"Last lines of {state / 'logs' / 'daemon.log'}:" in run.output
    assert not any(alive(pid) for pid in others)
    assert EmbeddedPostgres(state).pid is None
    assert not port_in_use(api_port)
