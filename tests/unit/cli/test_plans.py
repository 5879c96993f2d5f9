"""Plans and steps: JSON from stdin or a file, validated locally, refusals named."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

from orchestrator.cli.errors import EXIT_INPUT
from schemas.statuses import StepStatus
from tests.unit.cli import builders
from tests.unit.cli.conftest import Cli

DIRECTIVE = uuid4()
BASE = f"/api/v1/directives/{DIRECTIVE}"


def _steps_answer(cli: Cli, path: str, *names: str) -> None:
    cli.api.json("POST", path, [builders.step(DIRECTIVE, n) for n in names])


def test_submit_plan_reads_a_bare_list_from_stdin(cli: Cli) -> None:
    _steps_answer(cli, f"{BASE}/plan", "a", "b")
    plan = [{"name": "a"}, {"name": "b", "depends_on": ["a"], "task_plan": "do b"}]

    result = cli("directive", "submit-plan", str(DIRECTIVE), input=json.dumps(plan))

    assert result.exit_code == 0, result.stderr
    (sent,) = cli.api.sent("POST", f"{BASE}/plan")
    assert sent.body == {
        "steps": [{"name": "a"}, {"name": "b", "depends_on": ["a"], "task_plan": "do b"}]
    }
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "GEN", "ORDER", "NAME"]
    assert [line.split()[-1] for line in lines[1:]] == ["a", "b"]


def test_submit_plan_reads_an_object_with_removals_from_a_file(cli: Cli, tmp_path: Path) -> None:
    _steps_answer(cli, f"{BASE}/plan", "c")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"steps": [{"name": "c"}], "remove": ["old"]}))

    result = cli("directive", "submit-plan", str(DIRECTIVE), "--file", str(plan_file), "--json")

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", f"{BASE}/plan")[0].body == {
        "steps": [{"name": "c"}],
        "remove": ["old"],
    }
    shown = json.loads(result.stdout)
    assert [s["name"] for s in shown] == ["c"]
    assert set(shown[0]) == set(builders.step(DIRECTIVE, "x").model_dump())


def test_the_directive_defaults_to_the_environment(cli: Cli) -> None:
    _steps_answer(cli, f"{BASE}/steps/batch", "a")

    result = cli(
        "directive",
        "batch-add-steps",
        input='{"steps": [{"name": "a"}]}',
        env={"MAKIMA_DIRECTIVE_ID": str(DIRECTIVE)},
    )

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", f"{BASE}/steps/batch")[0].body == {"steps": [{"name": "a"}]}


def test_invalid_json_names_line_and_column_and_sends_nothing(cli: Cli) -> None:
    result = cli("directive", "submit-plan", str(DIRECTIVE), input='{"steps": [\n  {"name": }\n]}')

    assert result.exit_code == EXIT_INPUT
    assert result.stderr.splitlines() == [
        "error: stdin: invalid JSON in stdin at line 2, column 12: Expecting value"
    ]
    assert cli.api.requests == []


def test_an_unreadable_file_is_a_one_line_input_error(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = cli("directive", "submit-plan", str(DIRECTIVE), "--file", str(missing))

    assert result.exit_code == EXIT_INPUT
    assert result.stderr == (
        f"error: {missing}: cannot read {missing}: No such file or directory\n"
    )
    assert cli.api.requests == []


def test_local_validation_names_each_step_and_field(cli: Cli) -> None:
    plan = [{"name": "a", "depends_on": "b"}, {"description": "no name"}, {"name": "c", "x": 1}]

    result = cli("directive", "submit-plan", str(DIRECTIVE), input=json.dumps(plan))

    assert result.exit_code == EXIT_INPUT
    assert result.stderr.splitlines() == [
        "error: stdin: plan invalid: 3 problems",
        "step 'a': depends_on: Input should be a valid list",
        "step #2: name: Field required",
        "step 'c': x: Extra inputs are not permitted",
    ]
    assert cli.api.requests == []


def test_batch_add_steps_refuses_removals(cli: Cli) -> None:
    result = cli(
        "directive", "batch-add-steps", str(DIRECTIVE), input='{"steps": [], "remove": ["a"]}'
    )

    assert result.exit_code == EXIT_INPUT
    assert "plan: remove: Extra inputs are not permitted" in result.stderr.splitlines()


def test_a_plan_refused_by_the_api_prints_one_line_per_problem(cli: Cli) -> None:
    cli.api.json(
        "POST",
        f"{BASE}/plan",
        {
            "error": "invalid_plan",
            "detail": "the plan is invalid",
            "field": "steps",
            "problems": [
                {"step": "b", "field": "depends_on", "reason": "unknown dependency 'zz'"},
                {"step": None, "field": "steps", "reason": "cycle"},
            ],
        },
        status=422,
    )

    result = cli("directive", "submit-plan", str(DIRECTIVE), input='[{"name": "b"}]')

    assert result.exit_code == EXIT_INPUT
    assert result.stderr.splitlines() == [
        "error: steps: plan refused: 2 problems",
        "step 'b': depends_on: unknown dependency 'zz'",
        "plan: steps: cycle",
    ]


def test_add_step_sends_only_the_options_given(cli: Cli) -> None:
    cli.api.json("POST", f"{BASE}/steps", builders.step(DIRECTIVE, "lint"))

    result = cli(
        "directive", "add-step", str(DIRECTIVE), "--name", "lint",
        "--depends-on", "a", "--depends-on", "b", "--order-index", "2",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert cli.api.sent("POST", f"{BASE}/steps")[0].body == {
        "name": "lint",
        "depends_on": ["a", "b"],
        "order_index": 2,
    }
    assert result.stdout.startswith("step ")


def test_add_step_without_a_name_is_a_usage_error(cli: Cli) -> None:
    result = cli("directive", "add-step", str(DIRECTIVE))

    assert result.exit_code == EXIT_INPUT
    assert result.stderr == "error: --name: missing option\n"


def test_remove_step_by_name_with_the_directive_from_the_environment(cli: Cli) -> None:
    old = builders.step(DIRECTIVE, "build", status=StepStatus.REMOVED)
    live = builders.step(DIRECTIVE, "build")
    cli.api.json("GET", f"{BASE}/steps", [old, live])
    cli.api.json(
        "DELETE",
        f"{BASE}/steps/{live.id}",
        live.model_copy(update={"status": StepStatus.REMOVED}),
    )

    result = cli("directive", "remove-step", "build", env={"MAKIMA_DIRECTIVE_ID": str(DIRECTIVE)})

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"step {live.id} (build): removed\n"


def test_remove_step_of_an_unknown_name_is_not_found(cli: Cli) -> None:
    cli.api.json("GET", f"{BASE}/steps", [builders.step(DIRECTIVE, "build")])

    result = cli("directive", "remove-step", str(DIRECTIVE), "deploy")

    assert result.exit_code == 3
    assert result.stderr == "error: step: no step named 'deploy'\n"
    assert cli.api.sent("DELETE", f"{BASE}/steps/x") == []
