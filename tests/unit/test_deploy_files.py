"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

They are parsed and held to the production shape, and every program, module and setting
they name is checked to exist here, so they cannot drift silently from the code.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orchestrator.config import Settings
from workers.config import DaemonSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def test_the_production_shape(services: dict[str, Any]) -> None:
    assert set(services) == {
        "postgres", "redis", "api", "orchestrator", "beat", "flower", "daemon",
    }
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["command"] == [
        "redis-server", "--appendonly", "yes", "--maxmemory-policy", "noeviction",
    ]


def test_exactly_one_beat(services: dict[str, Any]) -> None:
    beats = [name for name, s in services.items() if " beat " in f" {_command(s)} "]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_api_migrates_before_serving_and_the_rest_waits_for_it(
    services: dict[str, Any],
) -> None:
    assert re.match(
        r"makima db upgrade && exec uvicorn orchestrator\.api\.app:create_app --factory ",
        services["api"]["command"][-1],
    )
    for name in ("orchestrator", "beat", "flower", "daemon"):
        assert services[name]["depends_on"]["api"] == {"condition": "service_healthy"}


def test_orchestrator_worker_consumes_the_orchestrator_queues(services: dict[str, Any]) -> None:
    command = services["orchestrator"]["command"]
    assert command[command.index("-Q") + 1] == "orchestrator,control"
    assert "container_name" not in services["orchestrator"]  # it must scale


def test_flower_requires_auth(services: dict[str, Any]) -> None:
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]


def test_daemon_image_and_environment(services: dict[str, Any]) -> None:
    daemon = services["daemon"]
    assert daemon["build"]["target"] == "daemon"
    assert "MAKIMA_DATABASE_URL" not in daemon["environment"]  # daemons never touch it
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "FROM base AS daemon" in dockerfile
    assert "@anthropic-ai/claude-code@" in dockerfile
    assert "RUN pip install ." in dockerfile


def test_every_setting_named_exists(services: dict[str, Any]) -> None:
    orchestrator_fields = {f"MAKIMA_{name.upper()}" for name in Settings.model_fields}
    daemon_fields = {f"MAKIMA_DAEMON_{name.upper()}" for name in DaemonSettings.model_fields}
    for name, service in services.items():
        for variable in service.get("environment", {}):
            if variable.startswith("MAKIMA_DAEMON_"):
                assert variable in daemon_fields, (name, variable)
            elif variable.startswith("MAKIMA_"):
                assert variable in orchestrator_fields, (name, variable)


def test_every_program_named_exists() -> None:
    importlib.import_module("orchestrator.celery_app")
    assert callable(importlib.import_module("orchestrator.api.app").create_app)
    from orchestrator.cli.main import app

    runner = CliRunner()
    for args in (["db", "upgrade", "--help"], ["daemon", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
