"""A state directory for a whole `makima up`/`makima demo` stack in a test, and what its
supervisor recorded there (the PIDs of its children)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis
from orchestrator.processes import is_live


def recorded_pids(state: Path) -> list[int]:
    return [json.loads(p.read_text())["pid"] for p in (state / "pids").glob("*.json")]


def alive(pid: int) -> bool:
    try:
        return is_live(psutil.Process(pid))
    except psutil.Error:
        return False


@contextmanager
def stack_state_dir(prefix: str) -> Iterator[Path]:
    """Outside pytest's tmp_path (see the `state` fixture of test_embedded.py for why);
    whatever a failed run left running there is killed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        for pid in recorded_pids(path):
            if alive(pid):
                os.killpg(pid, signal.SIGKILL)
        EmbeddedRedis(path).stop()
        EmbeddedPostgres(path).stop()
        shutil.rmtree(path, ignore_errors=True)
