"""Owners and API keys. Keys are random, shown once, stored as SHA-256 hashes.

High-entropy random tokens need no slow hash: SHA-256 of 32 random bytes cannot be
brute-forced, and lookups stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.errors import AuthError, NotFoundError
from orchestrator.models import ApiKey, Owner
from schemas.enums import TokenScope

TOKEN_PREFIX = "mk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an owner, or a task acting only on its own directive."""

    owner_id: uuid.UUID
    key_id: uuid.UUID
    scope: TokenScope
    directive_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        if self.scope is TokenScope.TASK:
            return f"task:{self.task_id}"
        return f"owner:{self.owner_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_or_create_owner(session: Session, *, name: str) -> Owner:
    owner = session.scalars(select(Owner).where(Owner.name == name)).one_or_none()
    if owner is None:
        owner = Owner(name=name)
        session.add(owner)
        session.flush()
    return owner


def create_api_key(
    session: Session,
    *,
    owner_id: uuid.UUID,
    name: str,
    scope: TokenScope = TokenScope.OWNER,
    directive_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    expires_in_seconds: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext token (the only time the plaintext exists)."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=expires_in_seconds) if expires_in_seconds else None
    )
    key = ApiKey(
        owner_id=owner_id,
        name=name,
        prefix=prefix,
        key_hash=hash_token(token),
        scope=scope,
        directive_id=directive_id,
        task_id=task_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, token


def authenticate(session: Session, *, token: str) -> Principal:
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_token(token))).one_or_none()
    now = datetime.now(UTC)
    if key is None or key.revoked_at is not None:
        raise AuthError("invalid or revoked API key", field="Authorization")
    if key.expires_at is not None and key.expires_at <= now:
        raise AuthError("API key expired", field="Authorization")
    key.last_used_at = now
    return Principal(
        owner_id=key.owner_id,
        key_id=key.id,
        scope=key.scope,
        directive_id=key.directive_id,
        task_id=key.task_id,
    )


def list_api_keys(session: Session, *, owner_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.owner_id == owner_id, ApiKey.scope == TokenScope.OWNER)
            .order_by(ApiKey.created_at)
        )
    )


def revoke_api_key(session: Session, *, owner_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.owner_id == owner_id)
    ).one_or_none()
    if key is None:
        raise NotFoundError(f"API key {key_id} not found", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.flush()
    return key


def revoke_task_keys(session: Session, *, task_id: uuid.UUID) -> None:
    """A task's token dies with its task."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.task_id == task_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
