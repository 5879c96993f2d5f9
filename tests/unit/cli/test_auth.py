"""Login and the config file; tokens."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from uuid import uuid4

from orchestrator.cli import errors
from schemas.tokens import TokenCreated
from tests.unit.cli.builders import NOW
from tests.unit.cli.conftest import KEY, Cli

ME = {"owner_id": str(uuid4()), "owner_name": "alice", "scope": "owner", "directive_id": None}


def test_login_checks_the_key_then_saves_it_private(cli: Cli, home: Path) -> None:
    cli.api.json("GET", "/api/v1/me", ME)

    result = cli("auth", "login", "--url", cli.api.url + "/", "--api-key", "mk_saved", env={
        "MAKIMA_URL": "", "MAKIMA_API_KEY": ""
    })  # fmt: skip

    assert result.exit_code == 0, result.stderr
    saved = home / "cli.json"
    assert json.loads(saved.read_text()) == {"url": cli.api.url, "api_key": "mk_saved"}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert cli.api.sent("GET", "/api/v1/me")[0].headers["authorization"] == "Bearer mk_saved"
    assert result.stdout.startswith(f"logged in to {cli.api.url} as alice (owner)")


def test_a_refused_key_saves_nothing(cli: Cli, home: Path) -> None:
    cli.api.json("GET", "/api/v1/me", {"error": "auth", "detail": "invalid API key"}, status=401)

    result = cli("auth", "login", "--url", cli.api.url, "--api-key", "mk_wrong")

    assert result.exit_code == errors.EXIT_AUTH
    assert result.stderr == "error: invalid API key\n"
    assert not (home / "cli.json").exists()


def test_the_saved_login_is_used_without_environment(cli: Cli, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "cli.json").write_text(json.dumps({"url": cli.api.url, "api_key": "mk_file"}))
    cli.api.json("GET", "/api/v1/me", ME)

    result = cli("auth", "whoami", "--json", env={"MAKIMA_URL": "", "MAKIMA_API_KEY": ""})

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["owner_name"] == "alice"
    assert cli.api.sent("GET", "/api/v1/me")[0].headers["authorization"] == "Bearer mk_file"


def test_the_saved_key_is_never_sent_to_another_url(cli: Cli, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "cli.json").write_text(json.dumps({"url": "http://elsewhere:1", "api_key": "mk_file"}))

    result = cli("directive", "list", env={"MAKIMA_API_KEY": ""})

    assert result.exit_code == errors.EXIT_AUTH
    assert cli.api.requests == []


def test_a_damaged_config_file_is_named(cli: Cli, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "cli.json").write_text("{not json")

    result = cli("directive", "list", env={"MAKIMA_API_KEY": ""})

    assert result.exit_code == errors.EXIT_INPUT
    assert result.stderr.startswith(f"error: {home / 'cli.json'}: not a valid makima CLI config")


def test_logout_removes_the_file(cli: Cli, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "cli.json").write_text(json.dumps({"url": cli.api.url, "api_key": KEY}))

    assert cli("auth", "logout").exit_code == 0
    assert not (home / "cli.json").exists()
    assert cli("auth", "logout").stdout == "not logged in\n"


def test_token_create_shows_the_secret_once_and_revoke_takes_a_prefix(cli: Cli) -> None:
    created = TokenCreated(
        id=uuid4(), name="ci", prefix="mk_abcd", scope="owner", directive_id=None,
        created_at=NOW, expires_at=None, revoked_at=None, last_used_at=None, token="mk_secret",
    )  # fmt: skip
    cli.api.json("POST", "/api/v1/tokens", created, status=201)
    cli.api.json("GET", "/api/v1/tokens", [created.model_dump(exclude={"token"}, mode="json")])
    cli.api.on("DELETE", f"/api/v1/tokens/{created.id}", (204, None))

    made = cli("auth", "token", "create", "--name", "ci", "--expires-in", "3600")
    revoked = cli("auth", "token", "revoke", created.id.hex[:6])

    assert made.exit_code == 0, made.stderr
    assert made.stdout.splitlines()[-1] == "mk_secret"
    assert cli.api.sent("POST", "/api/v1/tokens")[0].body == {
        "name": "ci",
        "expires_in_seconds": 3600,
    }
    assert revoked.exit_code == 0, revoked.stderr
    assert revoked.stdout == f"token {created.id} revoked\n"


def test_token_create_refuses_a_short_expiry_locally(cli: Cli) -> None:
    result = cli("auth", "token", "create", "--name", "ci", "--expires-in", "5")

    assert result.exit_code == errors.EXIT_INPUT
    assert result.stderr == "error: --expires-in: Input should be greater than or equal to 60\n"
    assert cli.api.requests == []
