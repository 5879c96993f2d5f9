"""Every failure: the right exit code and one line on stderr naming the field."""

from __future__ import annotations

import socket
from uuid import uuid4

import pytest

from orchestrator.cli import errors
from tests.unit.cli.conftest import Cli

D = uuid4()
PATH = f"/api/v1/directives/{D}"


@pytest.mark.parametrize(
    ("status", "body", "code", "line"),
    [
        (
            422,
            {"error": "validation_error", "detail": "must not be blank", "field": "title"},
            errors.EXIT_INPUT,
            "error: title: must not be blank",
        ),
        (
            422,  # FastAPI's own request-validation shape
            {"detail": [{"loc": ["body", "goal"], "msg": "Field required", "type": "missing"}]},
            errors.EXIT_INPUT,
            "error: goal: Field required",
        ),
        (
            404,
            {"error": "not_found", "detail": "directive not found"},
            errors.EXIT_NOT_FOUND,
            "error: directive not found",
        ),
        (
            401,
            {"error": "auth", "detail": "invalid API key"},
            errors.EXIT_AUTH,
            "error: invalid API key",
        ),
        (
            403,
            {"error": "forbidden", "detail": "token is scoped to another directive"},
            errors.EXIT_AUTH,
            "error: token is scoped to another directive",
        ),
        (
            409,
            {"error": "conflict", "detail": "directive cannot go from draft to active"},
            errors.EXIT_CONFLICT,
            "error: directive cannot go from draft to active",
        ),
        (
            500,
            "Internal Server Error",
            errors.EXIT_SERVER,
            'error: HTTP 500: "Internal Server Error"',
        ),
        (
            503,
            {"error": "unavailable", "detail": "database\nis down"},
            errors.EXIT_SERVER,
            "error: database is down",
        ),
    ],
)
def test_http_errors_map_to_exit_codes(
    cli: Cli, status: int, body: object, code: int, line: str
) -> None:
    cli.api.json("POST", f"{PATH}/start", body, status=status)

    result = cli("directive", "start", str(D))

    assert result.exit_code == code
    assert result.stderr == line + "\n"
    assert result.stdout == ""


def test_an_unreachable_server_is_exit_6_naming_the_url(cli: Cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    result = cli("directive", "list", env={"MAKIMA_URL": url})

    assert result.exit_code == errors.EXIT_UNREACHABLE
    assert result.stderr.startswith(f"error: cannot reach makima at {url}: ")
    assert len(result.stderr.splitlines()) == 1


def test_an_unreadable_answer_is_a_server_error(cli: Cli) -> None:
    cli.api.json("POST", f"{PATH}/start", {"id": "not a directive"})

    result = cli("directive", "start", str(D))

    assert result.exit_code == errors.EXIT_SERVER
    assert result.stderr.startswith("error: unexpected answer from makima at ")


def test_no_api_key_is_an_auth_error_before_any_request(cli: Cli) -> None:
    result = cli("directive", "list", env={"MAKIMA_API_KEY": ""})

    assert result.exit_code == errors.EXIT_AUTH
    assert result.stderr == "error: no API key: set MAKIMA_API_KEY or run `makima auth login`\n"
    assert cli.api.requests == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["directive", "show"], "error: DIRECTIVE: missing argument (or set $MAKIMA_DIRECTIVE_ID)"),
        (["directive", "list", "--status", "sleepy"], "error: --status: 'sleepy' is not one of"),
        (["directive", "list", "--bogus"], "error: No such option: --bogus"),
        (["directive", "frobnicate"], "error: No such command 'frobnicate'"),
        (["approval", "deny", "abcd"], "error: --comment: missing option"),
        (
            ["directive", "list", "--limit", "0"],
            "error: --limit: Input should be greater than or equal to 1",
        ),
        (["directive", "output", "abc"], "error: TASK_ID: 'abc' is not a task id"),
        (["directive", "stop", "zz"], "error: directive: 'zz' is not an id or an id prefix"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(cli: Cli, args: list[str], line: str) -> None:
    result = cli(*args)

    assert result.exit_code == errors.EXIT_INPUT, result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(line), result.stderr
    assert cli.api.requests == []


def test_help_and_a_bare_group_exit_0(cli: Cli) -> None:
    assert cli("--help").exit_code == 0
    bare = cli("directive")
    assert bare.exit_code == 0
    assert "submit-plan" in bare.stdout
