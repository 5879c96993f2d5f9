"""The sample package's tests, run on a fresh clone of the merged (pull request) branch.

This is the demo's own check of the result, independent of makima's merge gate: a clone
of the directive branch from the sample origin, and `<this Python> -m pytest -q` in it.
The counts come from pytest's summary line and are reported as they are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TEST_TIMEOUT_SECONDS = 300.0
# "3 failed, 10 passed, 1 warning in 0.12s", "no tests ran in 0.01s", "2 errors in 0.3s"
_COUNT = re.compile(
    r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)\b"
)
_PLURAL = {"error": "errors", "warning": "warnings"}


@dataclass(frozen=True)
class SuiteResult:
    command: tuple[str, ...]
    exit_code: int | None
    """None when the run timed out."""
    counts: Mapping[str, int] = field(default_factory=dict)
    summary: str = ""
    """pytest's last line."""
    output_tail: str = ""

    @property
    def green(self) -> bool:
        return (
            self.exit_code == 0
            and self.counts.get("passed", 0) > 0
            and not self.counts.get("failed")
            and not self.counts.get("errors")
        )

    def describe(self) -> str:
        """`13 passed` or `1 failed, 12 passed (exit 1)`: the counts pytest printed."""
        if self.exit_code is None:
            return f"timed out after {TEST_TIMEOUT_SECONDS:g}s"
        order = ("failed", "errors", "passed", "skipped", "xfailed", "xpassed")
        parts = [f"{self.counts[k]} {k}" for k in order if self.counts.get(k)]
        text = ", ".join(parts) or (self.summary or "no summary from pytest")
        return text if self.exit_code == 0 else f"{text} (exit {self.exit_code})"


def parse_pytest_counts(output: str) -> tuple[dict[str, int], str]:
    """The counts of pytest's final summary line, and that line."""
    for line in reversed(output.strip().splitlines()):
        summary = line.strip().strip("=").strip()
        found = _COUNT.findall(summary)
        if found or summary.startswith("no tests ran"):
            counts: dict[str, int] = {}
            for number, word in found:
                key = _PLURAL.get(word, word)
                counts[key] = counts.get(key, 0) + int(number)
            return counts, summary
    return {}, ""


def run_tests(checkout: Path, *, timeout: float = TEST_TIMEOUT_SECONDS) -> SuiteResult:
    """`<this Python> -m pytest -q` in `checkout`; never raises for a red or hung run."""
    command = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    try:
        completed = subprocess.run(
            command, cwd=checkout, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return SuiteResult(command=command, exit_code=None)
    output = completed.stdout + completed.stderr
    counts, summary = parse_pytest_counts(completed.stdout)
    return SuiteResult(
        command=command,
        exit_code=completed.returncode,
        counts=counts,
        summary=summary,
        output_tail="\n".join(output.strip().splitlines()[-20:]),
    )
