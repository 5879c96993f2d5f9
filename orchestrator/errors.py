"""One exception root for the orchestrator, mapped once per edge.

The API turns these into HTTP statuses in one handler, the CLI into exit codes, Celery
tasks into retry-or-not. Each error carries the field it is about when there is one, so a
refusal can name the field and the reason.
"""

from __future__ import annotations


class MakimaError(Exception):
    """Root of every error the orchestrator raises on purpose."""

    http_status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(MakimaError):
    """The object does not exist or belongs to another owner (the same answer, on purpose)."""

    http_status = 404


class ValidationError(MakimaError):
    http_status = 422


class ConflictError(MakimaError):
    """The request is valid but the object's state forbids it (e.g. deleting a live directive)."""

    http_status = 409


class AuthError(MakimaError):
    http_status = 401


class ForbiddenError(MakimaError):
    """A task-scoped token reaching outside its own directive."""

    http_status = 403


class TransientError(MakimaError):
    """Worth retrying: a lost connection, a lock timeout."""

    http_status = 503
