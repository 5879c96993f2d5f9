"""The real Claude Code CLI, run by a real daemon, against the fake Anthropic API.

The CLI must be installed (MAKIMA_CLAUDE_PATH, PATH, or /tmp/cc); without it these tests
fail through the `claude_path` fixture instead of skipping.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from schemas.enums import ErrorKind
from schemas.statuses import TaskStatus
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.integration.daemon.support import (
    DaemonProcess,
    Publisher,
    UpdateCollector,
    make_task,
)
from tests.support.gitrepo import files_on, read_file


def instruction(marker: str, **fake: Any) -> str:
    """A prompt with a unique marker and the fake model's instruction line."""
    return f"Task {marker}: do what the model is told.\nfake-model: {json.dumps(fake)}\n"


def test_claude_writes_a_file_that_ends_up_on_the_step_branch(
    claude_path: str, daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    fake_anthropic: FakeAnthropicServer, origin: Path,
) -> None:
    marker = uuid.uuid4().hex
    prompt = instruction(marker, tools=[{"write": {"path": "hello.txt", "content": "hi from claude\n"}},
                                        {"bash": "printf 'bash too' > bash.txt"}],
                         say="All written.")
    task = make_task(origin, prompt, runtime="claude", system_prompt="Be terse.", max_turns=10)
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id, timeout=90)
    assert finished.status == TaskStatus.DONE, finished
    assert finished.result_text == "All written."
    assert finished.cost_usd > 0
    assert finished.turns >= 2
    assert finished.session_id is not None and len(finished.session_id) >= 32
    assert finished.changed is True
    assert read_file(origin, task.branch, "hello.txt") == "hi from claude"
    assert read_file(origin, task.branch, "bash.txt") == "bash too"
    kinds = [e.kind for e in collector.output_events(task.task_id)]
    assert kinds[0] == "system" and kinds[-1] == "result"
    assert kinds.count("tool_use") == 2 and kinds.count("tool_result") == 2
    requests = fake_anthropic.requests_mentioning(marker)
    assert requests and all("Be terse." in json.dumps(r.get("system")) for r in requests)


def test_an_api_error_is_a_failed_session(
    claude_path: str, daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    origin: Path,
) -> None:
    task = make_task(origin, instruction(uuid.uuid4().hex, error=400), runtime="claude")
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id, timeout=90)
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED, ErrorKind.AGENT_ERROR)
    assert finished.error_detail is not None and "400" in finished.error_detail
    assert finished.changed is False
    assert finished.branch == task.branch  # pushed at the base commit all the same


def test_a_session_over_its_time_limit_is_timed_out_with_its_work_pushed(
    claude_path: str, daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    origin: Path,
) -> None:
    # The first tool runs at once; the model then "thinks" for 60 s, past the 4 s limit.
    prompt = instruction(uuid.uuid4().hex, tools=[{"bash": "printf partial > partial.txt"},
                                                  {"bash": "printf never > never.txt"}],
                         delay=60)
    task = make_task(origin, prompt, runtime="claude", timeout_seconds=4)
    publisher.publish(task)
    started = time.monotonic()
    finished = collector.wait_finished(task.task_id, timeout=60)
    assert time.monotonic() - started < 20
    assert (finished.status, finished.error_kind) == (TaskStatus.TIMED_OUT, ErrorKind.TIMEOUT)
    assert read_file(origin, task.branch, "partial.txt") == "partial"
    assert "never.txt" not in files_on(origin, task.branch)


def test_resume_continues_the_same_session(
    claude_path: str, daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    fake_anthropic: FakeAnthropicServer, origin: Path,
) -> None:
    first_marker, second_marker = uuid.uuid4().hex, uuid.uuid4().hex
    first = make_task(origin, instruction(first_marker, tools=[{"bash": "printf 1 > one.txt"}],
                                          say="first done"), runtime="claude")
    publisher.publish(first)
    one = collector.wait_finished(first.task_id, timeout=90)
    assert one.status == TaskStatus.DONE, one
    assert one.session_id is not None

    second = make_task(
        origin,
        instruction(second_marker, tools=[{"bash": "printf 2 > two.txt"}], say="second done"),
        runtime="claude", attempt=2, step_id=first.step_id, step_name=first.step_name,
        base_ref=first.branch, resume_session_id=one.session_id,
    )
    publisher.publish(second)
    two = collector.wait_finished(second.task_id, timeout=90)
    assert two.status == TaskStatus.DONE, two
    assert two.session_id == one.session_id
    assert not [e for e in collector.output_events(second.task_id)
                if e.data.get("subtype") == "resume_unavailable"]
    # The model saw the earlier conversation: the second session's requests carry both.
    resumed = fake_anthropic.requests_mentioning(second_marker)
    assert resumed and all(first_marker in json.dumps(r["messages"]) for r in resumed
                           if r.get("tools"))
    assert {"one.txt", "two.txt"} <= files_on(origin, first.branch)
