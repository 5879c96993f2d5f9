"""The demo directive: a goal for the `textkit` sample and its plan, given directly.

The plan is a diamond with a tail: `slugify` and `word-stats` have no dependency and run in
parallel; `toc` builds on `slugify`; `report` builds on `toc` and `word-stats`, so it waits
for all three. Every step's task plan is written in plain words, good enough for a real
coding agent (`--runtime claude`). For the scripted runtime each task plan also carries a
`makima-script` block (docs/scripted-runtime.md) that writes the code of
`orchestrator.demo.sample_code`; `word-stats` writes a mistake on attempt 1, so its tests
fail, the step is reworked with the failure in its prompt, and attempt 2 fixes it.

The `cost` actions are figures the script declares, so the cost columns have something to
add up; the scripted runtime calls no model and spends nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orchestrator.demo import sample_code as code
from orchestrator.demo.sample import SampleRepo
from schemas.directives import AgentSettings, Budgets, DirectiveCreate, EvaluationSettings
from schemas.enums import AutonomyLevel
from schemas.plans import StepSpec

SCRIPTED = "scripted"
CLAUDE = "claude"
RUNTIMES = (SCRIPTED, CLAUDE)

TITLE = "textkit: slugs, word statistics, a table of contents and a report"
GOAL = (
    "Grow the textkit package from one whitespace helper into a small toolkit for Markdown "
    "notes: URL slugs, word statistics, a table of contents built from the headings, and a "
    "one-screen report of a document that is also available as `python -m textkit FILE`."
)
REQUIREMENTS = [
    "textkit.slug.slugify(text, max_length=60): lower-case ASCII words joined by hyphens",
    "textkit.stats: words(text), word_count(text), top_words(text, n=3), case-insensitive",
    "textkit.toc: headings(markdown) and table_of_contents(markdown) linking to slugs",
    "textkit.report.report(markdown) and `python -m textkit FILE` printing it",
]
ACCEPTANCE = [
    "`python -m pytest -q` passes, with tests for every new function",
    "the package exports every new function from textkit/__init__.py",
]
CONSTRAINTS = [
    "standard library only",
    "keep normalize_space and its tests unchanged",
]


@dataclass(frozen=True)
class DemoStep:
    name: str
    description: str
    instructions: str
    """The task plan in plain words."""
    depends_on: tuple[str, ...] = ()
    script: tuple[dict[str, Any], ...] = field(default=())
    """The scripted runtime's actions (one JSON object per line of the block)."""

    def task_plan(self, runtime: str) -> str:
        if runtime != SCRIPTED:
            return self.instructions
        lines = "\n".join(json.dumps(action) for action in self.script)
        return f"{self.instructions}\n\n```makima-script\n{lines}\n```\n"

    def spec(self, runtime: str) -> StepSpec:
        return StepSpec(
            name=self.name,
            description=self.description,
            task_plan=self.task_plan(runtime),
            depends_on=list(self.depends_on),
        )


def _write(path: str, content: str, **filters: Any) -> dict[str, Any]:
    return {"write": {"path": path, "content": content}, **filters}


