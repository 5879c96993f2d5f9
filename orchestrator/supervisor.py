"""A small process supervisor: children started from argv lists, stopped by PID.

`makima up` (orchestrator.stack) starts the API, Celery workers, beat, a daemon and Flower
through it, and the integration-test fixtures start the same programs the same way. Each
child runs in its own session and process group (so Ctrl-C in the terminal reaches only
us, and stopping a child also stops the processes it forked, e.g. a Celery prefork pool),
writes stdout and stderr to `<state_dir>/logs/<name>.log`, and is recorded in
`<state_dir>/pids/<name>.json`. A run killed with SIGKILL cannot stop its children; the
next supervisor on the same state directory finds their records and kills them
(`kill_leftovers`) before it starts anything.

    with Supervisor(state_dir) as sup:
        api = sup.start("api", [...], env={...}, ready=http_ready(url + "/healthz"))
        ...
    # leaving the block stops every child, last started first
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
import psutil

from orchestrator.errors import MakimaError
from orchestrator.processes import (
    create_time_of,
    group_members,
    is_same_process,
    signal_group,
    signals_deferred,
    stop_process_group,
)

ReadyCheck = Callable[["Child"], bool]
"""Answers True once the child serves; polled until it does, the child dies, or time runs out."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
_GROUP_GRACE_SECONDS = 2.0


class SupervisorError(MakimaError):
    """A child could not be started or managed."""


class ChildFailed(SupervisorError):
    """A child died, or never became ready; the message carries the end of its log."""

    def __init__(self, child: Child, reason: str) -> None:
        self.child = child
        self.reason = reason
        super().__init__(
            f"{child.name} {reason}; log {child.log_path}, last lines:\n{child.tail()}"
        )


@dataclass
class Child:
    """One supervised process; its PID is also its process-group id."""

    name: str
    argv: tuple[str, ...]
    log_path: Path
    process: subprocess.Popen[bytes]
    log_offset: int = 0
    """Where this run's output starts: the log file is appended to across runs."""
    pid_file: Path | None = None
    stop_timeout: float = 10.0
    create_time: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended (negative: killed by that signal)."""
        return self.process.poll()

    @property
    def alive(self) -> bool:
        return self.returncode is None

    def log_text(self) -> str:
        """This run's output so far."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self.log_offset)
                return fh.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait(self, timeout: float | None = None) -> int:
        """Block until the process ends; raises subprocess.TimeoutExpired on timeout."""
        return self.process.wait(timeout)

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop the child and everything in its process group; idempotent.

        SIGTERM goes to the child alone first, so a Celery master or uvicorn shuts its own
        pool down in order; after `timeout` seconds the whole group gets SIGKILL. Returns
        the exit code.
        """
        limit = self.stop_timeout if timeout is None else timeout
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(limit)
            except subprocess.TimeoutExpired:
                signal_group(self.pid, signal.SIGKILL)
                self.process.wait()
        # The leader is gone, but what it forked keeps its process group (a Celery pool
        # child whose parent was killed, say). A group id is not reused while any member
        # lives; if none is left, the start-time check keeps a new process that reused
        # the PID (as a new group leader) from being signalled.
        stop_process_group(self.pid, grace=_GROUP_GRACE_SECONDS, created=self.create_time)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        return self.process.returncode


def http_ready(url: str, *, status: int = 200, auth: tuple[str, str] | None = None) -> ReadyCheck:
    """Ready when GET `url` answers `status` (connection errors mean: not yet)."""

    def check(_child: Child) -> bool:
        try:
            return httpx.get(url, timeout=2.0, auth=auth).status_code == status
        except httpx.HTTPError:
            return False

    return check


def log_ready(pattern: str) -> ReadyCheck:
    """Ready when this run's log matches the regular expression (MULTILINE)."""
    compiled = re.compile(pattern, re.MULTILINE)
    return lambda child: compiled.search(child.log_text()) is not None


def describe_exit(code: int | None) -> str:
    """"exited with code 3", "was killed by SIGKILL" (Popen gives -N for signal N)."""
    if code is None:
        return "is still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


