"""The real stack for integration tests: PostgreSQL and Redis started once per session.

Servers are the same embedded ones `makima up` uses (orchestrator.embedded), started
under a temporary directory. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.github_server import FakeGitHub
from tests.support.claude_cli import find_claude
from tests.support.database import truncate_all


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def state_dir() -> Iterator[Path]:
    """Outside pytest's tmp tree on purpose: PostgreSQL runs as the `pgserver` user, which
    must traverse every parent directory, and pytest resets its tree to mode 0700."""
    path = Path(tempfile.mkdtemp(prefix="makima-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(state_dir: Path) -> Iterator[str]:
    """The same embedded PostgreSQL `makima up` uses, migrated like production."""
    from orchestrator.embedded import EmbeddedPostgres
    from orchestrator.migrations import upgrade

    with EmbeddedPostgres(state_dir / "postgres") as server:
        url = server.start()
        upgrade(url)
        os.environ["MAKIMA_DATABASE_URL"] = url
        from orchestrator.config import get_settings

        get_settings.cache_clear()
        yield url


@pytest.fixture(scope="session")
def redis_url(state_dir: Path) -> Iterator[str]:
    """The same embedded Redis `makima up` uses (AOF, noeviction)."""
    from orchestrator.embedded import EmbeddedRedis

    with EmbeddedRedis(state_dir / "redis") as server:
        url = server.start()
        os.environ["MAKIMA_REDIS_URL"] = url
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    from orchestrator.db import get_engine

    return get_engine(database_url)


@pytest.fixture()
def clean_db(engine: Engine) -> Iterator[Engine]:
    truncate_all(engine)
    yield engine


@pytest.fixture(scope="session")
def api_url(database_url: str, redis_url: str, state_dir: Path) -> Iterator[str]:
    """The real API server (uvicorn) in a subprocess, reached over HTTP."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MAKIMA_DATABASE_URL": database_url,
        "MAKIMA_REDIS_URL": redis_url,
        "MAKIMA_API_URL": url,
        "MAKIMA_SSE_POLL_SECONDS": "0.1",
    }
    log = (state_dir / f"api-{port}.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "orchestrator.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((state_dir / f"api-{port}.log").read_text()[-3000:])
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture()
def owner_token(clean_db: Engine, database_url: str) -> str:
    """A fresh owner with an API key, made through the same functions production uses."""
    from orchestrator.db import session_scope
    from orchestrator.repository.owners import create_api_key, get_or_create_owner

    with session_scope(database_url) as session:
        owner = get_or_create_owner(session, name="alice")
        _key, token = create_api_key(session, owner_id=owner.id, name="test")
    return token


@pytest.fixture()
def other_token(owner_token: str, database_url: str) -> str:
    from orchestrator.db import session_scope
    from orchestrator.repository.owners import create_api_key, get_or_create_owner

    with session_scope(database_url) as session:
        owner = get_or_create_owner(session, name="bob")
        _key, token = create_api_key(session, owner_id=owner.id, name="test")
    return token


@pytest.fixture()
def client(api_url: str, owner_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api_url, headers={"Authorization": f"Bearer {owner_token}"}, timeout=30
    ) as c:
        yield c


def _spawn(
    name: str, argv: list[str], env: dict[str, str], state_dir: Path
) -> subprocess.Popen[bytes]:
    log = (state_dir / f"{name}.log").open("ab")
    return subprocess.Popen(
        argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.fixture(scope="session")
def fake_github() -> Iterator[FakeGitHub]:
    """A local GitHub REST API the orchestrator's forge talks to over TCP."""
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_anthropic() -> Iterator[FakeAnthropicServer]:
    """A local Messages API the real Claude Code CLI is pointed at (ANTHROPIC_BASE_URL)."""
    with FakeAnthropicServer() as server:
        yield server


@pytest.fixture(scope="session")
def stack_env(
    database_url: str,
    redis_url: str,
    api_url: str,
    fake_github: FakeGitHub,
    fake_anthropic: FakeAnthropicServer,
) -> dict[str, str]:
    """What every process of the test stack shares (as `makima up` would set it): the
    daemon's `claude` runtime is the real CLI, talking to the fake model server."""
    claude = find_claude()
    return {
        **os.environ,
        **({"MAKIMA_CLAUDE_PATH": claude} if claude else {}),
        "ANTHROPIC_BASE_URL": fake_anthropic.url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "MAKIMA_DATABASE_URL": database_url,
        "MAKIMA_REDIS_URL": redis_url,
        "MAKIMA_API_URL": api_url,
        "MAKIMA_GITHUB_API_URL": fake_github.url,
        "MAKIMA_GITHUB_TOKEN": fake_github.token,
        "MAKIMA_TICK_SECONDS": "0.5",
        "MAKIMA_DAEMON_OFFLINE_SECONDS": "4",
        "MAKIMA_DAEMON_HEARTBEAT_SECONDS": "0.5",
        "MAKIMA_DAEMON_CANCEL_POLL_SECONDS": "0.2",
        "MAKIMA_DAEMON_OUTPUT_FLUSH_SECONDS": "0.2",
        "MAKIMA_DAEMON_KILL_GRACE_SECONDS": "2",
    }


@pytest.fixture(scope="session")
def orchestrator_worker(
    stack_env: dict[str, str], state_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker consuming the orchestrator and control queues."""
    proc = _spawn(
        "orchestrator-worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "orchestrator.celery_app",
            "worker",
            "-Q",
            "orchestrator,control",
            "-E",
            "-n",
            "orchestrator-test@%h",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
        ],
        stack_env,
        state_dir,
    )
    yield proc
    _stop(proc)


@pytest.fixture(scope="session")
def beat(stack_env: dict[str, str], state_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery beat scheduling the tick every 0.5 s."""
    proc = _spawn(
        "beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "orchestrator.celery_app",
            "beat",
            "--schedule",
            str(state_dir / "beat-schedule"),
            "--loglevel",
            "INFO",
        ],
        stack_env,
        state_dir,
    )
    yield proc
    _stop(proc)


def wait_for(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.1) -> object:
    """Poll until `predicate` returns something truthy; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {predicate}")


@pytest.fixture(scope="session")
def daemon(stack_env: dict[str, str], state_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real daemon (Celery worker, threads pool) with two slots on pool `default`."""
    proc = _spawn(
        "daemon",
        [
            sys.executable,
            "-m",
            "workers",
            "--pool",
            "default",
            "--concurrency",
            "2",
            "--name",
            "test-daemon",
            "--work-dir",
            str(state_dir / "daemon"),
        ],
        stack_env,
        state_dir,
    )
    yield proc
    _stop(proc)


@pytest.fixture()
def empty_queues(redis_url: str) -> None:
    """Drop messages a previous test left in the queues (their tasks no longer exist)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("daemons.*"):
        client.delete(key)
    client.delete("orchestrator")
    for key in client.scan_iter("makima:cancel:*"):
        client.delete(key)


@pytest.fixture()
def stack(
    clean_db: Engine,
    empty_queues: None,
    orchestrator_worker: subprocess.Popen[bytes],
    beat: subprocess.Popen[bytes],
    daemon: subprocess.Popen[bytes],
    client: httpx.Client,
) -> httpx.Client:
    """The whole stack running, an owner's API client, empty tables and queues."""
    return client
