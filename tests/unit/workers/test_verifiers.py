"""Verifier detection and running (real subprocesses, timeouts, missing tools)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from schemas.messages import VerifierResult
from workers.processes import StopReason, StopSignal
from workers.verifiers import VerifierSpec, custom_verifiers, detect_verifiers, run_verifier


def names(root: Path) -> list[str]:
    return [spec.name for spec in detect_verifiers(root)]


def test_empty_repository_has_no_verifiers(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print(1)\n")
    assert names(tmp_path) == []


def test_python_tests_are_detected_and_run_with_the_daemons_python(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_x():\n    assert True\n")
    specs = detect_verifiers(tmp_path)
    assert specs == [VerifierSpec("pytest", (sys.executable, "-m", "pytest", "-q"))]


def test_python_tests_in_skipped_dirs_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "test_a.py").write_text("")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "conftest.py").write_text("")
    assert names(tmp_path) == []


def test_npm_test_needs_a_real_test_script(tmp_path: Path) -> None:
    package = {"scripts": {"test": 'echo "Error: no test specified" && exit 1'}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    assert names(tmp_path) == []
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": "jest"}}))
    assert names(tmp_path) == ["npm test"]
    (tmp_path / "package.json").write_text("{broken")
    assert names(tmp_path) == []


def test_cargo_go_and_make(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[package]\n")
    (tmp_path / "go.mod").write_text("module x\n")
    (tmp_path / "Makefile").write_text("build:\n\tcc x.c\n")
    assert names(tmp_path) == ["cargo test", "go test"]
    (tmp_path / "Makefile").write_text("build:\n\tcc x.c\ntest: build\n\t./x\n")
    assert names(tmp_path) == ["cargo test", "go test", "make test"]


def test_make_variable_named_test_is_not_a_target(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("test := yes\n")
    assert names(tmp_path) == []


def test_custom_commands_keep_their_argv() -> None:
    specs = custom_verifiers([("ruff", "check", "."), ()])
    assert specs == [VerifierSpec("ruff check .", ("ruff", "check", "."))]


def run(spec: VerifierSpec, cwd: Path, timeout: float = 30,
        stop: StopSignal | None = None) -> VerifierResult:
    return run_verifier(spec, cwd=cwd, env={"PATH": "/usr/bin:/bin"}, timeout=timeout,
                        stop=stop or StopSignal(), kill_grace_seconds=1)


def test_passing_and_failing_commands(tmp_path: Path) -> None:
    ok = run(VerifierSpec("ok", (sys.executable, "-c", "print('fine')")), tmp_path)
    assert ok.passed and ok.exit_code == 0 and "fine" in ok.output_tail
    bad = run(VerifierSpec("bad", (sys.executable, "-c",
                                   "import sys; print('boom', file=sys.stderr); sys.exit(3)")),
              tmp_path)
    assert not bad.passed and bad.exit_code == 3 and "boom" in bad.output_tail


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    marker = tmp_path / "survivor"
    child = f"import time; time.sleep(3); open({str(marker)!r}, 'w').write('x')"
    parent = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]);"
              " time.sleep(60)")
    started = time.monotonic()
    result = run(VerifierSpec("slow", (sys.executable, "-c", parent)), tmp_path, timeout=1)
    assert time.monotonic() - started < 10
    assert result.timed_out and result.exit_code is None and not result.passed
    assert "timed out" in result.output_tail
    time.sleep(3.5)
    assert not marker.exists()  # the grandchild died with its group


def test_missing_tool_is_a_failed_result(tmp_path: Path) -> None:
    result = run(VerifierSpec("nope", ("definitely-not-a-command-xyz",)), tmp_path)
    assert result.exit_code is None and not result.passed
    assert "could not start" in result.output_tail


def test_a_stop_request_ends_a_verifier(tmp_path: Path) -> None:
    stop = StopSignal()
    stop.stop(StopReason.CANCELLED)
    result = run(VerifierSpec("sleepy", (sys.executable, "-c", "import time; time.sleep(30)")),
                 tmp_path, stop=stop)
    assert result.exit_code is None and "stopped" in result.output_tail
