"""Approvals, orders, and the commands that start processes (daemon, db, up)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from orchestrator.cli import errors
from schemas.approvals import ApprovalPublic
from schemas.enums import ApprovalStatus, OrderPriority, OrderStatus, OrderType
from schemas.orders import OrderPublic
from tests.unit.cli import builders
from tests.unit.cli.conftest import Cli


def _approval(status: ApprovalStatus = ApprovalStatus.PENDING) -> ApprovalPublic:
    return ApprovalPublic(
        id=uuid4(), directive_id=uuid4(), step_id=uuid4(), evaluation_id=None, status=status,
        question="Score 0.6: accept?", comment=None, decided_by=None, decided_at=None,
        created_at=builders.NOW,
    )  # fmt: skip


def _order(directive_id: Any = None) -> OrderPublic:
    return OrderPublic(
        id=uuid4(), title="Fix login", description="", priority=OrderPriority.HIGH,
        type=OrderType.BUG, status=OrderStatus.OPEN, directive_id=directive_id,
        created_at=builders.NOW, updated_at=builders.NOW,
    )  # fmt: skip


def test_approval_list_filters_and_deny_sends_the_comment(cli: Cli) -> None:
    pending = _approval()
    cli.api.json("GET", "/api/v1/approvals", [pending])
    denied = pending.model_copy(update={"status": ApprovalStatus.DENIED})
    cli.api.json("POST", f"/api/v1/approvals/{pending.id}/deny", denied)

    listed = cli("approval", "list", "--status", "pending")
    result = cli("approval", "deny", pending.id.hex[:8], "--comment", "add tests")

    assert listed.exit_code == 0, listed.stderr
    assert "Score 0.6: accept?" in listed.stdout
    assert cli.api.sent("GET", "/api/v1/approvals")[0].query == {"status": ["pending"]}
    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", f"/api/v1/approvals/{pending.id}/deny")[0].body == {
        "comment": "add tests"
    }
    assert result.stdout == f"approval {pending.id}: denied\n"


def test_deny_with_an_empty_comment_is_refused_locally(cli: Cli) -> None:
    result = cli("approval", "deny", str(uuid4()), "--comment", "")

    assert result.exit_code == errors.EXIT_INPUT
    assert result.stderr == "error: --comment: String should have at least 1 character\n"
    assert cli.api.requests == []


def test_order_create_and_link(cli: Cli) -> None:
    order = _order()
    d = builders.directive()
    cli.api.json("POST", "/api/v1/orders", order, status=201)
    cli.api.json("POST", f"/api/v1/directives/{d.id}/orders/link", [order])
    cli.api.json("GET", "/api/v1/orders", [order.model_copy(update={"directive_id": d.id})])

    made = cli("order", "create", "--title", "Fix login", "--priority", "high", "--type", "bug")
    linked = cli("order", "link", str(d.id), str(order.id), "--json")

    assert made.exit_code == 0, made.stderr
    assert cli.api.sent("POST", "/api/v1/orders")[0].body == {
        "title": "Fix login",
        "priority": "high",
        "type": "bug",
    }
    assert linked.exit_code == 0, linked.stderr
    assert cli.api.sent("POST", f"/api/v1/directives/{d.id}/orders/link")[0].body == {
        "order_ids": [str(order.id)]
    }
    assert json.loads(linked.stdout)[0]["directive_id"] == str(d.id)


def test_daemon_without_a_subcommand_runs_a_worker(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("workers.daemon.run_daemon", lambda **kw: calls.append(kw))

    result = cli("daemon", "--pool", "gpu", "--concurrency", "4", "--work-dir", str(tmp_path))

    assert result.exit_code == 0, result.stderr
    assert calls == [{"pool": "gpu", "concurrency": 4, "name": None, "work_dir": tmp_path}]


def test_daemon_refuses_a_bad_pool_name(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workers.daemon.run_daemon", lambda **kw: pytest.fail("started"))

    result = cli("daemon", "--pool", "GPU pool")

    assert result.exit_code == errors.EXIT_INPUT
    assert result.stderr.startswith("error: --pool: pool name 'GPU pool' must match")


def test_daemon_list(cli: Cli) -> None:
    cli.api.json("GET", "/api/v1/daemons", [])

    result = cli("daemon", "list")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "no daemons\n"


def test_db_upgrade_uses_the_environment_url(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.config import get_settings

    urls: list[str] = []
    monkeypatch.setattr("orchestrator.migrations.upgrade", urls.append)
    monkeypatch.setenv("MAKIMA_DATABASE_URL", "postgresql://u:secret@db:5432/m")
    get_settings.cache_clear()
    try:
        result = cli("db", "upgrade")
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.stderr
    assert urls == ["postgresql://u:secret@db:5432/m"]
    assert "secret" not in result.stdout


def test_up_passes_its_options_and_exit_code(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def run_stack(state_dir: Any, **kw: Any) -> int:
        calls.append((state_dir, kw))
        return 1

    monkeypatch.setattr("orchestrator.stack.run_stack", run_stack)

    result = cli("up", "--state-dir", str(tmp_path), "--port", "9000", "--flower")

    assert result.exit_code == 1
    assert calls == [
        (
            tmp_path,
            {
                "api_port": 9000,
                "flower": True,
                "flower_port": 5555,
                "daemon_concurrency": 2,
                "tick_seconds": 5.0,
            },
        )
    ]


def test_step_evaluate_reads_the_verdict_from_stdin_with_ids_from_the_environment(
    cli: Cli,
) -> None:
    d, s = uuid4(), uuid4()
    path = f"/api/v1/directives/{d}/steps/{s}/evaluate"
    cli.api.on("POST", path, (200, None))
    verdict = {"passed": True, "overall_score": 0.9, "confidence": 0.8, "summary": "ok"}

    result = cli(
        "step", "evaluate", "--verdict", "-",
        input=json.dumps(verdict),
        env={"MAKIMA_DIRECTIVE_ID": str(d), "MAKIMA_STEP_ID": str(s)},
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", path)[0].body == {"verdict": verdict}
    assert result.stdout.startswith("verdict recorded")


def test_step_evaluate_refuses_a_bad_verdict_naming_the_field(cli: Cli) -> None:
    verdict = {"passed": True, "overall_score": 3, "confidence": 0.8}

    result = cli(
        "step", "evaluate", "build", "--directive", str(uuid4()), "--verdict", "-",
        input=json.dumps(verdict),
    )  # fmt: skip

    assert result.exit_code == errors.EXIT_INPUT
    assert result.stderr == (
        "error: verdict.overall_score: Input should be less than or equal to 1\n"
    )
    assert cli.api.requests == []
