"""Runtimes: the scripted one end to end as a real subprocess, the claude command line."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from schemas.enums import ErrorKind
from workers.config import DaemonSettings
from workers.processes import StopReason, StopSignal
from workers.runtimes import RUNTIMES, build_runtimes
from workers.runtimes.base import AgentEvent, AgentRequest
from workers.runtimes.claude import ClaudeRuntime, prepare_resume, project_dir
from workers.runtimes.scripted import ScriptedRuntime


def request(cwd: Path, prompt: str, **fields: object) -> AgentRequest:
    values: dict[str, object] = {"task_id": uuid.uuid4(), "attempt": 1, "prompt": prompt,
                                 "cwd": cwd, "env": dict(os.environ)}
    values.update(fields)
    return AgentRequest(**values)  # type: ignore[arg-type]


def script(*lines: str) -> str:
    return "```makima-script\n" + "\n".join(lines) + "\n```\n"


def test_scripted_session_reports_events_cost_and_session(tmp_path: Path) -> None:
    events: list[AgentEvent] = []
    pids: list[int] = []
    outcome = ScriptedRuntime(1).run(
        request(tmp_path, script('{"write": {"path": "a.txt", "content": "x"}}',
                                 '{"cost": 0.5}', '{"say": "bye"}'), on_process=pids.append),
        events.append, StopSignal())
    assert outcome.succeeded, outcome
    assert (outcome.cost_usd, outcome.result_text, outcome.exit_code) == (0.5, "bye", 0)
    assert outcome.session_id is not None
    assert [e.kind for e in events] == ["system", "tool_use", "tool_result", "result"]
    assert len(pids) == 1
    assert (tmp_path / "a.txt").read_text() == "x"


def test_scripted_fail_is_a_script_error(tmp_path: Path) -> None:
    outcome = ScriptedRuntime(1).run(request(tmp_path, script('{"fail": "red tests"}')),
                                     lambda e: None, StopSignal())
    assert outcome.error_kind == ErrorKind.SCRIPT and outcome.error_detail == "red tests"


def test_scripted_crash_is_an_agent_crash(tmp_path: Path) -> None:
    outcome = ScriptedRuntime(1).run(request(tmp_path, script('{"crash": true}')),
                                     lambda e: None, StopSignal())
    assert outcome.error_kind == ErrorKind.AGENT_CRASH and outcome.exit_code == -9


def test_stop_kills_the_agent_and_everything_it_started(tmp_path: Path) -> None:
    # The agent starts a background grandchild that would write a file 2 s later.
    grandchild = "import time; time.sleep(2); open('grandchild-survived', 'w').write('x')"
    prompt = script(
        json.dumps({"write": {"path": "bg.py", "content": grandchild}}),
        json.dumps({"run": ["sh", "-c", f"{sys.executable} bg.py &"]}),
        '{"sleep": 30}',
    )
    stop = StopSignal()
    threading.Timer(1.0, stop.stop, args=(StopReason.CANCELLED,)).start()
    started = time.monotonic()
    outcome = ScriptedRuntime(2).run(request(tmp_path, prompt), lambda e: None, stop)
    assert time.monotonic() - started < 6
    assert outcome.error_kind == ErrorKind.CANCELLED and outcome.stopped == StopReason.CANCELLED
    time.sleep(2.5)
    assert not (tmp_path / "grandchild-survived").exists()


def test_missing_executable_is_a_crash_not_an_exception(tmp_path: Path) -> None:
    runtime = ClaudeRuntime(claude_path=None, home=tmp_path / "home", kill_grace_seconds=1)
    runtime.claude_path = str(tmp_path / "gone")
    assert not runtime.is_available()


def test_claude_command_line_and_environment(tmp_path: Path) -> None:
    fake = tmp_path / "claude"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    runtime = ClaudeRuntime(claude_path=str(fake), home=tmp_path / "home", kill_grace_seconds=1,
                            default_model="sonnet", default_max_turns=30)
    command = runtime.command(request(tmp_path, "the prompt", system_prompt="be brief",
                                      max_turns=5, scratch_dir=tmp_path / "scratch"))
    assert command.argv == [str(fake), "-p", "--output-format", "stream-json", "--verbose",
                            "--permission-mode", "bypassPermissions", "--model", "sonnet",
                            "--max-turns", "5", "--append-system-prompt", "be brief"]
    assert command.stdin_text == "the prompt"
    assert command.env["HOME"] == str(tmp_path / "home")
    assert command.env["DISABLE_TELEMETRY"] == "1"
    assert command.env["CLAUDE_CODE_TMPDIR"] == str(tmp_path / "scratch")
    if os.geteuid() == 0:
        assert command.env["IS_SANDBOX"] == "1"


def test_resume_uses_the_session_when_this_home_knows_it(tmp_path: Path) -> None:
    home, old_cwd, new_cwd = tmp_path / "home", tmp_path / "w1", tmp_path / "w2"
    session = project_dir(home, old_cwd) / "abc-123.jsonl"
    session.parent.mkdir(parents=True)
    session.write_text("{}\n")
    assert prepare_resume(home, "abc-123", old_cwd)
    assert prepare_resume(home, "abc-123", new_cwd)  # copied next to the new cwd
    assert (project_dir(home, new_cwd) / "abc-123.jsonl").read_text() == "{}\n"
    assert not prepare_resume(home, "unknown", new_cwd)
    assert not prepare_resume(home, "../../etc/passwd", new_cwd)
    fake = tmp_path / "claude"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    runtime = ClaudeRuntime(claude_path=str(fake), home=home, kill_grace_seconds=1)
    known = runtime.command(request(new_cwd, "p", resume_session_id="abc-123"))
    assert known.argv[-2:] == ["--resume", "abc-123"] and known.notes == ()
    unknown = runtime.command(request(new_cwd, "p", resume_session_id="zzz"))
    assert "--resume" not in unknown.argv
    assert "unknown on this daemon" in unknown.notes[0].text


def test_registry_respects_the_allowed_list(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAKIMA_DAEMON_RUNTIMES", "scripted, nosuch")
    settings = DaemonSettings(work_dir=tmp_path)
    assert settings.runtimes == ("scripted", "nosuch")
    assert set(build_runtimes(settings)) == {"scripted"}
    assert set(RUNTIMES) >= {"claude", "scripted"}
    everything = DaemonSettings(work_dir=tmp_path, runtimes=(),
                                claude_path=str(tmp_path / "missing-claude"))
    assert set(build_runtimes(everything)) == {"scripted"}  # claude is not installed there
