"""Verifiers: test commands run in the worktree after the session, before the push.

Auto-detection (when RunTask.auto_verifiers), one command per ecosystem found at the top
of the worktree:

- pytest, when the tree holds Python tests (`test_*.py` / `*_test.py`, or a `conftest.py`):
  run as `<the daemon's python> -m pytest -q`. The daemon's interpreter is used, not a
  `pytest` found on PATH, so the result does not depend on the PATH of whoever started the
  daemon: install pytest and the project's test dependencies in the daemon's environment.
- `npm test` when package.json has a `test` script other than npm's placeholder;
- `cargo test` with a Cargo.toml; `go test ./...` with a go.mod;
- `make test` when a Makefile has a `test:` target.

Then RunTask.verifier_commands (argument lists). Each runs in its own process group with
a timeout; a missing executable is a failed result (exit_code None), never an exception.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from schemas.messages import VerifierResult
from workers.processes import StopSignal, run_process

OUTPUT_TAIL_CHARS = 4000
NPM_PLACEHOLDER = "no test specified"
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "env", "__pycache__", "target", "dist",
             "build", ".tox", ".mypy_cache", ".pytest_cache", "site-packages"}
MAX_SCAN_FILES = 20000
_MAKE_TEST_RE = re.compile(r"^test\s*:(?!=)", re.MULTILINE)


@dataclass(frozen=True)
class VerifierSpec:
    name: str
    command: tuple[str, ...]


def _walk_files(root: Path) -> Iterator[str]:
    seen = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for filename in filenames:
            seen += 1
            if seen > MAX_SCAN_FILES:
                return
            yield filename


def has_python_tests(root: Path) -> bool:
    for filename in _walk_files(root):
        if filename == "conftest.py" or (
            filename.endswith(".py")
            and (filename.startswith("test_") or filename.endswith("_test.py"))
        ):
            return True
    return False


def _npm_test_script(root: Path) -> bool:
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    scripts = package.get("scripts") if isinstance(package, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    return isinstance(test, str) and bool(test.strip()) and NPM_PLACEHOLDER not in test


def _make_test_target(root: Path) -> bool:
    for name in ("GNUmakefile", "makefile", "Makefile"):
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return bool(_MAKE_TEST_RE.search(text))
    return False


def detect_verifiers(root: Path) -> list[VerifierSpec]:
    """The test commands this worktree's project appears to have."""
    found: list[VerifierSpec] = []
    if has_python_tests(root):
        found.append(VerifierSpec("pytest", (sys.executable, "-m", "pytest", "-q")))
    if _npm_test_script(root):
        found.append(VerifierSpec("npm test", ("npm", "test")))
    if (root / "Cargo.toml").is_file():
        found.append(VerifierSpec("cargo test", ("cargo", "test")))
    if (root / "go.mod").is_file():
        found.append(VerifierSpec("go test", ("go", "test", "./...")))
    if _make_test_target(root):
        found.append(VerifierSpec("make test", ("make", "test")))
    return found


def custom_verifiers(commands: Sequence[Sequence[str]]) -> list[VerifierSpec]:
    return [VerifierSpec(shlex.join(command)[:120], tuple(command)) for command in commands if command]


def run_verifier(
    spec: VerifierSpec,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    stop: StopSignal,
    kill_grace_seconds: float,
) -> VerifierResult:
    """Run one verifier to its end (or timeout/stop); stdout and stderr are interleaved."""
    lines: list[str] = []
    result = run_process(
        spec.command,
        cwd=cwd,
        env=env,
        on_stdout_line=lines.append,
        on_stderr_line=lines.append,
        stop=stop,
        kill_grace_seconds=kill_grace_seconds,
        timeout=timeout,
    )
    output = "\n".join(lines)
    if result.start_error is not None:
        output = f"could not start: {result.start_error}"
    elif result.timed_out:
        output += f"\n[makima: timed out after {timeout:.0f}s]"
    elif result.stopped is not None:
        output += f"\n[makima: stopped ({result.stopped})]"
    finished = result.start_error is None and not result.timed_out and result.stopped is None
    return VerifierResult(
        name=spec.name,
        command=spec.command,
        exit_code=result.returncode if finished else None,
        duration_seconds=round(result.duration_seconds, 3),
        output_tail=output[-OUTPUT_TAIL_CHARS:],
        timed_out=result.timed_out,
    )
