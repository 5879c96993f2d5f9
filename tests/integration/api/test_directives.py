"""Directives over HTTP: create, list, show, edit (with goal history), commands, delete."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.api.conftest import MakeDirective, directive_body

PLAN = [
    {"name": "scaffold", "task_plan": "Create the package."},
    {"name": "commands", "depends_on": ["scaffold"], "task_plan": "Add the commands."},
]


def test_create_draft_with_nested_settings(client: httpx.Client) -> None:
    body = directive_body(
        requirements=[" typer ", "tests"],
        budgets={"max_total_cost_usd": "7.5", "max_rework_cycles": 1},
        evaluation={"green_threshold": 0.9, "yellow_threshold": 0.6},
        agent={"runtime": "scripted", "pool": "gpu", "model": "m1"},
    )
    response = client.post("/api/v1/directives", json=body)
    assert response.status_code == 201, response.text
    detail = response.json()
    d = detail["directive"]
    assert d["status"] == "draft"
    assert d["requirements"] == ["typer", "tests"]
    assert d["max_total_cost_usd"] == "7.5000"
    assert (d["max_rework_cycles"], d["green_threshold"], d["yellow_threshold"]) == (1, 0.9, 0.6)
    assert (d["runtime"], d["pool"], d["model"]) == ("scripted", "gpu", "m1")
    assert detail["steps"] == [] and detail["goal_history"] == []
    assert detail["chain"] == {"generation": 0, "order": [], "ready": [], "live_tasks": []}


def test_create_with_plan_keeps_draft_and_resolves_dependencies(
    make_directive: MakeDirective,
) -> None:
    detail = make_directive(plan=PLAN)
    assert detail["directive"]["status"] == "draft"
    steps = {s["name"]: s for s in detail["steps"]}
    assert steps["commands"]["depends_on"] == [steps["scaffold"]["id"]]
    assert all(s["status"] == "pending" and s["generation"] == 0 for s in steps.values())
    assert detail["chain"]["order"] == [steps["scaffold"]["id"], steps["commands"]["id"]]
    assert detail["chain"]["ready"] == [steps["scaffold"]["id"]]


def test_get_and_list_with_status_filter(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    first = make_directive(title="one")["directive"]
    second = make_directive(title="two", plan=PLAN)["directive"]
    assert client.post(f"/api/v1/directives/{second['id']}/start").status_code == 200

    listed = client.get("/api/v1/directives").json()
    assert [d["title"] for d in listed] == ["two", "one"]
    drafts = client.get("/api/v1/directives", params={"status": "draft"}).json()
    assert [d["id"] for d in drafts] == [first["id"]]
    both = client.get("/api/v1/directives", params=[("status", "draft"), ("status", "active")])
    assert len(both.json()) == 2
    page = client.get("/api/v1/directives", params={"limit": 1, "offset": 1}).json()
    assert [d["title"] for d in page] == ["one"]
    shown = client.get(f"/api/v1/directives/{first['id']}").json()
    assert shown["directive"]["title"] == "one"

    bad = client.get("/api/v1/directives", params={"status": "sleeping"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "status[0]" and "draft" in bad.json()["detail"]


def test_update_fields_and_goal_history(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    d = make_directive()["directive"]
    response = client.patch(
        f"/api/v1/directives/{d['id']}",
        json={
            "title": "Renamed",
            "goal": "A better goal.",
            "budgets": {"max_wall_seconds": 600},
            "evaluation": {"yellow_threshold": 0.7},
            "agent": {"model": "big"},
        },
    )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["directive"]["title"] == "Renamed"
    assert detail["directive"]["goal"] == "A better goal."
    assert detail["directive"]["max_wall_seconds"] == 600
    assert detail["directive"]["yellow_threshold"] == 0.7
    assert detail["directive"]["model"] == "big"
    assert [g["goal"] for g in detail["goal_history"]] == ["Give the tool a command line."]

    events = client.get(
        f"/api/v1/directives/{d['id']}/events", params={"type": "directive_updated"}
    ).json()["events"]
    assert len(events) == 1
    assert events[0]["data"]["fields"] == [
        "agent.model",
        "budgets.max_wall_seconds",
        "evaluation.yellow_threshold",
        "title",
        "goal",
    ]
    # A second identical patch changes nothing and records nothing.
    client.patch(f"/api/v1/directives/{d['id']}", json={"title": "Renamed"})
    again = client.get(
        f"/api/v1/directives/{d['id']}/events", params={"type": "directive_updated"}
    ).json()["events"]
    assert len(again) == 1
    # An explicit null clears a nullable setting.
    cleared = client.patch(f"/api/v1/directives/{d['id']}", json={"agent": {"model": None}})
    assert cleared.json()["directive"]["model"] is None


def test_update_refusals_name_the_field(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    d = make_directive()["directive"]
    url = f"/api/v1/directives/{d['id']}"

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        response = client.patch(url, json=body)
        assert response.status_code == 422, response.text
        answer: dict[str, Any] = response.json()
        assert answer["error"] == "invalid"
        return answer

    crossed = refused({"evaluation": {"yellow_threshold": 0.95}})
    assert crossed["field"] == "evaluation.yellow_threshold"
    assert "green_threshold (0.8) must be >= yellow_threshold (0.95)" in crossed["detail"]
    assert refused({"budgets": {"max_rework_cycles": None}})["field"] == "budgets.max_rework_cycles"
    assert refused({"goal": "   "})["field"] == "goal"
    assert refused({"title": ""})["field"] == "title"
    assert refused({"requirements": ["ok", " "]})["field"] == "requirements"
    assert refused({"colour": "red"})["field"] == "colour"
    after = client.get(url).json()
    assert after["directive"]["yellow_threshold"] == 0.5 and after["goal_history"] == []


def test_start_without_plan_plans_and_with_plan_activates(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    bare = make_directive()["directive"]
    planned = make_directive(plan=PLAN)["directive"]
    started = client.post(f"/api/v1/directives/{bare['id']}/start")
    assert started.status_code == 200 and started.json()["status"] == "planning"
    assert started.json()["started_at"] is not None
    active = client.post(f"/api/v1/directives/{planned['id']}/start")
    assert active.json()["status"] == "active"
    again = client.post(f"/api/v1/directives/{planned['id']}/start")
    assert again.status_code == 409
    assert again.json() == {
        "error": "conflict",
        "detail": "only a draft directive can be started; this one is active",
        "field": "status",
    }


def test_pause_resume_stop_and_delete_rules(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    d = make_directive(plan=PLAN)["directive"]
    url = f"/api/v1/directives/{d['id']}"
    assert client.post(f"{url}/pause").status_code == 409  # a draft cannot pause
    assert client.post(f"{url}/resume").status_code == 409
    assert client.post(f"{url}/start").status_code == 200
    delete_live = client.delete(url)
    assert delete_live.status_code == 409
    assert "only a draft or stopped directive can be deleted" in delete_live.json()["detail"]

    paused = client.post(f"{url}/pause", json={"reason": "lunch"})
    assert paused.json()["status"] == "paused" and paused.json()["status_reason"] == "lunch"
    assert client.post(f"{url}/pause").status_code == 409
    assert client.post(f"{url}/resume").json()["status"] == "active"
    blank = client.post(f"{url}/pause", json={"reason": "  "})
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert client.post(f"{url}/pause").json()["status_reason"] == "paused by a person"
    assert client.post(f"{url}/stop").json()["status"] == "stopped"
    assert client.post(f"{url}/stop").status_code == 409
    assert client.post(f"{url}/resume").status_code == 409

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_delete_draft(client: httpx.Client, make_directive: MakeDirective) -> None:
    d = make_directive(plan=PLAN)["directive"]
    assert client.delete(f"/api/v1/directives/{d['id']}").status_code == 204
    assert client.get("/api/v1/directives").json() == []


def test_another_owners_directive_is_404_everywhere(
    client: httpx.Client, other_client: httpx.Client, make_directive: MakeDirective
) -> None:
    d = make_directive(plan=PLAN)
    did = d["directive"]["id"]
    step_id = d["steps"][0]["id"]
    assert other_client.get("/api/v1/directives").json() == []
    calls = [
        ("GET", f"/api/v1/directives/{did}", None),
        ("PATCH", f"/api/v1/directives/{did}", {"title": "mine"}),
        ("DELETE", f"/api/v1/directives/{did}", None),
        ("POST", f"/api/v1/directives/{did}/start", None),
        ("POST", f"/api/v1/directives/{did}/stop", None),
        ("GET", f"/api/v1/directives/{did}/steps", None),
        ("POST", f"/api/v1/directives/{did}/steps", {"name": "x"}),
        ("POST", f"/api/v1/directives/{did}/plan", {"steps": [{"name": "x"}]}),
        ("DELETE", f"/api/v1/directives/{did}/steps/{step_id}", None),
        ("GET", f"/api/v1/directives/{did}/events", None),
        ("GET", f"/api/v1/directives/{did}/events/stream", None),
        ("GET", f"/api/v1/directives/{did}/tasks", None),
        ("POST", f"/api/v1/directives/{did}/orders/link", {"order_ids": [step_id]}),
    ]
    for method, path, body in calls:
        response = other_client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "not_found"
    assert client.get(f"/api/v1/directives/{did}").json()["directive"]["title"] == "Add a CLI"


def test_unknown_directive_id_and_malformed_id(client: httpx.Client) -> None:
    missing = client.get("/api/v1/directives/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["field"] == "directive_id"
    malformed = client.get("/api/v1/directives/not-a-uuid")
    assert malformed.status_code == 422 and malformed.json()["field"] == "directive_id"


def test_create_refusals_name_the_field(client: httpx.Client) -> None:
    cases = {
        "title": directive_body(title=""),
        "base_branch": directive_body(base_branch="../evil"),
        "evaluation": directive_body(evaluation={"green_threshold": 0.2}),
        "budgets.max_wall_seconds": directive_body(budgets={"max_wall_seconds": 5}),
        "repository": {"title": "t", "goal": "g"},
    }
    for field, body in cases.items():
        response = client.post("/api/v1/directives", json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["field"] == field, response.json()
        assert response.json()["detail"].startswith(field)
    assert client.get("/api/v1/directives").json() == []


def test_malformed_json_is_a_clear_422(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/directives", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert "JSON" in response.json()["detail"]
