"""A diamond DAG end to end on the real stack with the scripted runtime.

A → (B, C) → D: B and C run in parallel on the daemon's two slots; D starts from B's
branch with C's branch merged in by code, and sees both their files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from tests.integration.lifecycle.helpers import (
    action,
    create_directive,
    start,
    tasks,
    wait_status,
    write,
)
from tests.support.sample_repo import git, make_sample_repo, script


def _module(name: str, body: str) -> str:
    return write(f"calc/{name}.py", body)


def _test(name: str, body: str) -> str:
    return write(f"tests/test_{name}.py", body)


def test_diamond_runs_in_parallel_and_merges_dependencies(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [
        {
            "name": "A",
            "description": "multiply",
            "task_plan": script(
                _module("mul", "def mul(a: int, b: int) -> int:\n    return a * b\n"),
                _test(
                    "mul",
                    "from calc.mul import mul\n\n\ndef test_mul() -> None:\n    assert mul(2, 3) == 6\n",
                ),
                action(cost=0.01),
            ),
        },
        {
            "name": "B",
            "depends_on": ["A"],
            "task_plan": script(
                action(sleep=2),
                _module(
                    "square",
                    "from calc.mul import mul\n\n\ndef square(a: int) -> int:\n    return mul(a, a)\n",
                ),
                action(cost=0.01),
            ),
        },
        {
            "name": "C",
            "depends_on": ["A"],
            "task_plan": script(
                action(sleep=2),
                _module(
                    "cube",
                    "from calc.mul import mul\n\n\ndef cube(a: int) -> int:\n    return mul(mul(a, a), a)\n",
                ),
                action(cost=0.01),
            ),
        },
        {
            "name": "D",
            "depends_on": ["B", "C"],
            "task_plan": script(
                _test(
                    "powers",
                    "from calc.cube import cube\nfrom calc.square import square\n\n\n"
                    "def test_powers() -> None:\n    assert square(3) == 9\n    assert cube(2) == 8\n",
                ),
                action(cost=0.01),
            ),
        },
    ]
    directive = create_directive(stack, repo, plan)
    directive_id = directive["directive"]["id"]
    start(stack, directive_id)

    final = wait_status(stack, directive_id, {"completing", "completed", "paused", "failed"})
    assert final["directive"]["status"] in {"completing", "completed"}, final["directive"]
    steps = {s["name"]: s for s in final["steps"]}
    assert {s["status"] for s in steps.values()} == {"passed"}

    by_step = {t["step_id"]: t for t in tasks(stack, directive_id) if t["kind"] == "execute"}
    b, c, d = (by_step[steps[n]["id"]] for n in ("B", "C", "D"))
    # B and C overlapped in time: each started before the other finished.
    start_b, end_b = (
        datetime.fromisoformat(b["started_at"]),
        datetime.fromisoformat(b["finished_at"]),
    )
    start_c, end_c = (
        datetime.fromisoformat(c["started_at"]),
        datetime.fromisoformat(c["finished_at"]),
    )
    assert start_b < end_c and start_c < end_b
    # D started from B's branch with C's merged in, and its commit holds all their files.
    assert d["base_ref"] == steps["B"]["branch"]
    assert d["merge_refs"] == [steps["C"]["branch"]]
    files = git(repo, "ls-tree", "-r", "--name-only", steps["D"]["branch"]).splitlines()
    assert {"calc/mul.py", "calc/square.py", "calc/cube.py", "tests/test_powers.py"} <= set(files)
    # Every session's cost was added to the directive's total.
    assert float(final["directive"]["total_cost_usd"]) == 0.04
