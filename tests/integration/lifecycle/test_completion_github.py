"""Completion through the GitHub forge: the orchestrator worker opens the PR on a local
GitHub REST API (tests/fakes/github_server.py) over TCP, stores the URL from its answer,
retries when GitHub is unavailable, and updates the same PR after a goal edit."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.fakes.github_server import FakeGitHub
from tests.integration.lifecycle.helpers import (
    create_directive,
    event_log,
    events,
    pull_request,
    start,
    wait_pr_updates,
    wait_status,
    write,
)
from tests.support.sample_repo import make_sample_repo, script


def test_github_forge_creates_then_updates_the_pull_request(
    stack: httpx.Client, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    repository = f"acme/calc-{uuid.uuid4().hex[:8]}"
    repo = make_sample_repo(tmp_path / "repo")
    plan = [{"name": "notes", "description": "write notes",
             "task_plan": script(write("NOTES.md", "notes\n"))}]
    directive_id = create_directive(
        stack, repo, plan, forge={"kind": "github", "repository": repository}
    )["directive"]["id"]
    fake_github.fail_next(1, 503)  # GitHub is down once: completion waits and retries
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    directive = final["directive"]
    assert directive["status"] == "completed", event_log(stack, directive_id)

    [pull] = fake_github.pulls(repository)
    assert (pull.head, pull.base, pull.title) == (directive["pr_branch"], "main", "Grow the calculator")
    assert "**notes**" in pull.body and "## Merge gate" in pull.body
    expected_url = f"{fake_github.html_url}/{repository}/pull/{pull.number}"
    assert directive["pr_url"] == expected_url
    record = pull_request(stack, directive_id)
    assert record is not None
    assert (record["forge"], record["repository"], record["number"], record["url"]) == (
        "github", repository, pull.number, expected_url
    )
    retry = [e for e in events(stack, directive_id) if "forge is unavailable" in e["message"]]
    assert len(retry) == 1 and retry[0]["severity"] == "warning"

    new_plan = {"steps": [{"name": "more-notes", "task_plan": script(
        write("MORE.md", "more\n"))}]}
    submit = json.dumps(
        {"makima": ["directive", "submit-plan"], "stdin": json.dumps(new_plan), "check": True}
    )
    response = stack.patch(
        f"/api/v1/directives/{directive_id}",
        json={"goal": "More notes.\n\n" + script(submit), "title": "Grow the notes"},
    )
    assert response.status_code == 200, response.text

    second = wait_pr_updates(stack, directive_id, 1)
    assert second["url"] == expected_url
    [pull] = fake_github.pulls(repository)
    assert pull.patches == 1 and pull.title == "Grow the notes"
    assert pull.head == directive["pr_branch"]  # the branch keeps its name after a retitle
    creates = [r for r in fake_github.requests_for("POST") if repository in r.path]
    assert len(creates) == 1
    updates = [r for r in fake_github.requests_for("PATCH") if repository in r.path]
    assert len(updates) == 1 and updates[0].json["base"] == "main"
    authorization = {r.headers["authorization"] for r in creates + updates}
    assert authorization == {f"Bearer {fake_github.token}"}
