"""A deterministic stand-in for a coding agent, for demos and tests.

Run as `python -P -m workers.runtimes.scripted_agent [--resume SESSION] [--model NAME]` with
the prompt on stdin and the worktree as working directory. It speaks Claude Code's
stream-json on stdout (an `init` line, one assistant `tool_use` and one user `tool_result`
line per action, a final `result` line), so the daemon parses, stops and judges it exactly
like the real CLI.

It performs the actions of the FIRST fenced `makima-script` block of the prompt, and nothing
else. One JSON object per line; blank lines and lines starting with `#` are ignored:

    ```makima-script
    {"write": {"path": "src/app.py", "content": "print('hi')\\n"}}
    {"append": {"path": "NOTES.md", "content": "more\\n"}}
    {"run": ["python", "-m", "pytest", "-q"], "check": true}
    {"makima": ["directive", "submit-plan", "--file", "-"], "stdin": "{...}"}
    {"sleep": 2.5}
    {"cost": 0.12}
    {"say": "done"}
    {"fail": "tests still red", "when_attempt": [1]}
    {"crash": true}
    ```

- `write` / `append`: create or extend a file. `path` is relative and must resolve inside
  the worktree (`..`, absolute paths, symlinks out and `.git/` are refused).
- `run`: an argument list (never a shell string) run in the worktree; its exit code and
  output are reported. With `"check": true` a non-zero exit fails the session. Optional
  `"stdin"`.
- `makima`: like `run`, for the makima CLI (the `makima` found on PATH, else next to the
  Python running this agent). The agent's environment carries MAKIMA_URL, MAKIMA_API_KEY
  and the directive, step and task ids.
- `sleep`: seconds. `cost`: adds to the reported `total_cost_usd`. `say`: the final result
  text (the last one wins). `fail`: ends the session with `is_error` and that reason.
  `crash`: the agent kills itself with SIGKILL (no result line).
- Filters on any action: `"when_attempt": [1, 2]` runs it only on those attempts,
  `"from_attempt": 2` only from that attempt on (attempt = env MAKIMA_ATTEMPT, default 1).

A prompt without a script block, or with an invalid line, ends at once with `is_error`
(the daemon reports ErrorKind.SCRIPT) before any action runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FENCE_OPEN = "```makima-script"
FENCE_CLOSE = "```"
ACTIONS = ("write", "append", "run", "makima", "sleep", "fail", "crash", "cost", "say")
OPTIONS = {"run": {"check", "stdin"}, "makima": {"check", "stdin"}}
FILTERS = {"when_attempt", "from_attempt"}
OUTPUT_TAIL = 4000


class ScriptError(Exception):
    """The script is missing or invalid, or an action was refused."""


class _Failed(ScriptError):
    """A `fail` action: the session ends with is_error and the given reason."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Action:
    name: str
    value: Any
    line: int
    options: dict[str, Any] = field(default_factory=dict)
    when_attempt: frozenset[int] | None = None
    from_attempt: int | None = None

    def applies_to(self, attempt: int) -> bool:
        if self.when_attempt is not None and attempt not in self.when_attempt:
            return False
        return self.from_attempt is None or attempt >= self.from_attempt


def extract_script(prompt: str) -> list[tuple[int, str]]:
    """The (line number, text) pairs inside the first makima-script fence."""
    lines = prompt.splitlines()
    for start, line in enumerate(lines):
        if line.strip() == FENCE_OPEN:
            body: list[tuple[int, str]] = []
            for number in range(start + 1, len(lines)):
                if lines[number].strip() == FENCE_CLOSE:
                    return body
                body.append((number + 1, lines[number]))
            raise ScriptError(f"the makima-script block opened on line {start + 1} is not closed")
    raise ScriptError("the prompt has no ```makima-script block")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _is_file_edit(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"path", "content"}
            and isinstance(value["path"], str) and bool(value["path"])
            and isinstance(value["content"], str))


def _is_argv(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(a, str) for a in value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_true(value: Any) -> bool:
    return value is True


_VALUE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "write": _is_file_edit, "append": _is_file_edit, "run": _is_argv, "makima": _is_argv,
    "sleep": _is_number, "cost": _is_number, "fail": _is_text, "say": _is_text,
    "crash": _is_true,
}


