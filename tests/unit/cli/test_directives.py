"""Directive commands: options to bodies, tables and --json, ids and prefixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.directives import DirectivePublic
from schemas.statuses import DirectiveStatus, StepStatus
from schemas.steps import DirectiveDetail
from tests.unit.cli import builders
from tests.unit.cli.conftest import Cli

LIST = "/api/v1/directives"


def test_create_builds_the_body_from_options(cli: Cli, tmp_path: Path) -> None:
    d = builders.directive()
    cli.api.json("POST", LIST, builders.detail(d), status=201)
    goal = tmp_path / "goal.md"
    goal.write_text("Ship it.\nWith tests.")
    plan = tmp_path / "plan.json"
    plan.write_text('[{"name": "one", "task_plan": "do one"}]')
    repo = tmp_path / "repo"
    repo.mkdir()

    result = cli(
        "directive", "create", "--title", "Ship", "--goal-file", str(goal),
        "--repo", str(repo.relative_to(tmp_path.parent).as_posix()),
        "--requirement", "r1", "--requirement", "r2", "--criterion", "c1",
        "--autonomy", "full_auto", "--max-cost", "2.50", "--max-rework", "1",
        "--green", "0.9", "--yellow", "0.6", "--no-evaluator",
        "--verifier", "pytest -q -k 'not slow'", "--verifier", "ruff check .",
        "--no-auto-verifiers", "--runtime", "scripted", "--pool", "gpu",
        "--plan-file", str(plan),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    (sent,) = cli.api.sent("POST", LIST)
    assert sent.body == {
        "title": "Ship",
        "goal": "Ship it.\nWith tests.",
        "requirements": ["r1", "r2"],
        "acceptance_criteria": ["c1"],
        # the relative path did not exist from the test's cwd, so it is sent as typed
        "repository": str(repo.relative_to(tmp_path.parent).as_posix()),
        "autonomy": "full_auto",
        "budgets": {"max_total_cost_usd": "2.50", "max_rework_cycles": 1},
        "evaluation": {
            "green_threshold": 0.9,
            "yellow_threshold": 0.6,
            "evaluator_enabled": False,
            "auto_verifiers": False,
            "verifier_commands": [["pytest", "-q", "-k", "not slow"], ["ruff", "check", "."]],
        },
        "agent": {"runtime": "scripted", "pool": "gpu"},
        "plan": [{"name": "one", "task_plan": "do one"}],
    }
    assert result.stdout == f"directive {d.id} created: Add a CLI [draft, generation 0]\n"


def test_create_makes_a_local_repository_path_absolute(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.api.json("POST", LIST, builders.detail(builders.directive()), status=201)
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path)

    result = cli("directive", "create", "--title", "t", "--goal", "g", "--repo", "repo")

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", LIST)[0].body["repository"] == str(tmp_path / "repo")


def test_create_with_start_starts_and_shows_the_new_status(cli: Cli) -> None:
    d = builders.directive()
    started = d.model_copy(update={"status": DirectiveStatus.PLANNING})
    cli.api.json("POST", LIST, builders.detail(d), status=201)
    cli.api.json("POST", f"{LIST}/{d.id}/start", started)
    cli.api.json("GET", f"{LIST}/{d.id}", builders.detail(started))

    result = cli(
        "directive",
        "create",
        "--title",
        "t",
        "--goal",
        "g",
        "--repo",
        "git@x:y",
        "--start",
        "--json",
    )

    assert result.exit_code == 0, result.stderr
    shown = DirectiveDetail.model_validate_json(result.stdout)
    assert shown.directive.status is DirectiveStatus.PLANNING
    assert len(cli.api.sent("POST", f"{LIST}/{d.id}/start")) == 1


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--verifier", "pytest 'unclosed"], "error: --verifier: cannot split"),
        (["--verifier", "  "], "error: --verifier: empty command"),
        (["--green", "0.4", "--yellow", "0.6"], "error: --green/--yellow: green_threshold"),
        (["--max-cost", "lots"], "error: --max-cost: 'lots' is not a number"),
        (["--max-cost", "-1"], "error: --max-cost: Input should be greater than 0"),
        (["--pool", "Bad Pool"], "error: --pool: String should match pattern"),
        (["--goal-file", "/nonexistent/goal"], "error: --goal-file: cannot read"),
    ],
)
def test_create_refuses_bad_options_naming_them(cli: Cli, args: list[str], line: str) -> None:
    base = ["directive", "create", "--title", "t", "--repo", "r"]
    goal = [] if "--goal-file" in args else ["--goal", "g"]

    result = cli(*base, *goal, *args)

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(line), result.stderr
    assert cli.api.requests == []


def test_create_needs_a_goal(cli: Cli) -> None:
    result = cli("directive", "create", "--title", "t", "--repo", "r")

    assert result.exit_code == 2
    assert result.stderr == "error: --goal: missing option (or give --goal-file)\n"


def test_update_sends_only_what_was_given(cli: Cli) -> None:
    d = builders.directive(generation=2)
    cli.api.json("PATCH", f"{LIST}/{d.id}", builders.detail(d))

    result = cli(
        "directive", "update", str(d.id), "--goal", "new goal", "--max-cost", "3", "--evaluator"
    )

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("PATCH", f"{LIST}/{d.id}")[0].body == {
        "goal": "new goal",
        "budgets": {"max_total_cost_usd": "3"},
        "evaluation": {"evaluator_enabled": True},
    }
    assert result.stdout == f"directive {d.id} updated: Add a CLI [draft, generation 2]\n"


def test_update_with_nothing_to_change_is_refused(cli: Cli) -> None:
    d = builders.directive()
    result = cli("directive", "update", str(d.id))

    assert result.exit_code == 2
    assert result.stderr == "error: update: nothing to change: give at least one option\n"


def test_list_json_is_the_api_shape(cli: Cli) -> None:
    directives = [builders.directive(), builders.directive(status=DirectiveStatus.ACTIVE)]
    cli.api.json("GET", LIST, directives)

    result = cli("directive", "list", "--status", "active", "--json")

    assert result.exit_code == 0, result.stderr
    shown = [DirectivePublic.model_validate(item) for item in json.loads(result.stdout)]
    assert shown == directives
    assert cli.api.sent("GET", LIST)[0].query == {"status": ["active"], "limit": ["50"]}


def test_list_prints_an_aligned_table(cli: Cli) -> None:
    d = builders.directive(title="A rather long title")
    cli.api.json("GET", LIST, [d])

    lines = cli("directive", "list").stdout.splitlines()

    assert lines[0].split() == ["ID", "STATUS", "GEN", "COST", "UPDATED", "TITLE"]
    assert lines[1].startswith(d.id.hex[:8] + "  draft ")
    assert lines[1].endswith("A rather long title")
    assert lines[0].index("TITLE") == lines[1].index("A rather")


def test_show_prints_steps_in_dag_order_with_cost(cli: Cli) -> None:
    d = builders.directive(status=DirectiveStatus.ACTIVE)
    first = builders.step(d.id, "first", status=StepStatus.PASSED, branch="makima/first-1")
    second = builders.step(d.id, "second", depends_on=[first.id], rework_count=1)
    detail = builders.detail(d, [second, first]).model_copy(
        update={"chain": builders.detail(d, [first, second]).chain}
    )
    cli.api.json("GET", f"{LIST}/{d.id}", detail)
    cli.api.json("GET", f"{LIST}/{d.id}/tasks", [])
    cli.api.json("GET", LIST, [d])

    result = cli("directive", "show", d.id.hex[:8])

    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line[:1] in ("1", "2")]
    assert [row[-1] for row in rows] == ["first", "second"]
    assert rows[1][-2] == "first"  # DEPENDS ON
    assert rows[1][4] == "1"  # REWORK


def test_a_directive_prefix_is_resolved_through_the_list(cli: Cli) -> None:
    d = builders.directive()
    cli.api.json("GET", LIST, [builders.directive(), d])
    cli.api.json(
        "POST", f"{LIST}/{d.id}/stop", d.model_copy(update={"status": DirectiveStatus.STOPPED})
    )

    result = cli("directive", "stop", d.id.hex[:8])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"directive {d.id}: stopped\n"


def test_pause_sends_the_reason(cli: Cli) -> None:
    d = builders.directive(status=DirectiveStatus.PAUSED)
    cli.api.json("POST", f"{LIST}/{d.id}/pause", d)

    result = cli("directive", "pause", str(d.id), "--reason", "lunch")

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", f"{LIST}/{d.id}/pause")[0].body == {"reason": "lunch"}
