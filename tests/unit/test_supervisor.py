"""The process supervisor against real child processes (no services needed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from orchestrator.processes import free_port, is_live
from orchestrator.supervisor import (
    ChildFailed,
    Supervisor,
    SupervisorError,
    http_ready,
    log_ready,
)

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        return is_live(psutil.Process(pid))
    except psutil.Error:
        return False


def _py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


SLEEPER = _py(
    """
    import time
    print("sleeper ready", flush=True)
    time.sleep(300)
    """
)


@pytest.fixture()
def sup(tmp_path: Path) -> Iterator[Supervisor]:
    with Supervisor(tmp_path, stop_timeout=5.0) as supervisor:
        yield supervisor


def test_start_waits_for_log_line_records_pid_and_stops_by_pid(
    sup: Supervisor, tmp_path: Path
) -> None:
    child = sup.start("sleeper", SLEEPER, ready=log_ready(r"^sleeper ready$"))

    assert child.alive
    assert "sleeper ready" in child.log_text()
    assert child.log_path == tmp_path / "logs" / "sleeper.log"
    record = json.loads((tmp_path / "pids" / "sleeper.json").read_text())
    assert record["pid"] == child.pid
    assert record["owner_pid"] == os.getpid()
    assert os.getpgid(child.pid) == child.pid  # its own process group

    assert child.stop() == -signal.SIGTERM
    assert not _alive(child.pid)
    assert not (tmp_path / "pids" / "sleeper.json").exists()
    assert child.stop() == -signal.SIGTERM  # idempotent


def test_http_readiness(sup: Supervisor) -> None:
    port = free_port()
    argv = [PY, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    child = sup.start("web", argv, ready=http_ready(f"http://127.0.0.1:{port}/"))
    assert child.alive
    sup.stop("web")
    assert not _alive(child.pid)


def test_env_is_laid_over_ours_and_argv_is_not_a_shell(sup: Supervisor) -> None:
    code = _py(
        """
        import os, sys
        print(os.environ["MAKIMA_TEST_VALUE"], os.environ["PATH"] != "", sys.argv[1:])
        """
    )
    child = sup.start("env", [*code, "$HOME; echo injected"], env={"MAKIMA_TEST_VALUE": "hello"})
    assert child.wait(30) == 0
    assert "hello True ['$HOME; echo injected']" in child.log_text()


def test_child_dying_before_ready_is_reported_with_its_log(sup: Supervisor) -> None:
    argv = _py(
        """
        import sys
        print("cannot bind: address in use", flush=True)
        sys.exit(3)
        """
    )
    with pytest.raises(ChildFailed) as failure:
        sup.start("broken", argv, ready=log_ready("never printed"))

    assert failure.value.child.returncode == 3
    assert "exited with code 3" in str(failure.value)
    assert "cannot bind: address in use" in str(failure.value)
    assert "broken" not in sup.children


def test_child_not_ready_in_time_is_stopped(sup: Supervisor) -> None:
    with pytest.raises(ChildFailed, match=r"not ready after 0\.5 s") as failure:
        sup.start("slow", SLEEPER, ready=lambda _child: False, ready_timeout=0.5)
    assert not _alive(failure.value.child.pid)


def test_child_that_dies_later_is_found_by_wait_any(sup: Supervisor) -> None:
    sup.start("steady", SLEEPER, ready=log_ready("sleeper ready"))
    sup.start("short", _py("import time, sys; time.sleep(0.3); print('bye'); sys.exit(7)"))

    ended = sup.wait_any(timeout=30)

    assert ended is not None
    assert ended.name == "short"
    assert ended.returncode == 7
    assert "bye" in ended.tail()
    assert sup.children["steady"].alive


def test_wait_any_times_out_when_everyone_runs(sup: Supervisor) -> None:
    sup.start("steady", SLEEPER)
    assert sup.wait_any(timeout=0.3) is None


def test_stop_escalates_to_kill_and_reaches_grandchildren(tmp_path: Path) -> None:
    stubborn = _py(
        """
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        print("grandchild", grandchild.pid, flush=True)
        time.sleep(300)
        """
    )
    with Supervisor(tmp_path, stop_timeout=0.5) as sup:
        child = sup.start("stubborn", stubborn, ready=log_ready(r"^grandchild \d+$"))
        grandchild = int(child.log_text().split()[-1])
        assert _alive(grandchild)
        started = time.monotonic()
        assert child.stop() == -signal.SIGKILL
        assert time.monotonic() - started < 10
    assert not _alive(child.pid)
    assert not _alive(grandchild)


def test_stop_all_stops_in_reverse_start_order(tmp_path: Path) -> None:
    journal = tmp_path / "stopped.txt"

    def noting(name: str) -> list[str]:
        return _py(
            f"""
            import signal, sys, time
            def on_term(*_):
                with open({str(journal)!r}, "a") as fh:
                    fh.write({name!r} + "\\n")
                sys.exit(0)
            signal.signal(signal.SIGTERM, on_term)
            print("up", flush=True)
            time.sleep(300)
            """
        )

    with Supervisor(tmp_path) as sup:
        for name in ("api", "worker", "daemon"):
            sup.start(name, noting(name), ready=log_ready("^up$"))
    assert journal.read_text().split() == ["daemon", "worker", "api"]
    assert sup.children == {}
    assert list((tmp_path / "pids").iterdir()) == []


def test_leftovers_of_a_killed_supervisor_are_killed_at_next_start(tmp_path: Path) -> None:
    script = f"""
        import sys, time
        from pathlib import Path
        from orchestrator.supervisor import Supervisor, log_ready
        sup = Supervisor(Path({str(tmp_path)!r}))
        child = sup.start("orphan", {SLEEPER!r}, ready=log_ready("sleeper ready"))
        print(child.pid, flush=True)
        time.sleep(300)
    """
    parent = subprocess.Popen(_py(script), stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        orphan = int(parent.stdout.readline())
        assert _alive(orphan)

        # While its supervisor lives, the record is not a leftover.
        assert Supervisor(tmp_path).kill_leftovers() == []
        assert _alive(orphan)

        parent.kill()  # SIGKILL: no chance to stop its child
        parent.wait(10)
        assert _alive(orphan)

        with Supervisor(tmp_path) as sup:  # entering kills leftovers
            assert not _alive(orphan)
            assert list((tmp_path / "pids").iterdir()) == []
            sup.start("orphan", SLEEPER)  # the name is free again
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def test_a_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    # An unrelated process now holds the recorded PID: its start time gives it away.
    stranger = subprocess.Popen([PY, "-c", "import time; time.sleep(300)"])
    try:
        pids = tmp_path / "pids"
        pids.mkdir()
        record = {
            "name": "ghost",
            "pid": stranger.pid,
            "create_time": 12345.0,
            "argv": ["ghost"],
            "owner_pid": 999_999_999,
            "owner_create_time": 1.0,
        }
        (pids / "ghost.json").write_text(json.dumps(record))

        assert Supervisor(tmp_path).kill_leftovers() == []
        assert stranger.poll() is None
        assert not (pids / "ghost.json").exists()
    finally:
        stranger.kill()
        stranger.wait(10)


def test_bad_arguments_are_refused(sup: Supervisor) -> None:
    with pytest.raises(SupervisorError, match="argv"):
        sup.start("shell", "echo hi")
    with pytest.raises(SupervisorError, match="invalid child name"):
        sup.start("../escape", SLEEPER)
    sup.start("once", SLEEPER)
    with pytest.raises(SupervisorError, match="already running"):
        sup.start("once", SLEEPER)
