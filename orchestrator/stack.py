"""`makima up`: the whole system on one machine, under one state directory.

Order: the database and broker URLs (MAKIMA_DATABASE_URL / MAKIMA_REDIS_URL win, else the
embedded PostgreSQL and Redis of orchestrator.embedded start under the state directory),
migrations, the local owner's API key, then the children through the Supervisor: the API,
an orchestrator worker, beat, one local daemon and, when asked, Flower. Each child is
started only once the previous one is ready, so a failure names the first thing that
broke. The run blocks until Ctrl-C / SIGTERM (exit 0) or until a child dies (its name and
last log lines are printed, the rest is stopped, exit 1). Stopping is always by PID, last
started first, then the embedded servers; their data stays for the next start.

Two runs on one state directory would fight over the same servers and PID records, so a
run holds an exclusive lock on `<state_dir>/up.lock` (released by the kernel even when the
run is SIGKILLed).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

import redis
from sqlalchemy.exc import OperationalError

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis
from orchestrator.errors import MakimaError
from orchestrator.processes import (
    free_port,
    port_in_use,
    signals_as_keyboard_interrupt,
    signals_deferred,
)
from orchestrator.stack_layout import (
    DEFAULT_API_PORT,
    DEFAULT_FLOWER_PORT,
    FLOWER_PASSWORD_FILE,
    LOCK_FILE,
    StackInfo,
    StackOptions,
    child_env,
    child_specs,
    default_state_dir,
    format_summary,
    hide_password,
)
from orchestrator.supervisor import Child, Supervisor, describe_exit

Printer = Callable[[str], None]

__all__ = ["Stack", "StackError", "StackInfo", "StackOptions", "default_state_dir", "run_stack"]


class StackError(MakimaError):
    """`makima up` cannot start (port taken, state directory in use, server unreachable)."""


class Stack:
    """The running system: `start()` brings it up, `stop()` takes it down; a context manager."""

    def __init__(self, options: StackOptions, *, out: Printer = print) -> None:
        self.options = options
        self.state_dir = Path(options.state_dir).expanduser().resolve()
        self.out = out
        self.supervisor = Supervisor(self.state_dir)
        self.info: StackInfo | None = None
        self._embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
        self._lock: IO[str] | None = None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> StackInfo:
        """Bring everything up; on any failure, stop what was started and re-raise."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def wait(self) -> Child:
        """Block until a child dies (Ctrl-C raises KeyboardInterrupt here) and return it."""
        ended = self.supervisor.wait_any()
        assert ended is not None  # no timeout given
        return ended

    def stop(self) -> None:
        """Stop the children by PID (last started first), then the embedded servers."""
        try:
            with signals_deferred():  # a second Ctrl-C must not leave a server running
                self.supervisor.stop_all()
                while self._embedded:
                    self._embedded.pop().stop()
        finally:
            if self._lock is not None:
                self._lock.close()  # releases the flock
                self._lock = None

    def _start(self) -> StackInfo:
        options, state = self.options, self.state_dir
        state.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        # Children of a run that was SIGKILLed still hold their ports: kill them first.
        killed = self.supervisor.kill_leftovers()
        if killed:
            self.out(f"stopped {len(killed)} processes left by an earlier run")
        if port_in_use(options.api_port):
            raise StackError(
                f"port {options.api_port} is already in use; choose another with --port",
                field="api_port",
            )
        embedded: list[str] = []
        database_url = os.environ.get("MAKIMA_DATABASE_URL")
        if not database_url:
            self.out("starting PostgreSQL ...")
            database_url = self._start_embedded(EmbeddedPostgres(state), "PostgreSQL")
            embedded.append("postgres")
        redis_url = os.environ.get("MAKIMA_REDIS_URL")
        if not redis_url:
            self.out("starting Redis ...")
            redis_url = self._start_embedded(EmbeddedRedis(state), "Redis")
            embedded.append("redis")
        else:
            _check_redis(redis_url)

        # Imported here: both are heavy and neither should load when stack is imported.
        from orchestrator.bootstrap import ensure_local_owner_key
        from orchestrator.migrations import upgrade

        self.out("applying migrations ...")
        try:
            upgrade(database_url)
        except OperationalError as exc:
            raise StackError(
                f"cannot reach the database {hide_password(database_url)}: {exc.orig or exc}",
                field="MAKIMA_DATABASE_URL",
            ) from exc
        api_key = ensure_local_owner_key(database_url, state)

        flower_url = flower_password = None
        if options.flower:
            port = options.flower_port
            if port_in_use(port):
                port = free_port()
            flower_url = f"http://127.0.0.1:{port}"
            flower_password = _flower_password(state)
        info = StackInfo(
            state_dir=state,
            database_url=database_url,
            redis_url=redis_url,
            api_url=f"http://127.0.0.1:{options.api_port}",
            api_key=api_key,
            flower_url=flower_url,
            flower_password=flower_password,
            embedded=tuple(embedded),
        )
        env = child_env(info, options)
        for spec in child_specs(options, info):
            self.out(f"starting {spec.name} ...")
            self.supervisor.start(
                spec.name, spec.argv, env={**env, **dict(spec.env)}, ready=spec.ready,
                ready_timeout=options.ready_timeout,
            )
        self.info = info
        return info

    def _start_embedded(self, server: EmbeddedPostgres | EmbeddedRedis, label: str) -> str:
        url = server.start()
        self._embedded.append(server)
        if server.reused:
            self.out(f"  (reusing the {label} server left running by an earlier run)")
        return url

    def _take_lock(self) -> None:
        lock = (self.state_dir / LOCK_FILE).open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise StackError(
                f"{self.state_dir} is in use by makima up (pid {holder}); stop it first, "
                "or use another state directory (MAKIMA_HOME)",
                field="state_dir",
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock


def run_stack(
    state_dir: Path | None = None,
    *,
    api_port: int = DEFAULT_API_PORT,
    flower: bool = False,
    flower_port: int = DEFAULT_FLOWER_PORT,
    daemon_concurrency: int = 2,
    tick_seconds: float = 5.0,
    out: Printer = print,
    err: Printer | None = None,
) -> int:
    """Run the stack until Ctrl-C or SIGTERM (returns 0) or a failure (returns 1)."""
    err = err or (lambda text: print(text, file=sys.stderr))
    options = StackOptions(
        state_dir=state_dir or default_state_dir(),
        api_port=api_port,
        flower=flower,
        flower_port=flower_port,
        daemon_concurrency=daemon_concurrency,
        tick_seconds=tick_seconds,
    )
    stack = Stack(options, out=out)
    with signals_as_keyboard_interrupt():
        try:
            info = stack.start()
            out(format_summary(info))
            dead = stack.wait()
            err(
                f"{dead.name} {describe_exit(dead.returncode)}; stopping everything else.\n"
                f"Last lines of {dead.log_path}:\n{dead.tail(30)}"
            )
            return 1
        except KeyboardInterrupt:
            out("\nstopping ...")
            return 0
        except MakimaError as exc:
            err(f"makima up failed: {exc}")
            return 1
        finally:
            stack.stop()
            out("stopped.")


def _check_redis(url: str) -> None:
    """Fail fast on an unreachable MAKIMA_REDIS_URL (Celery would retry it forever)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StackError(
            f"cannot reach Redis at {hide_password(url)}: {exc}", field="MAKIMA_REDIS_URL"
        ) from exc
    finally:
        client.close()


def _flower_password(state_dir: Path) -> str:
    """The Flower password saved in the state directory (mode 0600), made on first use."""
    path = state_dir / FLOWER_PASSWORD_FILE
    with contextlib.suppress(FileNotFoundError):
        saved = path.read_text().strip()
        if saved:
            return saved
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password
