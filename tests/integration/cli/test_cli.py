"""The CLI end to end: the real executable, the real API, a fresh database per test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from orchestrator.db import session_scope
from orchestrator.models import Approval, Directive, PullRequest
from schemas.approvals import ApprovalPublic
from schemas.directives import DirectivePublic
from schemas.enums import ForgeKind
from schemas.events import EventPage
from schemas.fleet import DaemonPublic
from schemas.orders import OrderPublic
from schemas.pulls import PullRequestPublic
from schemas.statuses import StepStatus
from schemas.steps import DirectiveDetail, StepPublic
from schemas.tokens import TokenCreated, TokenPublic
from tests.integration.api.conftest import move_step
from tests.integration.cli.conftest import MAKIMA, Makima

pytestmark = pytest.mark.integration


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr


def _create(makima: Makima, tmp_path: Path, *extra: str) -> DirectiveDetail:
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "steps": [
                    {"name": "models", "task_plan": "write the models"},
                    {"name": "api", "task_plan": "write the API", "depends_on": ["models"]},
                ]
            }
        )
    )
    result = makima(
        "directive", "create", "--title", "Add a CLI", "--goal", "Give the tool a CLI.",
        "--repo", "/srv/repos/tool", "--criterion", "tests pass", "--pool", "cli-tests",
        "--verifier", "pytest -q -k 'not slow'", "--plan-file", str(plan), *extra, "--json",
    )  # fmt: skip
    _ok(result)
    return DirectiveDetail.model_validate_json(result.stdout)


def test_directive_create_show_list_update(makima: Makima, tmp_path: Path) -> None:
    detail = _create(makima, tmp_path)
    d = detail.directive
    assert d.verifier_commands == [["pytest", "-q", "-k", "not slow"]]
    assert d.acceptance_criteria == ["tests pass"]
    assert sorted(s.name for s in detail.steps) == ["api", "models"]

    shown = makima("directive", "show", d.id.hex[:8])
    _ok(shown)
    assert "Add a CLI" in shown.stdout
    step_rows = [line.split() for line in shown.stdout.splitlines() if line[:2] in ("1 ", "2 ")]
    assert [row[-1] for row in step_rows] == ["models", "api"]
    assert step_rows[1][-2] == "models"  # api depends on models

    listed = makima("directive", "list", "--json")
    _ok(listed)
    assert [DirectivePublic.model_validate(x).id for x in json.loads(listed.stdout)] == [d.id]

    updated = makima("directive", "update", str(d.id), "--goal", "A better CLI.", "--json")
    _ok(updated)
    assert DirectiveDetail.model_validate_json(updated.stdout).directive.goal == "A better CLI."


def test_steps_plans_and_events(makima: Makima, tmp_path: Path) -> None:
    d = _create(makima, tmp_path).directive
    env = {"MAKIMA_DIRECTIVE_ID": str(d.id)}

    added = makima("directive", "add-step", "--name", "docs", "--depends-on", "api", "--json",
                   env=env)  # fmt: skip
    _ok(added)
    assert StepPublic.model_validate_json(added.stdout).name == "docs"

    plan = json.dumps([{"name": "lint", "depends_on": ["models"]}])
    submitted = makima("directive", "submit-plan", str(d.id), "--json", input=plan)
    _ok(submitted)
    assert [StepPublic.model_validate(s).name for s in json.loads(submitted.stdout)] == ["lint"]

    refused = makima(
        "directive", "submit-plan", str(d.id),
        input=json.dumps({"steps": [{"name": "deploy", "depends_on": ["nowhere"]}]}),
    )  # fmt: skip
    assert refused.returncode == 2
    lines = refused.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert any("'deploy'" in line and "nowhere" in line for line in lines[1:]), refused.stderr

    removed = makima("directive", "remove-step", "lint", "--json", env=env)
    _ok(removed)
    assert StepPublic.model_validate_json(removed.stdout).status is StepStatus.REMOVED

    names = makima("directive", "show", "--json", env=env)
    _ok(names)
    live = [s.name for s in DirectiveDetail.model_validate_json(names.stdout).steps
            if s.status is not StepStatus.REMOVED]  # fmt: skip
    assert sorted(live) == ["api", "docs", "models"]

    events = makima("directive", "events", str(d.id), "--json")
    _ok(events)
    page = EventPage.model_validate_json(events.stdout)
    types = {e.type.value for e in page.events}
    assert {"directive_created", "step_removed"} <= types
    assert page.next_after_id == page.events[-1].id

    only = makima("directive", "events", str(d.id), "--type", "step_removed", "--json")
    _ok(only)
    assert {e.type.value for e in EventPage.model_validate_json(only.stdout).events} == {
        "step_removed"
    }


def test_invalid_plan_json_sends_nothing(makima: Makima, tmp_path: Path) -> None:
    d = _create(makima, tmp_path).directive
    bad = makima("directive", "submit-plan", str(d.id), input='{"steps": [\n  {"name": }]}')

    assert bad.returncode == 2
    assert bad.stderr == (
        "error: stdin: invalid JSON in stdin at line 2, column 12: Expecting value\n"
    )
    steps = makima("directive", "show", str(d.id), "--json")
    assert len(DirectiveDetail.model_validate_json(steps.stdout).steps) == 2


def test_approvals(makima: Makima, tmp_path: Path, client: httpx.Client, database_url: str) -> None:
    d = _create(makima, tmp_path, "--start").directive
    first = next(s for s in makima_steps(makima, d.id) if s.name == "models")
    move_step(database_url, str(first.id), StepStatus.READY, StepStatus.RUNNING, StepStatus.EVALUATING,
              StepStatus.AWAITING_APPROVAL)  # fmt: skip
    with session_scope(database_url) as session:
        approval = Approval(directive_id=d.id, step_id=first.id, question="yellow: ship it?")
        session.add(approval)
        session.flush()
        approval_id = approval.id

    listed = makima("approval", "list", "--status", "pending", "--json")
    _ok(listed)
    assert [ApprovalPublic.model_validate(a).id for a in json.loads(listed.stdout)] == [approval_id]
    no_comment = makima("approval", "deny", str(approval_id))
    assert no_comment.returncode == 2
    assert no_comment.stderr == "error: --comment: missing option\n"

    approved = makima("approval", "approve", approval_id.hex[:8], "--comment", "fine")
    _ok(approved)
    assert approved.stdout == f"approval {approval_id}: approved\n"
    again = makima("approval", "deny", str(approval_id), "--comment", "too late")
    assert again.returncode == 5
    assert again.stderr == "error: approval_id: approval already approved\n"


def makima_steps(makima: Makima, directive_id: uuid.UUID) -> list[StepPublic]:
    shown = makima("directive", "show", str(directive_id), "--json")
    _ok(shown)
    return DirectiveDetail.model_validate_json(shown.stdout).steps


def test_orders_create_and_link(makima: Makima, tmp_path: Path) -> None:
    d = _create(makima, tmp_path).directive
    made = makima("order", "create", "--title", "Fix login", "--priority", "high", "--type",
                  "bug", "--json")  # fmt: skip
    _ok(made)
    order = OrderPublic.model_validate_json(made.stdout)

    linked = makima("order", "link", str(d.id), order.id.hex[:8], "--json")
    _ok(linked)
    assert [(o.id, o.directive_id) for o in map(OrderPublic.model_validate,
            json.loads(linked.stdout))] == [(order.id, d.id)]  # fmt: skip

    listed = makima("order", "list", "--directive", str(d.id))
    _ok(listed)
    assert "Fix login" in listed.stdout


def test_auth_tokens_and_daemons(makima: Makima, api_url: str) -> None:
    made = makima("auth", "token", "create", "--name", "ci", "--json")
    _ok(made)
    token = TokenCreated.model_validate_json(made.stdout)

    whoami = makima("auth", "whoami", "--json", env={"MAKIMA_API_KEY": token.token})
    _ok(whoami)
    assert json.loads(whoami.stdout)["owner_name"] == "alice"

    listed = makima("auth", "token", "list", "--json")
    _ok(listed)
    assert token.id in {TokenPublic.model_validate(t).id for t in json.loads(listed.stdout)}

    revoked = makima("auth", "token", "revoke", str(token.id))
    _ok(revoked)
    refused = makima("directive", "list", env={"MAKIMA_API_KEY": token.token})
    assert refused.returncode == 4
    assert len(refused.stderr.splitlines()) == 1

    daemons = makima("daemon", "list", "--json")
    _ok(daemons)
    assert [DaemonPublic.model_validate(x) for x in json.loads(daemons.stdout)] == []


def test_login_saves_the_key_and_later_commands_use_it(
    makima: Makima, owner_token: str, api_url: str, tmp_path: Path
) -> None:
    login = makima("auth", "login", "--url", api_url, "--api-key", owner_token)
    _ok(login)
    saved = tmp_path / "home" / "cli.json"
    assert saved.stat().st_mode & 0o777 == 0o600

    listed = makima("directive", "list", env={"MAKIMA_URL": "", "MAKIMA_API_KEY": ""})
    _ok(listed)
    assert listed.stdout == "no directives\n"


def test_not_found_and_unreachable(makima: Makima) -> None:
    missing = makima("directive", "show", str(uuid.uuid4()))
    assert missing.returncode == 3
    assert len(missing.stderr.splitlines()) == 1

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = makima("directive", "list", env={"MAKIMA_URL": f"http://127.0.0.1:{port}"})
    assert down.returncode == 6
    assert down.stderr.startswith(f"error: cannot reach makima at http://127.0.0.1:{port}: ")
    assert len(down.stderr.splitlines()) == 1


def test_watch_follows_the_live_stream_until_the_directive_stops(
    makima: Makima, tmp_path: Path, api_url: str, owner_token: str
) -> None:
    d = _create(makima, tmp_path, "--start").directive
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAKIMA_")},
        "MAKIMA_URL": api_url,
        "MAKIMA_API_KEY": owner_token,
        "MAKIMA_HOME": str(tmp_path / "home"),
    }
    watcher = subprocess.Popen(
        [MAKIMA, "directive", "watch", str(d.id), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        first = json.loads(watcher.stdout.readline())  # the replayed log has begun
        assert first["type"] == "directive_created"
        _ok(makima("directive", "stop", str(d.id)))
        stdout, stderr = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 1, stderr
    last = json.loads(stdout.splitlines()[-1])
    assert (last["type"], last["data"]["to"]) == ("directive_status", "stopped")


def test_directive_pr_shows_the_pull_request_record(
    makima: Makima, tmp_path: Path, database_url: str
) -> None:
    d = _create(makima, tmp_path).directive
    missing = makima("directive", "pr", str(d.id))
    assert missing.returncode == 3
    assert missing.stderr == f"error: directive_id: directive {d.id} has no pull request yet\n"

    with session_scope(database_url) as session:
        session.add(PullRequest(
            directive_id=d.id, owner_id=session.get_one(Directive, d.id).owner_id,
            forge=ForgeKind.LOCAL, repository="/srv/repos/tool", number=7,
            url=f"http://makima.local/api/v1/directives/{d.id}/pull-request",
            title="Add a CLI", body="## Goal\n\nGive the tool a CLI.\n",
            head="makima/directive-add-a-cli-12345678", base="main", head_commit="a" * 40,
            diff_stats={"files_changed": 3, "insertions": 40, "deletions": 2},
            gate_summary="passed: pytest (`python -m pytest`, exit 0, 1.0s)", updates=1,
        ))
    shown = makima("directive", "pr", str(d.id))
    _ok(shown)
    assert "makima/directive-add-a-cli-12345678 → main" in shown.stdout
    assert "3 files, +40 -2" in shown.stdout
    assert "local (/srv/repos/tool) #7" in shown.stdout
    assert "passed: pytest" in shown.stdout and "## Goal" in shown.stdout
    as_json = makima("directive", "pr", str(d.id), "--json")
    _ok(as_json)
    record = PullRequestPublic.model_validate_json(as_json.stdout)
    assert (record.number, record.updates, record.diff_stats.insertions) == (7, 1, 40)


def test_directive_create_with_a_forge(makima: Makima) -> None:
    base = ("directive", "create", "--title", "Ship it", "--goal", "Ship.",
            "--repo", "/srv/repos/tool", "--pool", "cli-tests")
    refused = makima(*base, "--forge", "github")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: forge.repository: forge.repository is required")
    bad = makima(*base, "--forge-repo", "not a repo")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --forge-repo: ")
    made = makima(*base, "--forge", "github", "--forge-repo", "acme/tool", "--json")
    _ok(made)
    created = DirectiveDetail.model_validate_json(made.stdout).directive
    assert (created.forge, created.forge_repository) == (ForgeKind.GITHUB, "acme/tool")
