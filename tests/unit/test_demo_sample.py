"""The demo's sample repository and plan, without a stack: the origin is built with git, and
the scripted steps, applied by hand in dependency order, leave tests that fail on the
rework's first attempt and pass at the end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.dag import validate_plan
from orchestrator.demo.merged import run_tests
from orchestrator.demo.plan import CLAUDE, REWORKED_STEP, SCRIPTED, STEPS, demo_directive
from orchestrator.demo.sample import (
    SEED_FILES,
    SampleRepoError,
    clone_branch,
    create_sample_repo,
    git,
)
from workers.runtimes.scripted_agent import parse_script


def apply_step(checkout: Path, name: str, attempt: int) -> None:
    """What the scripted agent would write for this step and attempt (files only)."""
    [step] = [s for s in STEPS if s.name == name]
    for action in parse_script(step.task_plan(SCRIPTED)):
        if not action.applies_to(attempt):
            continue
        if action.name == "write":
            target = checkout / action.value["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(action.value["content"])
        elif action.name == "append":
            with (checkout / action.value["path"]).open("a") as handle:
                handle.write(action.value["content"])


def test_the_origin_is_bare_with_one_seed_commit_on_main(tmp_path: Path) -> None:
    sample = create_sample_repo(tmp_path / "run")
    assert sample.origin == (tmp_path / "run" / "origin.git").resolve()
    assert git(sample.origin, "rev-parse", "--is-bare-repository") == "true"
    assert git(sample.origin, "rev-parse", "refs/heads/main") == sample.seed_commit
    assert git(sample.origin, "log", "--format=%an <%ae>", "main") == (
        "makima demo <demo@makima.local>"
    )
    files = git(sample.origin, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert sorted(files) == sorted(SEED_FILES)


def test_an_existing_origin_is_never_reused(tmp_path: Path) -> None:
    create_sample_repo(tmp_path)
    with pytest.raises(SampleRepoError, match="already exists"):
        create_sample_repo(tmp_path)


def test_the_seed_package_tests_pass(tmp_path: Path) -> None:
    sample = create_sample_repo(tmp_path / "run")
    checkout = clone_branch(sample.origin, "main", tmp_path / "checkout")
    result = run_tests(checkout)
    assert (result.green, dict(result.counts)) == (True, {"passed": 2})


def test_the_scripted_steps_fail_then_pass_and_the_merged_result_is_green(
    tmp_path: Path,
) -> None:
    sample = create_sample_repo(tmp_path / "run")
    checkout = clone_branch(sample.origin, "main", tmp_path / "checkout")
    apply_step(checkout, REWORKED_STEP, attempt=1)
    first = run_tests(checkout)
    assert not first.green
    assert first.counts["failed"] == 2, first.output_tail

    apply_step(checkout, REWORKED_STEP, attempt=2)
    for name in ("slugify", "toc", "report"):
        apply_step(checkout, name, attempt=1)
    final = run_tests(checkout)
    assert (final.green, dict(final.counts)) == (True, {"passed": 13}), final.output_tail
    # The report step's command-line entry point works on the README it extended.
    shown = subprocess.run([sys.executable, "-m", "textkit", "README.md"], cwd=checkout,
                           capture_output=True, text=True, check=True).stdout
    assert shown.startswith("words: ") and "- [Usage](#usage)" in shown


def test_the_plan_is_a_valid_dag_with_parallel_and_dependent_steps(tmp_path: Path) -> None:
    sample = create_sample_repo(tmp_path / "run")
    body = demo_directive(sample, runtime=SCRIPTED)
    assert body.plan is not None
    validate_plan(body.plan)
    needs = {s.name: s.depends_on for s in body.plan}
    assert needs == {"slugify": [], "word-stats": [], "toc": ["slugify"],
                     "report": ["toc", "word-stats"]}
    assert body.repository == str(sample.origin)
    assert (body.agent.runtime, body.autonomy.value, body.budgets.max_rework_cycles) == (
        "scripted", "full_auto", 2
    )


def test_claude_gets_the_same_steps_in_plain_words_without_a_script(tmp_path: Path) -> None:
    sample = create_sample_repo(tmp_path / "run")
    scripted = demo_directive(sample, runtime=SCRIPTED).plan
    claude = demo_directive(sample, runtime=CLAUDE)
    assert scripted is not None and claude.plan is not None
    assert claude.agent.runtime == "claude"
    for plain, with_script in zip(claude.plan, scripted, strict=True):
        assert "makima-script" not in plain.task_plan
        assert with_script.task_plan.startswith(plain.task_plan + "\n\n```makima-script\n")
        assert len(plain.task_plan) > 150  # instructions a real agent can act on
    with pytest.raises(ValueError, match="unknown demo runtime"):
        demo_directive(sample, runtime="codex")
