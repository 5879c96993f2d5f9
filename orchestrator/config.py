"""Orchestrator settings: one pydantic-settings class behind a cached accessor.

Every value comes from a `MAKIMA_*` environment variable; nothing here connects anywhere.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.wire import DEFAULT_POOL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAKIMA_", extra="ignore")

    database_url: str = "postgresql+psycopg2://makima:makima@127.0.0.1:5432/makima"
    redis_url: str = "redis://127.0.0.1:6379/0"
    api_url: str = Field(
        default="http://127.0.0.1:8765",
        description="How agents on daemons reach the API (given to them with their token).",
    )
    tick_seconds: float = 5.0
    tick_only: bool = Field(
        default=False,
        description="Disable event-driven phase triggers; only the beat tick advances work.",
    )
    default_pool: str = DEFAULT_POOL
    max_session_seconds: int = 4 * 3600
    daemon_offline_seconds: float = Field(
        default=15.0, description="A daemon silent this long is offline; its tasks interrupted."
    )
    task_token_ttl_seconds: int = 6 * 3600
    max_plan_steps: int = 100
    max_text_chars: int = 20_000
    max_name_chars: int = 200
    max_interrupt_retries: int = 3
    sse_poll_seconds: float = 0.5
    github_token: str | None = None
    github_api_url: str = "https://api.github.com"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