def parse_action(text: str, line: int) -> Action:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptError(f"line {line}: not JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise ScriptError(f"line {line}: each line must be a JSON object")
    names = [key for key in obj if key in ACTIONS]
    if len(names) != 1:
        raise ScriptError(f"line {line}: expected exactly one action of {', '.join(ACTIONS)}")
    name = names[0]
    unknown = set(obj) - {name} - FILTERS - OPTIONS.get(name, set())
    if unknown:
        raise ScriptError(f"line {line}: unknown key(s) {sorted(unknown)} for {name!r}")
    if not _VALUE_CHECKS[name](obj[name]):
        raise ScriptError(f"line {line}: invalid value for {name!r}: {json.dumps(obj[name])[:200]}")
    when = obj.get("when_attempt")
    if when is not None and not (
        isinstance(when, list) and all(isinstance(a, int) and not isinstance(a, bool)
                                       for a in when)
    ):
        raise ScriptError(f"line {line}: when_attempt must be a list of attempt numbers")
    since = obj.get("from_attempt")
    if since is not None and not (isinstance(since, int) and not isinstance(since, bool)):
        raise ScriptError(f"line {line}: from_attempt must be an attempt number")
    if "stdin" in obj and not isinstance(obj["stdin"], str):
        raise ScriptError(f"line {line}: stdin must be a string")
    if "check" in obj and not isinstance(obj["check"], bool):
        raise ScriptError(f"line {line}: check must be true or false")
    options = {key: obj[key] for key in OPTIONS.get(name, set()) if key in obj}
    return Action(name, obj[name], line, options,
                  frozenset(when) if when is not None else None, since)


def parse_script(prompt: str) -> list[Action]:
    """Every action of the prompt's script, validated before any of them runs."""
    return [
        parse_action(text.strip(), line)
        for line, text in extract_script(prompt)
        if text.strip() and not text.strip().startswith("#")
    ]


def resolve_inside(root: Path, relative: str) -> Path:
    """`relative` resolved under `root`; refuses anything that would land outside or in .git."""
    if Path(relative).is_absolute():
        raise ScriptError(f"path {relative!r} must be relative to the worktree")
    base = root.resolve()
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        raise ScriptError(f"path {relative!r} resolves outside the worktree")
    if target.relative_to(base).parts[0] == ".git":
        raise ScriptError(f"path {relative!r} is inside .git")
    return target


def find_makima() -> str:
    found = shutil.which("makima")
    if found:
        return found
    beside = Path(sys.executable).parent / "makima"
    if beside.is_file():
        return str(beside)
    raise ScriptError("the makima CLI was not found on PATH nor next to the Python executable")


class ScriptedAgent:
    """Performs the actions and prints stream-json lines like Claude Code."""

    def __init__(self, root: Path, session_id: str, model: str, attempt: int) -> None:
        self.root = root
        self.session_id = session_id
        self.model = model
        self.attempt = attempt
        self.cost = 0.0
        self.turns = 0
        self.say = "script finished"

    def emit(self, payload: dict[str, Any]) -> None:
        payload["session_id"] = self.session_id
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    def tool(self, name: str, tool_input: dict[str, Any], output: str, is_error: bool) -> None:
        tool_id = "toolu_" + uuid.uuid4().hex[:16]
        self.emit({"type": "assistant", "message": {"role": "assistant", "model": self.model,
                   "content": [{"type": "tool_use", "id": tool_id, "name": name,
                                "input": tool_input}]}})
        self.emit({"type": "user", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_id, "content": output[-OUTPUT_TAIL:],
             "is_error": is_error}]}})

    def result(self, text: str, is_error: bool) -> int:
        self.emit({"type": "result", "subtype": "error_during_execution" if is_error else
                   "success", "is_error": is_error, "num_turns": self.turns, "result": text,
                   "total_cost_usd": round(self.cost, 6)})
        return 1 if is_error else 0

    def run(self, prompt: str) -> int:
        self.emit({"type": "system", "subtype": "init", "cwd": str(self.root), "model": self.model,
                   "tools": ["Write", "Run", "Makima"], "permissionMode": "bypassPermissions"})
        try:
            actions = parse_script(prompt)
            for action in actions:
                if action.applies_to(self.attempt):
                    self.turns += 1
                    self.perform(action)
        except _Failed as exc:
            return self.result(str(exc), is_error=True)
        except ScriptError as exc:
            return self.result(f"script error: {exc}", is_error=True)
        return self.result(self.say, is_error=False)

    def perform(self, action: Action) -> None:
        name, value = action.name, action.value
        if name in ("write", "append"):
            target = resolve_inside(self.root, value["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a" if name == "append" else "w", encoding="utf-8") as handle:
                handle.write(value["content"])
            self.tool(name.capitalize(), {"file_path": str(target)},
                      f"{name} {len(value['content'])} characters to {value['path']}", False)
        elif name in ("run", "makima"):
            argv = [find_makima(), *value] if name == "makima" else list(value)
            self.execute(name.capitalize(), argv, action.options)
        elif name == "sleep":
            self.emit({"type": "assistant", "message": {"role": "assistant", "content": [
                {"type": "text", "text": f"sleeping {value} s"}]}})
            time.sleep(float(value))
        elif name == "cost":
            self.cost += float(value)
        elif name == "say":
            self.say = value
        elif name == "fail":
            raise _Failed(value)
        elif name == "crash":
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def execute(self, tool: str, argv: list[str], options: dict[str, Any]) -> None:
        try:
            done = subprocess.run(argv, cwd=self.root, input=options.get("stdin"), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
            code: int | None = done.returncode
            output = f"exit code {code}\n{done.stdout}"
        except OSError as exc:
            code, output = None, f"could not start {argv[0]}: {exc}"
        self.tool(tool, {"argv": argv}, output, code != 0)
        if options.get("check") and code != 0:
            raise ScriptError(f"{' '.join(argv)[:200]} failed: {output[-500:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripted_agent", description=__doc__.splitlines()[0])
    parser.add_argument("--resume", default=None, help="session id to continue")
    parser.add_argument("--model", default="scripted")
    args = parser.parse_args(argv)
    attempt_text = os.environ.get("MAKIMA_ATTEMPT", "1")
    agent = ScriptedAgent(
        root=Path.cwd(),
        session_id=args.resume or str(uuid.uuid4()),
        model=args.model,
        attempt=int(attempt_text) if attempt_text.isdigit() else 1,
    )
    return agent.run(sys.stdin.read())


if __name__ == "__main__":
    sys.exit(main())
