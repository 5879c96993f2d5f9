"""Test helpers for the real PostgreSQL: wipe every table between tests."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from orchestrator.models import Base


def truncate_all(engine: Engine, attempts: int = 20) -> None:
    """TRUNCATE every table. The session's workers and beat keep running meanwhile, so a
    tick's transaction can deadlock with the TRUNCATE's table locks; PostgreSQL then aborts
    one side, and when it is ours we simply try again."""
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)
