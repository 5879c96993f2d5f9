"""Process helpers shared by the supervisor and the embedded servers.

Everything here identifies a process by PID *and* start time, and treats a zombie as
gone, because both a reused PID and an unreaped orphan (PID 1 in a container may never
reap) would otherwise make us wait for, or signal, the wrong process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import psutil


def stop_process_group(pgid: int, *, grace: float, created: float | None = None) -> None:
    """SIGTERM every live member of process group `pgid`, wait `grace` s, SIGKILL the rest.

    With `created`, a member whose PID equals `pgid` but started at another time is a new
    process that reused the PID (and made itself a group leader): it is not ours and the
    group is left alone.
    """
    members = group_members(pgid)
    if created is not None and any(
        m.pid == pgid and not _same_time(_started_at(m), created) for m in members
    ):
        return
    if not members:
        return
    for proc in members:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return
        time.sleep(0.05)
    for proc in group_members(pgid):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    wait_gone([*members], timeout=5.0)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (someone may take it before we bind: callers
    that can, retry with another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def wait_gone(processes: Sequence[psutil.Process], timeout: float) -> bool:
    """Wait until every process has ended (a zombie counts as ended); True if they did."""
    deadline = time.monotonic() + timeout
    while True:
        if not any(is_live(p) for p in processes):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def terminate(proc: psutil.Process, *, grace: float) -> None:
    """SIGTERM one process, SIGKILL it after `grace` seconds; returns once it is gone."""
    with contextlib.suppress(psutil.Error):
        proc.terminate()
        # A stopped process (SIGSTOP, a suspended job) keeps SIGTERM pending until it is
        # continued: let it act on it and shut down cleanly.
        proc.send_signal(signal.SIGCONT)
    if not wait_gone([proc], grace):
        with contextlib.suppress(psutil.Error):
            proc.kill()
        wait_gone([proc], 5.0)


def is_live(proc: psutil.Process) -> bool:
    """True if the process runs and is not a zombie."""
    # A process whose parent died is reparented to PID 1, which in a container may never
    # reap it: it stays a zombie forever, so "exists" is not "alive".
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def group_members(pgid: int) -> list[psutil.Process]:
    """The live processes whose process group is `pgid`."""
    members = []
    for pid in psutil.pids():
        try:
            if os.getpgid(pid) == pgid:
                proc = psutil.Process(pid)
                if is_live(proc):
                    members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send `sig` to a process group; a group that is already gone is not an error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def create_time_of(pid: int) -> float:
    """The start time of `pid` (0.0 if it is gone): with the PID, a process's identity."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def _started_at(proc: psutil.Process) -> float:
    try:
        return proc.create_time()
    except psutil.Error:
        return 0.0


def _same_time(a: float, b: float) -> bool:
    return abs(a - b) < 0.05


def is_same_process(pid: int, created: float) -> bool:
    """True if `pid` is alive and is the process that started at `created`."""
    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return False
    return is_live(proc) and _same_time(_started_at(proc), created)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM while stopping, so a second Ctrl-C cannot orphan children."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_as_keyboard_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt inside the block (main thread only).

    One `except KeyboardInterrupt` path then stops the children whether the user pressed
    Ctrl-C, closed the terminal, or a process manager sent SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, raise_interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def read_pid(path: Path) -> int | None:
    """The PID on the first line of a pidfile; None if missing or unreadable."""
    try:
        return int(path.read_text().splitlines()[0].strip())
    except (OSError, ValueError, IndexError):
        return None


def descendants(proc: psutil.Process) -> list[psutil.Process]:
    """Every process below `proc` (empty if it is gone)."""
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


def kill_all(processes: list[psutil.Process]) -> None:
    """SIGKILL each process and wait (up to 10 s) until they are gone."""
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    wait_gone(processes, 10.0)


def listening_port(proc: psutil.Process) -> int | None:
    """The first TCP port `proc` listens on, if any."""
    try:
        conns = proc.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr:
            return int(conn.laddr.port)
    return None
