"""Steps and plans over HTTP: add, batch, whole plans with removals, remove; every refusal
names the step and the reason, and writes nothing."""

from __future__ import annotations

import concurrent.futures
import uuid
from typing import Any

import httpx
import pytest

from orchestrator.dag import PlanLimits
from orchestrator.db import get_session_factory
from orchestrator.repository.directives import get_directive
from orchestrator.repository.steps import submit_steps
from schemas.plans import StepSpec
from schemas.statuses import StepStatus
from tests.integration.api.conftest import MakeDirective, move_step, table_counts

S = StepStatus


def names(steps: list[dict[str, Any]]) -> list[str]:
    return [s["name"] for s in steps]


def test_add_one_step_and_a_batch(client: httpx.Client, make_directive: MakeDirective) -> None:
    did = make_directive()["directive"]["id"]
    one = client.post(
        f"/api/v1/directives/{did}/steps",
        json={"name": "  base  ", "description": "d", "task_plan": "t", "order_index": 2},
    )
    assert one.status_code == 201, one.text
    base = one.json()
    assert (base["name"], base["status"], base["order_index"]) == ("base", "pending", 2)
    batch = client.post(
        f"/api/v1/directives/{did}/steps/batch",
        json={
            "steps": [
                {"name": "a", "depends_on": ["base"]},
                {"name": "b", "depends_on": ["a", base["id"]]},
            ]
        },
    )
    assert batch.status_code == 201, batch.text
    a, b = batch.json()
    assert a["depends_on"] == [base["id"]]
    assert b["depends_on"] == [a["id"], base["id"]]
    listed = client.get(f"/api/v1/directives/{did}/steps").json()
    assert names(listed) == ["a", "b", "base"]  # generation, order_index, created
    events = client.get(f"/api/v1/directives/{did}/events", params={"type": "step_added"}).json()[
        "events"
    ]
    assert [e["data"]["name"] for e in events] == ["base", "a", "b"]


