"""The CLI's one exception root, mapped to an exit code and one line on stderr in `main`.

Exit codes (documented in docs/cli.md) are part of the interface: agents branch on them.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1  # anything else; also `watch` seeing a directive fail or stop
EXIT_INPUT = 2  # bad input: usage, local validation, HTTP 400/422
EXIT_NOT_FOUND = 3  # HTTP 404, or a name/prefix that matches nothing
EXIT_AUTH = 4  # HTTP 401/403, or no API key at all
EXIT_CONFLICT = 5  # HTTP 409: valid request, the object's state forbids it
EXIT_UNREACHABLE = 6  # connection refused, DNS, timeout
EXIT_SERVER = 7  # HTTP 5xx or an answer the CLI cannot read
EXIT_INTERRUPTED = 130  # Ctrl-C


class CliError(Exception):
    """A failure reported as `error: <field>: <reason>`, then optional detail lines."""

    exit_code = EXIT_FAILURE

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        details: Sequence[str] = (),
        exit_code: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.details = tuple(details)
        if exit_code is not None:
            self.exit_code = exit_code

    def summary(self) -> str:
        """The one line: newlines in a server's text never split it."""
        reason = " ".join(self.reason.split()) or "failed"
        return f"error: {self.field}: {reason}" if self.field else f"error: {reason}"


class InputError(CliError):
    """Local input the CLI refuses before sending anything."""

    exit_code = EXIT_INPUT


class NotFoundError(CliError):
    exit_code = EXIT_NOT_FOUND


class UnreachableError(CliError):
    exit_code = EXIT_UNREACHABLE


def exit_code_for_status(status: int) -> int:
    if status in (400, 422):
        return EXIT_INPUT
    if status == 404:
        return EXIT_NOT_FOUND
    if status in (401, 403):
        return EXIT_AUTH
    if status == 409:
        return EXIT_CONFLICT
    if status >= 500:
        return EXIT_SERVER
    return EXIT_FAILURE


class ApiError(CliError):
    """An error answer from the API (`ErrorBody`, plus `problems` for a refused plan)."""

    def __init__(
        self,
        *,
        status: int,
        error: str,
        detail: str,
        field: str | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        reason = detail
        if problems:
            count = len(problems)
            reason = f"plan refused: {count} problem{'s' if count != 1 else ''}"
        super().__init__(
            reason, field=field, details=problems, exit_code=exit_code_for_status(status)
        )
        self.status = status
        self.error = error
        self.detail = detail
