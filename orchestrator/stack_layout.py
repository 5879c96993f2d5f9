"""What `makima up` runs: its options, the children's command lines and environment, and
the summary it prints. Nothing here starts or connects anything (the only input read is
$MAKIMA_HOME, for the default state directory), so all of it is tested without services;
orchestrator.stack does the running.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.supervisor import ReadyCheck, http_ready, log_ready
from schemas.wire import DEFAULT_POOL

DEFAULT_API_PORT = 8765
DEFAULT_FLOWER_PORT = 5555
FLOWER_USER = "makima"
FLOWER_PASSWORD_FILE = "flower-password"
LOCK_FILE = "up.lock"


def default_state_dir() -> Path:
    """`$MAKIMA_HOME`, else `~/.makima` (read at call time)."""
    return Path(os.environ.get("MAKIMA_HOME") or "~/.makima").expanduser()


@dataclass(frozen=True)
class StackOptions:
    state_dir: Path = field(default_factory=default_state_dir)
    api_port: int = DEFAULT_API_PORT
    flower: bool = False
    flower_port: int = DEFAULT_FLOWER_PORT
    """Used when free; otherwise another free port is chosen (and printed)."""
    daemon_concurrency: int = 2
    daemon_pool: str = DEFAULT_POOL
    orchestrator_concurrency: int = 2
    tick_seconds: float = 5.0
    ready_timeout: float = 60.0
    """Seconds each child may take to become ready."""


@dataclass(frozen=True)
class StackInfo:
    """Where everything is, once the stack is up; what the summary prints."""

    state_dir: Path
    database_url: str
    redis_url: str
    api_url: str
    api_key: str
    flower_url: str | None = None
    flower_password: str | None = None
    embedded: tuple[str, ...] = ()
    """Which servers we run ourselves ("postgres", "redis"); the others came from env."""

    @property
    def dashboard_url(self) -> str:
        return self.api_url + "/"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: tuple[str, ...]
    ready: ReadyCheck | None = None
    env: tuple[tuple[str, str], ...] = ()
    """Extra environment for this child only (laid over child_env)."""


def child_env(info: StackInfo, options: StackOptions) -> dict[str, str]:
    """What every child is told about the system (laid over our own environment)."""
    return {
        "MAKIMA_DATABASE_URL": info.database_url,
        "MAKIMA_REDIS_URL": info.redis_url,
        "MAKIMA_TICK_SECONDS": f"{options.tick_seconds:g}",
        "MAKIMA_API_URL": info.api_url,
        "MAKIMA_HOME": str(info.state_dir),
    }


def child_specs(options: StackOptions, info: StackInfo) -> list[ChildSpec]:
    """The children in start order, as argument lists (never shell strings)."""
    py, state = sys.executable, info.state_dir
    celery = (py, "-m", "celery", "-A", "orchestrator.celery_app")
    # Celery logs "celery@<host> ready." once it consumes; beat logs "beat: Starting...".
    celery_ready = log_ready(r"@\S+ ready\.$")
    specs = [
        ChildSpec(
            "api",
            (py, "-m", "uvicorn", "orchestrator.api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(options.api_port)),
            http_ready(info.api_url + "/healthz"),
        ),
        ChildSpec(
            "orchestrator",
            (*celery, "worker", "-Q", "orchestrator,control", "-E", "-n", "orchestrator@%h",
             "--concurrency", str(options.orchestrator_concurrency), "--loglevel", "INFO"),
            celery_ready,
        ),
        ChildSpec(
            "beat",
            (*celery, "beat", "--schedule", str(state / "beat-schedule"), "--loglevel", "INFO"),
            log_ready(r"beat: Starting"),
        ),
        ChildSpec(
            "daemon",
            (py, "-m", "workers", "--pool", options.daemon_pool,
             "--concurrency", str(options.daemon_concurrency), "--work-dir", str(state / "daemon")),
            celery_ready,
        ),
    ]
    if info.flower_url is not None and info.flower_password is not None:
        port = info.flower_url.rsplit(":", 1)[1]
        specs.append(
            ChildSpec(
                "flower",
                (*celery, "flower", "--address=127.0.0.1", f"--port={port}"),
                http_ready(
                    info.flower_url + "/healthcheck", auth=(FLOWER_USER, info.flower_password)
                ),
                # Flower reads FLOWER_* variables as options. Given there rather than as
                # --basic-auth, the password stays out of `ps` for other local users.
                env=(("FLOWER_BASIC_AUTH", f"{FLOWER_USER}:{info.flower_password}"),),
            )
        )
    return specs


def format_summary(info: StackInfo) -> str:
    """The block printed once everything is ready."""

    def origin(name: str, url: str) -> str:
        return f"embedded, {url}" if name in info.embedded else f"from environment, {url}"

    lines = [
        "makima is up.",
        "",
        f"  API          {info.api_url}",
        f"  Dashboard    {info.dashboard_url}",
    ]
    if info.flower_url is not None:
        lines.append(
            f"  Flower       {info.flower_url}  (user {FLOWER_USER}, "
            f"password {info.flower_password})"
        )
    lines += [
        f"  API key      {info.api_key}",
        f"  PostgreSQL   {origin('postgres', hide_password(info.database_url))}",
        f"  Redis        {origin('redis', hide_password(info.redis_url))}",
        f"  State        {info.state_dir}",
        f"  Logs         {info.log_dir}",
        "",
        "Use it from another shell:",
        f"  export MAKIMA_URL={info.api_url}",
        f"  export MAKIMA_API_KEY={info.api_key}",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def hide_password(url: str) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host`, for printing."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user, _, password = credentials.partition(":")
    return f"{scheme}://{user}:***@{host}" if password else url
