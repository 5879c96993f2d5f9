"""The real `makima` executable against the real API (uvicorn, PostgreSQL, Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MAKIMA = str(Path(sys.executable).parent / "makima")

Makima = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture()
def makima(api_url: str, owner_token: str, tmp_path: Path) -> Makima:
    """Run `makima ARGS…` as a subprocess with MAKIMA_URL/MAKIMA_API_KEY set."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MAKIMA_")},
            "MAKIMA_URL": api_url,
            "MAKIMA_API_KEY": owner_token,
            "MAKIMA_HOME": str(tmp_path / "home"),
            **(env or {}),
        }
        return subprocess.run(
            [MAKIMA, *args],
            input=input,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run
