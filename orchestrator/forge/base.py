"""What every forge does: open a pull request for a head branch, or update the open one.

The completion phase builds a `PullRequestDraft` after the merged result passed the merge
gate and was pushed, asks the directive's forge, and stores the URL from the forge's answer
(never from agent output).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.errors import MakimaError
from schemas.enums import ForgeKind


class PullRequestDraft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=256)
    body: str = Field(max_length=65_000)
    head: str = Field(description="The directive branch (already pushed).")
    base: str = Field(description="The branch the pull request merges into.")


class ForgeAnswer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int | None
    url: str
    created: bool = Field(description="True when this call opened the PR, False when it updated it.")


class ForgeError(MakimaError):
    """The forge refused or could not be reached; `message` says which and why.

    `retryable`: worth trying again later (network error, 5xx, rate limit); otherwise a
    person must act (bad token, unknown repository, refused head branch)."""

    http_status = 502

    def __init__(
        self, message: str, *, status_code: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable


class Forge(Protocol):
    kind: ForgeKind

    def open_or_update(self, draft: PullRequestDraft) -> ForgeAnswer:
        """Open a PR for `draft.head` → `draft.base`, or update the open one for that head."""
        ...
