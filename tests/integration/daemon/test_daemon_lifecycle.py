"""A daemon killed with SIGKILL loses no work; a daemon told to stop stops its sessions."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from schemas.enums import ErrorKind
from schemas.messages import DaemonGoodbye, DaemonHeartbeat
from schemas.statuses import TaskStatus
from tests.integration.daemon.conftest import start_daemon
from tests.integration.daemon.support import Publisher, UpdateCollector, make_task, script
from tests.support.gitrepo import files_on, git, read_file

POOL = "lifecycle"
WRITE_HELLO = '{"write": {"path": "hello.txt", "content": "hello\\n"}}'


def is_running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for PID 1 to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def heartbeats(collector: UpdateCollector, name: str) -> int:
    return sum(isinstance(m, DaemonHeartbeat) for m in collector.daemon_messages(name))


def wait_for_first_action(collector: UpdateCollector, task_id: object) -> None:
    collector.wait_for(lambda: any(e.kind == "tool_result"
                                   for e in collector.output_events(task_id)),  # type: ignore[arg-type]
                       timeout=30, what="the agent's first action")


def test_sigkilled_daemon_stops_beating_and_the_next_start_salvages_its_work(
    tmp_path: Path, daemon_env: dict[str, str], collector: UpdateCollector,
    publisher: Publisher, origin: Path,
) -> None:
    work_dir = tmp_path / "work"
    crashed = start_daemon("lifecycle-1", POOL, work_dir, daemon_env, collector)
    task = make_task(origin, script(WRITE_HELLO, '{"sleep": 120}',
                                    '{"write": {"path": "late.txt", "content": "x"}}'))
    publisher.publish(task, pool=POOL)
    wait_for_first_action(collector, task.task_id)
    meta = json.loads((work_dir / "worktrees" / f"{task.step_id}.json").read_text())
    agent_pgid = meta["agent_pgid"]
    assert isinstance(agent_pgid, int)

    crashed.signal(signal.SIGKILL)
    crashed.wait(10)
    time.sleep(1.5)
    beats = heartbeats(collector, "lifecycle-1")
    time.sleep(3)
    assert heartbeats(collector, "lifecycle-1") == beats  # one process: its heartbeat died too
    assert is_running(agent_pgid)  # the agent outlived the daemon (its own session)...

    restarted = start_daemon("lifecycle-2", POOL, work_dir, daemon_env, collector)
    try:
        # ...and the next daemon on this work directory pushed its work and stopped it.
        assert read_file(origin, task.branch, "hello.txt") == "hello"
        subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{task.branch}")
        assert subject == "makima: Write the greeting (attempt 1, salvaged)"
        assert not is_running(agent_pgid)
        assert not (work_dir / "worktrees" / str(task.step_id)).exists()
    finally:
        restarted.stop()


def test_stopping_a_daemon_ends_its_sessions_and_says_goodbye(
    tmp_path: Path, daemon_env: dict[str, str], collector: UpdateCollector,
    publisher: Publisher, origin: Path,
) -> None:
    daemon = start_daemon("lifecycle-3", POOL, tmp_path / "work", daemon_env, collector)
    task = make_task(origin, script(WRITE_HELLO, '{"sleep": 120}'))
    publisher.publish(task, pool=POOL)
    wait_for_first_action(collector, task.task_id)
    asked = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(30) == 0
    assert time.monotonic() - asked < 15
    finished = collector.wait_finished(task.task_id, timeout=10)
    assert (finished.status, finished.error_kind) == (TaskStatus.INTERRUPTED,
                                                      ErrorKind.DAEMON_LOST)
    assert finished.session_id is not None and finished.commit is not None
    assert "hello.txt" in files_on(origin, task.branch)
    collector.wait_for(lambda: [m for m in collector.daemon_messages("lifecycle-3")
                                if isinstance(m, DaemonGoodbye)], timeout=10, what="goodbye")
