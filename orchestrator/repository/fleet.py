"""Daemons as the orchestrator knows them: announced, heartbeating, or gone offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from orchestrator.models import Daemon
from schemas.enums import DaemonStatus
from schemas.messages import DaemonAnnounce, DaemonGoodbye, DaemonHeartbeat


def record_announce(session: Session, message: DaemonAnnounce) -> bool:
    """Upsert the daemon; True when it (re)joined, i.e. new work may now be dispatchable."""
    previous = session.scalar(select(Daemon.status).where(Daemon.name == message.name))
    values = {
        "host": message.host,
        "pool": message.pool,
        "capacity": message.capacity,
        "runtimes": list(message.runtimes),
        "version": message.version,
        "status": DaemonStatus.ONLINE,
        "running_tasks": 0,
        "last_heartbeat_at": message.at,
    }
    session.execute(
        insert(Daemon)
        .values(name=message.name, **values)
        .on_conflict_do_update(index_elements=[Daemon.name], set_=values)
    )
    return previous is not DaemonStatus.ONLINE


def record_heartbeat(session: Session, message: DaemonHeartbeat) -> bool:
    """Refresh a daemon; True when a daemon thought offline came back."""
    daemon = session.scalars(
        select(Daemon).where(Daemon.name == message.name).with_for_update()
    ).one_or_none()
    if daemon is None:
        return False  # never announced (e.g. database wiped): it re-announces on restart
    came_back = daemon.status is DaemonStatus.OFFLINE
    # Heartbeats can arrive out of order; never move the clock backwards.
    if message.at > daemon.last_heartbeat_at:
        daemon.last_heartbeat_at = message.at
        daemon.running_tasks = len(message.running_task_ids)
    daemon.status = DaemonStatus.ONLINE
    session.flush()
    return came_back


def record_goodbye(session: Session, message: DaemonGoodbye) -> None:
    session.execute(
        update(Daemon)
        .where(Daemon.name == message.name)
        .values(status=DaemonStatus.OFFLINE, running_tasks=0)
    )


def mark_silent_daemons_offline(session: Session, *, silent_seconds: float) -> list[str]:
    """Daemons whose heartbeats stopped; their running tasks are then interrupted."""
    cutoff = datetime.now(UTC) - timedelta(seconds=silent_seconds)
    rows = session.execute(
        update(Daemon)
        .where(Daemon.status == DaemonStatus.ONLINE, Daemon.last_heartbeat_at < cutoff)
        .values(status=DaemonStatus.OFFLINE)
        .returning(Daemon.name)
    )
    return [name for (name,) in rows]


def has_online_daemon(session: Session, *, pool: str) -> bool:
    found = session.scalar(
        select(Daemon.id).where(Daemon.pool == pool, Daemon.status == DaemonStatus.ONLINE).limit(1)
    )
    return found is not None


def list_daemons(session: Session) -> list[Daemon]:
    """Every daemon, online first. Daemons are shared infrastructure, not owner-scoped."""
    return list(
        session.scalars(select(Daemon).order_by(Daemon.status.desc(), Daemon.pool, Daemon.name))
    )
