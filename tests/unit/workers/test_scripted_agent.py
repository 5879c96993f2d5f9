"""The scripted agent: its script format, and the real subprocess speaking stream-json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workers.runtimes.scripted_agent import ScriptError, parse_script, resolve_inside


def script(*lines: str, before: str = "Please do this.\n") -> str:
    return before + "```makima-script\n" + "\n".join(lines) + "\n```\nThanks.\n"


def run_agent(cwd: Path, prompt: str, *args: str, attempt: int = 1,
              path_prefix: Path | None = None) -> tuple[int, list[dict[str, object]]]:
    env = {**os.environ, "MAKIMA_ATTEMPT": str(attempt)}
    if path_prefix is not None:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        [sys.executable, "-P", "-m", "workers.runtimes.scripted_agent", *args],
        cwd=cwd, input=prompt, capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_parse_reads_every_action_and_filter() -> None:
    actions = parse_script(script(
        '{"write": {"path": "a.txt", "content": "x"}}',
        "# a comment",
        "",
        '{"run": ["ls", "-l"], "check": true}',
        '{"makima": ["directive", "submit-plan"], "stdin": "{}"}',
        '{"sleep": 0.5}',
        '{"fail": "red", "when_attempt": [1]}',
        '{"say": "green", "from_attempt": 2}',
        '{"cost": 0.25}',
        '{"crash": true}',
        '{"append": {"path": "a.txt", "content": "y"}}',
    ))
    assert [a.name for a in actions] == ["write", "run", "makima", "sleep", "fail", "say",
                                         "cost", "crash", "append"]
    assert actions[1].options == {"check": True}
    assert actions[2].options == {"stdin": "{}"}
    assert actions[4].applies_to(1) and not actions[4].applies_to(2)
    assert not actions[5].applies_to(1) and actions[5].applies_to(3)


def test_only_the_first_block_counts() -> None:
    prompt = script('{"say": "first"}') + script('{"say": "second"}')
    assert [a.value for a in parse_script(prompt)] == ["first"]


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("no script here", "no ```makima-script block"),
        ("```makima-script\n{\"say\": \"x\"}\n", "not closed"),
        (script("not json"), "not JSON"),
        (script("[1]"), "JSON object"),
        (script('{"say": "a", "fail": "b"}'), "exactly one action"),
        (script('{"explode": 1}'), "exactly one action"),
        (script('{"say": "a", "check": true}'), "unknown key"),
        (script('{"run": "rm -rf /"}'), "invalid value"),
        (script('{"run": []}'), "invalid value"),
        (script('{"write": {"path": "a"}}'), "invalid value"),
        (script('{"sleep": -1}'), "invalid value"),
        (script('{"crash": "yes"}'), "invalid value"),
        (script('{"say": "a", "when_attempt": 1}'), "when_attempt"),
        (script('{"say": "a", "from_attempt": "2"}'), "from_attempt"),
    ],
)
def test_invalid_scripts_are_refused(prompt: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse_script(prompt)


@pytest.mark.parametrize("bad", ["../outside.txt", "/etc/passwd", "a/../../x", ".git/config",
                                 ".", "link/x"])
def test_paths_must_stay_inside_the_worktree(tmp_path: Path, bad: str) -> None:
    (tmp_path / "link").symlink_to("/tmp")
    with pytest.raises(ScriptError):
        resolve_inside(tmp_path, bad)
    assert resolve_inside(tmp_path, "src/../ok.txt") == (tmp_path / "ok.txt").resolve()


def test_agent_performs_the_script_and_speaks_stream_json(tmp_path: Path) -> None:
    code, lines = run_agent(tmp_path, script(
        '{"write": {"path": "src/a.txt", "content": "one\\n"}}',
        '{"append": {"path": "src/a.txt", "content": "two\\n"}}',
        '{"run": ["' + sys.executable + '", "-c", "print(open(\'src/a.txt\').read().upper())"]}',
        '{"cost": 0.1}',
        '{"cost": 0.05}',
        '{"say": "all good"}',
    ))
    assert code == 0
    assert (tmp_path / "src" / "a.txt").read_text() == "one\ntwo\n"
    assert lines[0]["type"] == "system" and lines[0]["subtype"] == "init"
    results = [b for line in lines if line["type"] == "user"
               for b in line["message"]["content"]]  # type: ignore[index]
    assert "ONE\nTWO" in results[2]["content"]
    final = lines[-1]
    assert final["type"] == "result" and final["is_error"] is False
    assert final["result"] == "all good"
    assert final["total_cost_usd"] == pytest.approx(0.15)
    assert len({line["session_id"] for line in lines}) == 1


def test_attempt_filters_let_attempt_two_fix_attempt_one(tmp_path: Path) -> None:
    prompt = script('{"fail": "tests red", "when_attempt": [1]}',
                    '{"write": {"path": "fix.txt", "content": "fixed"}, "from_attempt": 2}')
    code, lines = run_agent(tmp_path, prompt, attempt=1)
    assert code == 1 and lines[-1]["is_error"] is True and lines[-1]["result"] == "tests red"
    assert not (tmp_path / "fix.txt").exists()
    code, lines = run_agent(tmp_path, prompt, attempt=2)
    assert code == 0 and (tmp_path / "fix.txt").read_text() == "fixed"


def test_resume_keeps_the_session_id(tmp_path: Path) -> None:
    _, lines = run_agent(tmp_path, script('{"say": "x"}'), "--resume", "sess-42")
    assert {line["session_id"] for line in lines} == {"sess-42"}


def test_refused_path_and_missing_script_end_with_is_error(tmp_path: Path) -> None:
    code, lines = run_agent(tmp_path, script('{"write": {"path": "../x", "content": "x"}}'))
    assert code == 1 and "outside the worktree" in str(lines[-1]["result"])
    assert not (tmp_path.parent / "x").exists()
    code, lines = run_agent(tmp_path, "just words")
    assert code == 1 and lines[-1]["is_error"] is True


def test_failing_checked_command_fails_the_session(tmp_path: Path) -> None:
    code, lines = run_agent(tmp_path, script('{"run": ["false"], "check": true}',
                                             '{"write": {"path": "after", "content": ""}}'))
    assert code == 1 and lines[-1]["is_error"] is True
    assert not (tmp_path / "after").exists()


def test_crash_kills_the_agent_without_a_result(tmp_path: Path) -> None:
    code, lines = run_agent(tmp_path, script('{"crash": true}'))
    assert code == -9
    assert all(line["type"] != "result" for line in lines)


def test_makima_action_calls_the_makima_cli_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cli = bin_dir / "makima"
    cli.write_text("#!/bin/sh\necho \"args: $*\"\ncat > \"$PWD/stdin.txt\"\n")
    cli.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    code, lines = run_agent(
        work,
        script('{"makima": ["directive", "submit-plan", "--file", "-"], "stdin": "{\\"steps\\": []}"}'),
        path_prefix=bin_dir,
    )
    assert code == 0
    assert (work / "stdin.txt").read_text() == '{"steps": []}'
    outputs = [b["content"] for line in lines if line["type"] == "user"
               for b in line["message"]["content"]]  # type: ignore[index]
    assert "args: directive submit-plan --file -" in outputs[0]