def test_submit_plan_with_removals(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    detail = make_directive(
        plan=[{"name": "keep"}, {"name": "drop"}, {"name": "broken"}, {"name": "done"}]
    )
    did = detail["directive"]["id"]
    ids = {s["name"]: s["id"] for s in detail["steps"]}
    move_step(database_url, ids["broken"], S.READY, S.RUNNING, S.FAILED)
    move_step(database_url, ids["done"], S.READY, S.RUNNING, S.EVALUATING, S.PASSED)

    response = client.post(
        f"/api/v1/directives/{did}/plan",
        json={
            "steps": [{"name": "drop", "depends_on": ["keep", "done"]}, {"name": "new"}],
            "remove": ["drop", ids["broken"]],
        },
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert names(added) == ["drop", "new"]
    assert added[0]["depends_on"] == [ids["keep"], ids["done"]]

    all_steps = client.get(
        f"/api/v1/directives/{did}/steps", params={"include_removed": True}
    ).json()
    statuses = sorted((s["name"], s["status"]) for s in all_steps)
    assert statuses == [
        ("broken", "removed"),
        ("done", "passed"),
        ("drop", "pending"),
        ("drop", "removed"),
        ("keep", "pending"),
        ("new", "pending"),
    ]
    plan_events = client.get(
        f"/api/v1/directives/{did}/events", params={"type": "plan_submitted"}
    ).json()["events"]
    assert plan_events[-1]["data"]["added"] == ["drop", "new"]
    assert sorted(plan_events[-1]["data"]["removed"]) == ["broken", "drop"]
    shown = client.get(f"/api/v1/directives/{did}").json()
    assert "broken" not in names(shown["steps"])


def test_remove_step_rules(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    detail = make_directive(plan=[{"name": "p"}, {"name": "r"}, {"name": "w"}, {"name": "ok"}])
    did = detail["directive"]["id"]
    ids = {s["name"]: s["id"] for s in detail["steps"]}
    move_step(database_url, ids["r"], S.READY, S.RUNNING)
    move_step(database_url, ids["w"], S.READY, S.RUNNING, S.EVALUATING, S.AWAITING_APPROVAL)
    move_step(database_url, ids["ok"], S.READY, S.RUNNING, S.EVALUATING, S.PASSED)

    removed = client.delete(f"/api/v1/directives/{did}/steps/{ids['p']}")
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    for name, status in (
        ("r", "running"),
        ("w", "awaiting_approval"),
        ("ok", "passed"),
        ("p", "removed"),
    ):
        refused = client.delete(f"/api/v1/directives/{did}/steps/{ids[name]}")
        assert refused.status_code == 409, name
        assert refused.json()["detail"].startswith(f"step {name!r} is {status}; only ")
    unknown = client.delete(f"/api/v1/directives/{did}/steps/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404 and unknown.json()["field"] == "step_id"
    # A removed step's name is free again.
    again = client.post(f"/api/v1/directives/{did}/steps", json={"name": "p"})
    assert again.status_code == 201


REFUSALS: list[tuple[str, dict[str, Any], list[tuple[str | None, str, str]]]] = [
    (
        "unknown dependency",
        {"steps": [{"name": "a", "depends_on": ["ghost"]}]},
        [("a", "depends_on", "unknown dependency 'ghost'")],
    ),
    (
        "self dependency",
        {"steps": [{"name": "a", "depends_on": ["a"]}]},
        [("a", "depends_on", "a step cannot depend on itself")],
    ),
    (
        "duplicate names",
        {"steps": [{"name": "a"}, {"name": "a"}]},
        [("a", "name", "duplicate name in this plan")],
    ),
    (
        "name of an existing step",
        {"steps": [{"name": "existing"}]},
        [("existing", "name", "a step with this name already exists")],
    ),
    ("empty plan", {"steps": []}, [(None, "steps", "the plan is empty")]),
    (
        "too many steps",
        {"steps": [{"name": f"s{i}"} for i in range(100)]},
        [(None, "steps", "100 new + 1 existing steps exceed the limit of 100")],
    ),
    (
        "too-long text",
        {"steps": [{"name": "big", "task_plan": "x" * 20_001}]},
        [("big", "task_plan", "longer than 20000 characters")],
    ),
    (
        "too-long name",
        {"steps": [{"name": "n" * 201}]},
        [("n" * 60, "name", "longer than 200 characters")],
    ),
    (
        "removing a running step",
        {"steps": [{"name": "x"}], "remove": ["existing"]},
        [("existing", "remove", "a running step cannot be removed")],
    ),
    (
        "unknown order",
        {"steps": [{"name": "x", "order_ids": ["00000000-0000-0000-0000-000000000001"]}]},
        [("x", "order_ids", "unknown order 00000000-0000-0000-0000-000000000001")],
    ),
]


@pytest.mark.parametrize(("case", "body", "expected"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_plan_refusals_name_step_and_reason_and_write_nothing(
    client: httpx.Client,
    make_directive: MakeDirective,
    database_url: str,
    case: str,
    body: dict[str, Any],
    expected: list[tuple[str | None, str, str]],
) -> None:
    detail = make_directive(plan=[{"name": "existing"}])
    did = detail["directive"]["id"]
    move_step(database_url, detail["steps"][0]["id"], S.READY, S.RUNNING)
    before = table_counts(database_url)

    response = client.post(f"/api/v1/directives/{did}/plan", json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid_plan" and answer["field"] == "steps"
    assert [(p["step"], p["field"], p["reason"]) for p in answer["problems"]] == expected
    for step, _field, reason in expected:
        assert reason in answer["detail"]
        if step is not None:
            assert repr(step) in answer["detail"]
    assert table_counts(database_url) == before


def test_every_problem_is_listed_at_once(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive()["directive"]["id"]
    response = client.post(
        f"/api/v1/directives/{did}/steps/batch",
        json={
            "steps": [{"name": "a", "depends_on": ["ghost"]}, {"name": "b", "depends_on": ["b"]}]
        },
    )
    assert response.status_code == 422
    assert [(p["step"], p["reason"]) for p in response.json()["problems"]] == [
        ("a", "unknown dependency 'ghost'"),
        ("b", "a step cannot depend on itself"),
    ]


def test_cycle_refused_on_create_writes_no_directive(
    client: httpx.Client, database_url: str
) -> None:
    before = table_counts(database_url)
    response = client.post(
        "/api/v1/directives",
        json={
            "title": "t",
            "goal": "g",
            "repository": "/r",
            "plan": [
                {"name": "a", "depends_on": ["c"]},
                {"name": "b", "depends_on": ["a"]},
                {"name": "c", "depends_on": ["b"]},
            ],
        },
    )
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["field"] == "depends_on" and problem["reason"].startswith("cycle: ")
    assert problem["step"] in {"a", "b", "c"}
    assert table_counts(database_url) == before


def test_body_shape_errors_name_the_field_path(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive()["directive"]["id"]
    response = client.post(
        f"/api/v1/directives/{did}/plan", json={"steps": [{"name": "a"}, {"name": ""}]}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "steps[1].name"
    assert "at least 1 character" in response.json()["detail"]


def test_stopped_directive_takes_no_steps(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive()["directive"]["id"]
    assert client.post(f"/api/v1/directives/{did}/stop").status_code == 200
    response = client.post(f"/api/v1/directives/{did}/steps", json={"name": "late"})
    assert response.status_code == 409
    assert "stopped; it takes no new steps" in response.json()["detail"]


def test_plan_submission_waits_for_the_directive_row_lock(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    """Two submissions cannot both pass the duplicate-name check: each holds the row lock.

    The test holds the lock itself and shows the request waits, then sees the first write.
    """
    detail = make_directive()
    did = detail["directive"]["id"]
    session = get_session_factory(database_url)()
    try:
        directive = get_directive(
            session,
            owner_id=uuid.UUID(_owner_id(client)),
            directive_id=uuid.UUID(did),
            for_update=True,
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                client.post, f"/api/v1/directives/{did}/plan", json={"steps": [{"name": "same"}]}
            )
            with pytest.raises(concurrent.futures.TimeoutError):
                pending.result(timeout=1.0)
            submit_steps(
                session,
                directive=directive,
                specs=[StepSpec(name="same")],
                limits=PlanLimits(),
                actor="test",
            )
            session.commit()
            response = pending.result(timeout=10)
    finally:
        session.close()
    assert response.status_code == 422
    assert response.json()["problems"][0]["reason"] == "a step with this name already exists"


def _owner_id(client: httpx.Client) -> str:
    owner_id: str = client.get("/api/v1/me").json()["owner_id"]
    return owner_id
