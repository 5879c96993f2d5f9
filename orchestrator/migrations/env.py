"""Alembic environment: online migrations against the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from orchestrator.config import get_settings
from orchestrator.db import normalize_database_url
from orchestrator.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or normalize_database_url(
        get_settings().database_url
    )
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Two processes starting at once (api and a worker) must not both migrate.
        connection.exec_driver_sql("SELECT pg_advisory_lock(7427731)")
        try:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.exec_driver_sql("SELECT pg_advisory_unlock(7427731)")
            connection.commit()
    engine.dispose()


run_migrations_online()
