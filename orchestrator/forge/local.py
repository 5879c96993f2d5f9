"""The local forge, for repositories without a forge account (a local path or bare repo).

The directive branch is already pushed to the repository itself by the completion task;
the pull request is a record kept by makima (title, body, head, base, diff stats), served
by the API at the URL this forge answers with and shown by `makima directive pr`.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from orchestrator.forge.base import ForgeAnswer, PullRequestDraft
from orchestrator.repository.pulls import next_local_number, pull_request_of
from schemas.enums import ForgeKind


class LocalForge:
    kind = ForgeKind.LOCAL

    def __init__(
        self, session: Session, *, directive_id: uuid.UUID, repository: str, api_url: str
    ) -> None:
        self.session = session
        self.directive_id = directive_id
        self.repository = repository
        self.api_url = api_url.rstrip("/")

    def open_or_update(self, draft: PullRequestDraft) -> ForgeAnswer:
        """The record itself is written by the caller with the answer (one row per directive)."""
        existing = pull_request_of(self.session, directive_id=self.directive_id)
        if existing is not None and existing.forge is ForgeKind.LOCAL:
            return ForgeAnswer(number=existing.number, url=existing.url, created=False)
        number = next_local_number(self.session, repository=self.repository)
        url = f"{self.api_url}/api/v1/directives/{self.directive_id}/pull-request"
        return ForgeAnswer(number=number, url=url, created=True)
