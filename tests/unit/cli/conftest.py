"""CLI unit tests: the real command tree against the fake API, no other services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli.main import app
from tests.unit.cli.fake_api import FakeApi, serve

KEY = "mk_test_key"


@pytest.fixture()
def api() -> Iterator[FakeApi]:
    yield from serve()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty MAKIMA_HOME and no connection settings inherited from the environment."""
    for name in ("MAKIMA_URL", "MAKIMA_API_KEY", "MAKIMA_DIRECTIVE_ID", "MAKIMA_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAKIMA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class Cli:
    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.runner = CliRunner()

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        full_env = {"MAKIMA_URL": self.api.url, "MAKIMA_API_KEY": KEY, **(env or {})}
        return self.runner.invoke(app, list(args), input=input, env=full_env)


@pytest.fixture()
def cli(api: FakeApi, home: Path) -> Cli:
    return Cli(api)