STEPS: tuple[DemoStep, ...] = (
    DemoStep(
        name="slugify",
        description="URL slugs, needed by the table of contents for its anchors.",
        instructions=(
            "Add textkit/slug.py with slugify(text: str, max_length: int = 60) -> str: "
            "normalize to ASCII (drop accents), lower-case, replace every run of "
            "non-alphanumeric characters with one hyphen, strip hyphens at both ends, cut "
            "to max_length without leaving a trailing hyphen. Add tests/test_slug.py "
            "covering punctuation, accents and the length cut."
        ),
        script=(
            {"sleep": 1.5},
            _write("textkit/slug.py", code.SLUG),
            _write("tests/test_slug.py", code.SLUG_TESTS),
            {"cost": 0.03},
            {"say": "Added slugify with tests."},
        ),
    ),
    DemoStep(
        name="word-stats",
        description="Word statistics: the words of a text, their count, the most frequent.",
        instructions=(
            "Add textkit/stats.py with words(text) -> list[str] (lower-cased words, "
            "punctuation dropped), word_count(text) -> int and top_words(text, n=3) -> "
            "list[tuple[str, int]] (most frequent first, ties in order of first use; 'The' "
            "and 'the' are the same word). Add tests/test_stats.py covering case and "
            "punctuation."
        ),
        script=(
            {"sleep": 2},
            _write("tests/test_stats.py", code.STATS_TESTS),
            _write("textkit/stats.py", code.STATS_FIRST_TRY, when_attempt=[1]),
            {"cost": 0.04, "when_attempt": [1]},
            {"say": "Added word statistics.", "when_attempt": [1]},
            _write("textkit/stats.py", code.STATS, from_attempt=2),
            {"cost": 0.02, "from_attempt": 2},
            {"say": "Words are now lower-cased and stripped of punctuation; tests pass.",
             "from_attempt": 2},
        ),
    ),
    DemoStep(
        name="toc",
        description="A table of contents of a Markdown document, linking to slug anchors.",
        instructions=(
            "Add textkit/toc.py with headings(markdown) -> list[tuple[int, str]] (level and "
            "title of every '#' heading, ignoring fenced code blocks) and "
            "table_of_contents(markdown) -> str (a nested Markdown list, two spaces per "
            "level, each entry '- [Title](#slug)' using textkit.slug.slugify). Add "
            "tests/test_toc.py."
        ),
        depends_on=("slugify",),
        script=(
            {"sleep": 1.5},
            _write("textkit/toc.py", code.TOC),
            _write("tests/test_toc.py", code.TOC_TESTS),
            {"cost": 0.03},
            {"say": "Added the table of contents with tests."},
        ),
    ),
    DemoStep(
        name="report",
        description="The report of a Markdown document, `python -m textkit`, the exports.",
        instructions=(
            "Add textkit/report.py with report(markdown) -> str: lines 'words: N', "
            "'top words: w (n), ...' (three most frequent), 'contents:' and the table of "
            "contents (or '(no headings)'). Add textkit/__main__.py so that "
            "`python -m textkit FILE` prints the report of a file (exit 2 with a usage line "
            "otherwise). Export every public function from textkit/__init__.py, add a "
            "Usage section to README.md, and add tests/test_report.py."
        ),
        depends_on=("toc", "word-stats"),
        script=(
            {"sleep": 1.5},
            _write("textkit/report.py", code.REPORT),
            _write("textkit/__main__.py", code.MAIN),
            _write("textkit/__init__.py", code.PACKAGE_INIT),
            _write("tests/test_report.py", code.REPORT_TESTS),
            {"append": {"path": "README.md", "content": code.README_USAGE}},
            {"run": ["python", "-m", "textkit", "README.md"]},
            {"cost": 0.03},
            {"say": "Added the report, `python -m textkit` and the exports."},
        ),
    ),
)

REWORKED_STEP = "word-stats"


def demo_directive(sample: SampleRepo, *, runtime: str) -> DirectiveCreate:
    """The directive the demo creates, with its plan, for `runtime`."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown demo runtime {runtime!r}")
    scripted = runtime == SCRIPTED
    return DirectiveCreate(
        title=TITLE,
        goal=GOAL,
        requirements=REQUIREMENTS,
        acceptance_criteria=ACCEPTANCE,
        constraints=CONSTRAINTS,
        repository=str(sample.origin),
        base_branch=sample.base_branch,
        autonomy=AutonomyLevel.FULL_AUTO,
        budgets=Budgets(
            max_total_cost_usd=Decimal("5"),
            max_wall_seconds=3600,
            max_rework_cycles=2,
        ),
        evaluation=EvaluationSettings(auto_verifiers=True),
        agent=AgentSettings(
            runtime=runtime,
            session_timeout_seconds=120 if scripted else 900,
            max_turns=None if scripted else 60,
        ),
        plan=[step.spec(runtime) for step in STEPS],
    )
