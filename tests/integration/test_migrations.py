"""The migrations build exactly the schema the models declare (nothing missing, nothing extra)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from orchestrator.migrations import current_revision
from orchestrator.models import Base


def test_migrated_database_matches_the_models(engine: Engine, database_url: str) -> None:
    assert current_revision(database_url) == "0003"
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
