"""Completion on the real stack: passed step branches merged by code onto the directive
branch, the merge gate, the pull request on the local forge, and re-completion into the
same branch and PR after a goal edit; a conflict settled by a resolve_conflicts agent; a red
merge gate that blocks the PR."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orchestrator.models import Task
from tests.integration.lifecycle.helpers import (
    create_directive,
    event_log,
    events,
    pull_request,
    start,
    tasks,
    wait_pr_updates,
    wait_status,
    write,
)
from tests.support.sample_repo import git, make_sample_repo, script

CONTENTS: dict[str, str] = {}


def _module(name: str, body: str, test: str) -> str:
    CONTENTS[f"calc/{name}.py"] = body
    CONTENTS[f"tests/test_{name}.py"] = test
    return script(
        write(f"calc/{name}.py", body),
        write(f"tests/test_{name}.py", test),
        '{"cost": 0.01}',
    )


SUB = _module(
    "sub",
    "def sub(a: int, b: int) -> int:\n    return a - b\n",
    "from calc.sub import sub\n\n\ndef test_sub() -> None:\n    assert sub(5, 3) == 2\n",
)
MUL = _module(
    "mul",
    "def mul(a: int, b: int) -> int:\n    return a * b\n",
    "from calc.mul import mul\n\n\ndef test_mul() -> None:\n    assert mul(4, 3) == 12\n",
)
NEG = _module(
    "neg",
    "from calc.sub import sub\n\n\ndef neg(a: int) -> int:\n    return sub(0, a)\n",
    "from calc.neg import neg\n\n\ndef test_neg() -> None:\n    assert neg(4) == -4\n",
)
DIV = _module(
    "div",
    "def div(a: int, b: int) -> float:\n    return a / b\n",
    "from calc.div import div\n\n\ndef test_div() -> None:\n    assert div(6, 3) == 2\n",
)
FIRST_ROUND = [p for p in CONTENTS if "div" not in p]


def files_on(repo: Path, branch: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", f"refs/heads/{branch}").splitlines())


def test_clean_merge_opens_a_pr_and_a_goal_edit_updates_it(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan: list[dict[str, Any]] = [
        {"name": "sub", "description": "subtraction", "task_plan": SUB},
        {"name": "mul", "description": "multiplication", "task_plan": MUL},
        {"name": "neg", "description": "negation", "depends_on": ["sub"], "task_plan": NEG},
    ]
    created = create_directive(stack, repo, plan)
    directive_id = created["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    directive = final["directive"]
    assert directive["status"] == "completed", event_log(stack, directive_id)

    pr = pull_request(stack, directive_id)
    assert pr is not None
    branch = directive["pr_branch"]
    assert branch == f"makima/directive-grow-the-calculator-{directive_id.replace('-', '')[:8]}"
    assert directive["pr_url"] == pr["url"]
    assert (pr["forge"], pr["head"], pr["base"], pr["number"]) == ("local", branch, "main", 1)
    insertions = sum(CONTENTS[p].count("\n") for p in FIRST_ROUND)
    assert pr["diff_stats"] == {"files_changed": 6, "insertions": insertions, "deletions": 0}
    assert "passed: pytest" in pr["gate_summary"]
    for name in ("sub", "mul", "neg"):
        assert f"**{name}**" in pr["body"]
    assert git(repo, "rev-parse", f"refs/heads/{branch}") == pr["head_commit"]
    assert {"calc/sub.py", "calc/mul.py", "calc/neg.py", "tests/test_neg.py"} <= files_on(
        repo, branch
    )
    kinds = [t["kind"] for t in tasks(stack, directive_id)]
    assert kinds.count("complete") == 1 and "resolve_conflicts" not in kinds
    types = [e["type"] for e in events(stack, directive_id)]
    assert {"merge", "merge_gate", "pull_request"} <= set(types)

    # A later goal edit re-plans (the scripted planner adds one step) and re-completes into
    # the same branch and the same pull request.
    new_plan = {"steps": [{"name": "div", "description": "division", "task_plan": DIV,
                           "depends_on": ["mul"]}]}
    submit = json.dumps(
        {"makima": ["directive", "submit-plan"], "stdin": json.dumps(new_plan), "check": True}
    )
    response = stack.patch(
        f"/api/v1/directives/{directive_id}",
        json={"goal": "Also divide.\n\n" + script(submit, '{"say": "planned"}')},
    )
    assert response.status_code == 200, response.text

    second = wait_pr_updates(stack, directive_id, 1)
    assert (second["id"], second["url"], second["number"]) == (pr["id"], pr["url"], 1)
    assert second["head_commit"] != pr["head_commit"]
    final = wait_status(stack, directive_id, {"completed", "paused"})
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)
    assert final["directive"]["generation"] == 1
    assert {"calc/sub.py", "calc/mul.py", "calc/neg.py", "calc/div.py"} <= files_on(repo, branch)
    # The earlier result is an ancestor of the new head: an update, not a rewrite.
    git(repo, "merge-base", "--is-ancestor", pr["head_commit"], second["head_commit"])
    kinds = [t["kind"] for t in tasks(stack, directive_id)]
    assert kinds.count("complete") == 2


def test_a_conflict_is_resolved_by_a_resolve_conflicts_task(
    stack: httpx.Client, clean_db: Engine, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [
        {"name": "left", "description": "version from the left",
         "task_plan": script(write("calc/version.py", "VERSION = 'left'\n"))},
        {"name": "right", "description": "version from the right",
         "task_plan": script(write("calc/version.py", "VERSION = 'right'\n"))},
    ]
    # The scripted resolver performs the first script of its prompt, which opens with the
    # directive's goal: the resolution lives there.
    resolution = script(write("calc/version.py", "VERSION = 'left+right'\n"))
    directive_id = create_directive(
        stack, repo, plan, goal="Pick a version.\n\n" + resolution
    )["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)
    branch = final["directive"]["pr_branch"]
    assert git(repo, "show", f"refs/heads/{branch}:calc/version.py") == "VERSION = 'left+right'"
    kinds = [t["kind"] for t in tasks(stack, directive_id)]
    assert kinds.count("resolve_conflicts") == 1 and kinds.count("complete") == 2
    [resolver] = [t for t in tasks(stack, directive_id) if t["kind"] == "resolve_conflicts"]
    with Session(clean_db) as session:
        prompt = session.get_one(Task, uuid.UUID(resolver["id"])).prompt
    assert "- `calc/version.py`" in prompt and "- right: version from the right" in prompt
    conflict_events = [
        e for e in events(stack, directive_id)
        if e["type"] == "merge" and "conflicts in" in e["message"]
    ]
    assert conflict_events and conflict_events[0]["data"]["files"] == ["calc/version.py"]
    pr = pull_request(stack, directive_id)
    assert pr is not None and pr["head_commit"] == git(repo, "rev-parse", f"refs/heads/{branch}")


def test_a_red_merge_gate_blocks_the_pull_request(stack: httpx.Client, tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    # Each step is green alone; together the guard test fails.
    guard = "from pathlib import Path\n\n\ndef test_no_legacy() -> None:\n    assert not Path('calc/legacy.py').exists()\n"
    plan = [
        {"name": "guard", "task_plan": script(write("tests/test_guard.py", guard))},
        {"name": "legacy", "task_plan": script(write("calc/legacy.py", "OLD = True\n"))},
    ]
    directive_id = create_directive(stack, repo, plan)["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    directive = final["directive"]
    assert directive["status"] == "paused", event_log(stack, directive_id)
    assert directive["status_reason"].startswith("merge gate red: pytest failed")
    assert {s["status"] for s in final["steps"]} == {"passed"}
    assert pull_request(stack, directive_id) is None
    assert directive["pr_url"] is None
    heads = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/makima/directive-")
    assert heads == ""
    [gate] = [e for e in events(stack, directive_id) if e["type"] == "merge_gate"]
    assert gate["severity"] == "error" and "test_no_legacy" in gate["message"]


def test_after_the_pr_was_merged_and_its_branch_deleted_work_restarts_from_main(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [{"name": "sub", "description": "subtraction", "task_plan": SUB}]
    directive_id = create_directive(stack, repo, plan)["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)
    branch = final["directive"]["pr_branch"]
    # A person merges the pull request into main and deletes its branch.
    git(repo, "merge", "--no-ff", "-q", "-m", "Merge the makima PR", branch)
    git(repo, "branch", "-D", branch)
    merged_main = git(repo, "rev-parse", "main")

    new_plan = {"steps": [{"name": "mul", "description": "multiplication", "task_plan": MUL}]}
    submit = json.dumps(
        {"makima": ["directive", "submit-plan"], "stdin": json.dumps(new_plan), "check": True}
    )
    response = stack.patch(
        f"/api/v1/directives/{directive_id}",
        json={"goal": "Also multiply.\n\n" + script(submit)},
    )
    assert response.status_code == 200, response.text
    second = wait_pr_updates(stack, directive_id, 1)
    # The new step and the new round started from main (the directive branch was gone),
    # and the directive branch was made again on top of the merged main.
    git(repo, "merge-base", "--is-ancestor", merged_main, second["head_commit"])
    assert {"calc/sub.py", "calc/mul.py"} <= files_on(repo, branch)
    [new_step] = [t for t in tasks(stack, directive_id)
                  if t["kind"] == "execute" and t["generation"] == 1]
    assert new_step["base_ref"] == branch  # asked for the directive branch, fell back to main
    assert second["diff_stats"]["files_changed"] == 2  # only mul's files differ from main
