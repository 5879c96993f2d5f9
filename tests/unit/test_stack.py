"""The pure parts of `makima up`: child command lines, environment, summary, lock."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from orchestrator.stack import Stack, StackError, _flower_password
from orchestrator.stack_layout import (
    StackInfo,
    StackOptions,
    child_env,
    child_specs,
    default_state_dir,
    format_summary,
    hide_password,
)

PY = sys.executable


def _info(state: Path, *, flower: bool = False) -> StackInfo:
    return StackInfo(
        state_dir=state,
        database_url="postgresql+psycopg2://postgres@/makima?host=/s&port=5432",
        redis_url="redis://127.0.0.1:6390/0",
        api_url="http://127.0.0.1:8765",
        api_key="mk_test_key",
        flower_url="http://127.0.0.1:5555" if flower else None,
        flower_password="pw" if flower else None,
        embedded=("postgres",),
    )


def test_children_and_their_command_lines(tmp_path: Path) -> None:
    options = StackOptions(state_dir=tmp_path, daemon_concurrency=3)
    specs = child_specs(options, _info(tmp_path))

    argv = {spec.name: list(spec.argv) for spec in specs}
    assert list(argv) == ["api", "orchestrator", "beat", "daemon"]
    assert argv["api"] == [
        PY, "-m", "uvicorn", "orchestrator.api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", "8765",
    ]
    assert argv["orchestrator"] == [
        PY, "-m", "celery", "-A", "orchestrator.celery_app", "worker",
        "-Q", "orchestrator,control", "-E", "-n", "orchestrator@%h",
        "--concurrency", "2", "--loglevel", "INFO",
    ]
    assert argv["beat"] == [
        PY, "-m", "celery", "-A", "orchestrator.celery_app", "beat",
        "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO",
    ]
    assert argv["daemon"] == [
        PY, "-m", "workers", "--pool", "default", "--concurrency", "3",
        "--work-dir", str(tmp_path / "daemon"),
    ]
    assert all(spec.ready is not None for spec in specs)


def test_flower_only_when_asked_with_its_password_out_of_argv(tmp_path: Path) -> None:
    specs = child_specs(StackOptions(state_dir=tmp_path), _info(tmp_path, flower=True))
    flower = specs[-1]
    assert flower.name == "flower"
    assert list(flower.argv) == [
        PY, "-m", "celery", "-A", "orchestrator.celery_app", "flower",
        "--address=127.0.0.1", "--port=5555",
    ]
    assert dict(flower.env) == {"FLOWER_BASIC_AUTH": "makima:pw"}
    assert not any("pw" in arg for arg in flower.argv)


def test_children_are_told_where_everything_is(tmp_path: Path) -> None:
    env = child_env(_info(tmp_path), StackOptions(state_dir=tmp_path, tick_seconds=1.5))
    assert env == {
        "MAKIMA_DATABASE_URL": "postgresql+psycopg2://postgres@/makima?host=/s&port=5432",
        "MAKIMA_REDIS_URL": "redis://127.0.0.1:6390/0",
        "MAKIMA_TICK_SECONDS": "1.5",
        "MAKIMA_API_URL": "http://127.0.0.1:8765",
        "MAKIMA_HOME": str(tmp_path),
    }


def test_summary_names_urls_key_credentials_and_exports(tmp_path: Path) -> None:
    text = format_summary(_info(tmp_path, flower=True))
    assert "API          http://127.0.0.1:8765\n" in text
    assert "Dashboard    http://127.0.0.1:8765/\n" in text
    assert "Flower       http://127.0.0.1:5555  (user makima, password pw)" in text
    assert "API key      mk_test_key" in text
    assert "PostgreSQL   embedded, postgresql" in text
    assert "Redis        from environment, redis://127.0.0.1:6390/0" in text
    assert f"Logs         {tmp_path / 'logs'}" in text
    assert "export MAKIMA_URL=http://127.0.0.1:8765\n" in text
    assert "export MAKIMA_API_KEY=mk_test_key\n" in text


def test_passwords_are_hidden_in_printed_urls() -> None:
    assert hide_password("redis://:secret@host:6379/0") == "redis://:***@host:6379/0"
    assert hide_password("postgresql://u:p%40ss@db/x") == "postgresql://u:***@db/x"
    assert hide_password("postgresql://u@db/x") == "postgresql://u@db/x"
    assert hide_password("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_state_dir_defaults_to_makima_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAKIMA_HOME", "/srv/makima")
    assert default_state_dir() == Path("/srv/makima")
    monkeypatch.delenv("MAKIMA_HOME")
    assert default_state_dir() == Path.home() / ".makima"


def test_flower_password_is_made_once_and_private(tmp_path: Path) -> None:
    first = _flower_password(tmp_path)
    assert len(first) >= 20
    assert _flower_password(tmp_path) == first
    mode = (tmp_path / "flower-password").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_one_run_per_state_directory(tmp_path: Path) -> None:
    first = Stack(StackOptions(state_dir=tmp_path))
    first._take_lock()
    try:
        with pytest.raises(StackError, match="in use by makima up"):
            Stack(StackOptions(state_dir=tmp_path))._take_lock()
    finally:
        first.stop()
    second = Stack(StackOptions(state_dir=tmp_path))
    second._take_lock()  # released by stop()
    second.stop()


def test_unreachable_servers_from_the_environment_fail_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.processes import free_port

    closed = free_port()
    monkeypatch.setenv("MAKIMA_DATABASE_URL", f"postgresql://u:secret@127.0.0.1:{closed}/x")
    monkeypatch.setenv("MAKIMA_REDIS_URL", f"redis://:secret@127.0.0.1:{closed}/0")
    stack = Stack(StackOptions(state_dir=tmp_path, api_port=free_port()), out=lambda _: None)

    with pytest.raises(StackError, match=r"cannot reach Redis at redis://:\*\*\*@") as failure:
        stack.start()

    assert "secret" not in str(failure.value)
    assert stack.supervisor.children == {}
    after = Stack(StackOptions(state_dir=tmp_path))
    after._take_lock()  # the failed start released the lock
    after.stop()
