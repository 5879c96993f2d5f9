"""What both embedded servers share: the error, the health timeout, context-manager use."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from orchestrator.errors import MakimaError

HEALTH_TIMEOUT_SECONDS = 3
"""A server that does not answer within this is unhealthy (hung, stopped, not ours)."""


class EmbeddedServerError(MakimaError):
    """An embedded server could not be started; the message carries the end of its log."""


class EmbeddedServer:
    """Context-manager plumbing shared by both servers."""

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
