"""Daemon settings: environment variables with the `MAKIMA_DAEMON_` prefix.

Nothing is read at import time; `DaemonSettings()` reads the environment when a daemon
starts, and `run_daemon` overrides what its command line gave.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from schemas.wire import DEFAULT_POOL


def default_daemon_name() -> str:
    """`<host>-<pid>`: unique per running daemon, readable in Flower and the dashboard."""
    return f"{socket.gethostname()}-{os.getpid()}"


class DaemonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAKIMA_DAEMON_", extra="ignore")

    name: str = Field(default_factory=default_daemon_name, min_length=1, max_length=200)
    pool: str = DEFAULT_POOL
    concurrency: int = Field(default=2, ge=1, le=64)
    work_dir: Path = Field(default_factory=lambda: Path.home() / ".makima" / "daemon")
    # Runtimes this daemon may run; empty means every runtime that is available here.
    # Comma-separated in the environment: MAKIMA_DAEMON_RUNTIMES=claude,scripted
    runtimes: Annotated[tuple[str, ...], NoDecode] = ()
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    cancel_poll_seconds: float = Field(default=1.0, gt=0)
    # Output events are sent at most this often per task (batched in between).
    output_flush_seconds: float = Field(default=0.5, gt=0)
    # Between SIGTERM and SIGKILL of an agent's process group.
    kill_grace_seconds: float = Field(default=5.0, ge=0)
    verifier_timeout_seconds: float = Field(default=900.0, gt=0)
    # None: MAKIMA_CLAUDE_PATH, then `claude` on PATH.
    claude_path: str | None = None
    # HOME given to the Claude CLI (its sessions live there, so --resume needs it stable).
    # None: <work_dir>/claude-home. Point it at a HOME holding a `claude login` to use it.
    claude_home: Path | None = None
    default_model: str | None = None
    default_max_turns: int | None = Field(default=None, ge=1)

    @field_validator("runtimes", mode="before")
    @classmethod
    def _split_runtimes(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("work_dir", "claude_home", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().absolute() if value is not None else None

    @property
    def resolved_claude_home(self) -> Path:
        return self.claude_home or self.work_dir / "claude-home"

    def resolved_claude_path(self) -> str | None:
        return self.claude_path or os.environ.get("MAKIMA_CLAUDE_PATH") or None
