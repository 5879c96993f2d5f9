"""Child processes of the daemon: each in its own process group, stoppable as a whole.

Agents and verifiers start with `start_new_session=True`, so the process and everything it
spawns (a Bash tool's commands, a test runner's workers) share one process group that
`os.killpg` stops at once: SIGTERM, a grace period, then SIGKILL. A `StopSignal` is how the
task's watcher thread (cancel key, time limit, daemon shutdown) asks a running child to stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

READER_JOIN_SECONDS = 5.0
STDERR_TAIL_LINES = 40


class StopReason(StrEnum):
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    SHUTDOWN = "shutdown"  # the daemon itself is shutting down


class StopSignal:
    """Set once, by whichever reason comes first; read by the process runner."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._reason: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        with self._lock:
            if self._reason is None:
                self._reason = reason
                self._event.set()

    @property
    def reason(self) -> StopReason | None:
        return self._reason

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


@dataclass(frozen=True)
class ProcessResult:
    returncode: int | None  # None when the process could not start
    start_error: str | None
    stopped: StopReason | None  # stopped through the StopSignal
    timed_out: bool  # stopped by run_process's own `timeout`
    stderr_tail: str
    duration_seconds: float


def _pump(stream: IO[bytes], on_line: Callable[[str], None]) -> None:
    with stream:
        for raw in iter(stream.readline, b""):
            on_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _feed(stream: IO[bytes], text: str) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        stream.write(text.encode("utf-8"))
    with contextlib.suppress(BrokenPipeError, OSError):
        stream.close()


def kill_group(process: subprocess.Popen[bytes], grace_seconds: float) -> None:
    """SIGTERM the process group, SIGKILL it after `grace_seconds` if the leader lingers."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_stdout_line: Callable[[str], None],
    stop: StopSignal,
    kill_grace_seconds: float,
    stdin_text: str | None = None,
    timeout: float | None = None,
    on_start: Callable[[int], None] | None = None,
    on_stderr_line: Callable[[str], None] | None = None,
) -> ProcessResult:
    """Run `argv` in its own process group, streaming stdout lines, until it ends or is stopped.

    Whatever the outcome, the whole group is SIGKILLed at the end, so nothing the child
    started keeps writing into the worktree after the session is over.
    """
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return ProcessResult(None, f"{argv[0]}: {exc}", None, False, "", 0.0)
    if on_start is not None:
        on_start(process.pid)
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def on_err(line: str) -> None:
        tail.append(line)
        if on_stderr_line is not None:
            on_stderr_line(line)

    assert process.stdout is not None and process.stderr is not None
    threads = [
        threading.Thread(target=_pump, args=(process.stdout, on_stdout_line), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, on_err), daemon=True),
    ]
    if stdin_text is not None:
        assert process.stdin is not None
        threads.append(
            threading.Thread(target=_feed, args=(process.stdin, stdin_text), daemon=True)
        )
    for thread in threads:
        thread.start()

    stopped: StopReason | None = None
    timed_out = False
    while True:
        try:
            process.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            stopped = stop.reason
            kill_group(process, kill_grace_seconds)
            break
        if timeout is not None and time.monotonic() - started >= timeout:
            timed_out = True
            kill_group(process, kill_grace_seconds)
            break
    # The leader is gone; anything left in its group would outlive the session.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=READER_JOIN_SECONDS)
    return ProcessResult(
        returncode=process.returncode,
        start_error=None,
        stopped=stopped,
        timed_out=timed_out,
        stderr_tail="\n".join(tail),
        duration_seconds=time.monotonic() - started,
    )


def kill_orphaned_group(pgid: int, worktree: Path) -> bool:
    """SIGKILL an agent group that outlived a crashed daemon; True if one was found.

    The pgid comes from a file written before the crash, and pids get reused, so a group
    is killed only if one of its processes still works inside `worktree`.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    root = worktree.resolve()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            cwd = (entry / "cwd").resolve()
        except (ProcessLookupError, PermissionError, OSError):
            continue
        if cwd == root or root in cwd.parents:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            return True
    return False