class Supervisor:
    """Starts named children under one state directory and stops them all by PID."""

    def __init__(self, state_dir: Path, *, stop_timeout: float = 10.0) -> None:
        self.state_dir = Path(state_dir)
        self.log_dir = self.state_dir / "logs"
        self.pid_dir = self.state_dir / "pids"
        self.stop_timeout = stop_timeout
        self.children: dict[str, Child] = {}
        self._leftovers_checked = False

    def __enter__(self) -> Supervisor:
        self.kill_leftovers()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def kill_leftovers(self) -> list[int]:
        """Kill children recorded by a supervisor that is no longer alive; return their PIDs.

        Records of a live supervisor (another process using the same state directory)
        are left alone. A recorded PID is trusted only if the process's start time still
        matches, so a PID reused by an unrelated process since then is never signalled.
        """
        self._leftovers_checked = True
        killed: list[int] = []
        if not self.pid_dir.is_dir():
            return killed
        for record_path in sorted(self.pid_dir.glob("*.json")):
            try:
                record = json.loads(record_path.read_text())
                pid, created = int(record["pid"]), float(record["create_time"])
                owner, owner_created = int(record["owner_pid"]), float(record["owner_create_time"])
            except (OSError, ValueError, KeyError, TypeError):
                record_path.unlink(missing_ok=True)
                continue
            if is_same_process(owner, owner_created):
                continue
            if is_same_process(pid, created) or group_members(pid):
                stop_process_group(pid, grace=self.stop_timeout, created=created)
                killed.append(pid)
            record_path.unlink(missing_ok=True)
        return killed

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        cwd: Path | None = None,
        ready: ReadyCheck | None = None,
        ready_timeout: float = 60.0,
    ) -> Child:
        """Start `argv` (never a shell string) as child `name` and wait until `ready`.

        `env` is laid over this process's environment (or replaces it when `inherit_env`
        is false); PYTHONUNBUFFERED=1 is added unless given, so log-line readiness sees
        output at once. Raises ChildFailed, with the child stopped, if it exits before it
        is ready or is not ready within `ready_timeout` seconds.
        """
        if not _NAME.match(name):
            raise SupervisorError(f"invalid child name {name!r}", field="name")
        if isinstance(argv, str) or not argv:
            raise SupervisorError("argv must be a non-empty list of arguments", field="argv")
        current = self.children.get(name)
        if current is not None and current.alive:
            raise SupervisorError(f"{name} is already running (pid {current.pid})", field="name")
        if not self._leftovers_checked:
            self.kill_leftovers()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pid_dir.mkdir(parents=True, exist_ok=True)

        child_env = {**os.environ, **(env or {})} if inherit_env else dict(env or {})
        child_env.setdefault("PYTHONUNBUFFERED", "1")
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"\n=== {stamp} starting {name}: {shlex.join(argv)}\n".encode())
            log.flush()
            offset = log.tell()
            process = subprocess.Popen(
                list(argv),
                env=child_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(
            name=name,
            argv=tuple(argv),
            log_path=log_path,
            process=process,
            log_offset=offset,
            pid_file=self.pid_dir / f"{name}.json",
            stop_timeout=self.stop_timeout,
            create_time=create_time_of(process.pid),
        )
        self._record(child)
        self.children[name] = child
        if ready is not None:
            try:
                self._wait_ready(child, ready, ready_timeout)
            except BaseException:
                child.stop()
                del self.children[name]
                raise
        return child

    def first_exited(self) -> Child | None:
        """The first child (in start order) that has ended, if any."""
        return next((c for c in self.children.values() if not c.alive), None)

    def wait_any(self, timeout: float | None = None, poll_interval: float = 0.2) -> Child | None:
        """Block until some child ends and return it; None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ended = self.first_exited()
            if ended is not None:
                return ended
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(poll_interval)

    def stop(self, name: str) -> int | None:
        """Stop one child and forget it; returns its exit code."""
        child = self.children.pop(name)
        return child.stop()

    def stop_all(self) -> None:
        """Stop every child, the last started first (the daemon before the API it calls)."""
        with signals_deferred():
            for name in reversed(list(self.children)):
                self.stop(name)

    def _record(self, child: Child) -> None:
        me = psutil.Process()
        record = {
            "name": child.name,
            "pid": child.pid,
            "create_time": child.create_time,
            "argv": list(child.argv),
            "owner_pid": me.pid,
            "owner_create_time": me.create_time(),
        }
        assert child.pid_file is not None
        tmp = child.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(child.pid_file)  # atomic: a reader never sees half a record

    @staticmethod
    def _wait_ready(child: Child, ready: ReadyCheck, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            code = child.returncode
            if code is not None:
                raise ChildFailed(child, f"{describe_exit(code)} before it was ready")
            if ready(child):
                return
            if time.monotonic() >= deadline:
                raise ChildFailed(child, f"was not ready after {timeout:g} s")
            time.sleep(0.1)


__all__ = [
    "Child",
    "ChildFailed",
    "ReadyCheck",
    "Supervisor",
    "SupervisorError",
    "describe_exit",
    "http_ready",
    "log_ready",
]
