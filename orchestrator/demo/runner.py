"""The whole `makima demo` run: stack, sample repository, directive, progress, report.

1. Check what the run needs (orchestrator.demo.preflight); nothing starts otherwise.
2. Use the stack already serving this state directory on `--port` (its saved API key
   works there), else start one as `makima up` does (orchestrator.stack.Stack).
3. Wait for a daemon that offers the runtime, build the sample origin, create the
   directive with its plan and start it.
4. Show progress until the directive is completed with a pull request, or paused, failed
   or stopped, or the timeout passes (then the directive is stopped, so a stack that keeps
   running does not go on with it).
5. Report the pull request and the tests of a fresh clone of the merged branch (or why
   there is none); stop the stack we started (with `--keep-running`, serve it until
   Ctrl-C first, so the result can be looked at either way). A process of that stack
   dying ends the demo at once, with the end of its log.

Exit codes (docs/cli.md): 0 the PR exists and the merged branch's tests pass; 1 anything
short of that; 2 something the demo needs is missing; 5 the state directory is held by a
stack that does not answer on `--port`; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from orchestrator.bootstrap import KEY_FILE
from orchestrator.cli.client import ApiClient
from orchestrator.cli.config import Connection
from orchestrator.cli.errors import (
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
)
from orchestrator.demo.follow import FollowResult, follow_directive
from orchestrator.demo.merged import SuiteResult, run_tests
from orchestrator.demo.plan import SCRIPTED, demo_directive
from orchestrator.demo.preflight import claude_executable, runtime_problems, tool_problems
from orchestrator.demo.progress import duration, event_line, first_failure, money, step_names
from orchestrator.demo.sample import SampleRepo, SampleRepoError, clone_branch, create_sample_repo
from orchestrator.demo.terminal import LiveScreen, PlainLog, ProgressView
from orchestrator.errors import MakimaError
from orchestrator.processes import port_in_use, signals_as_keyboard_interrupt
from orchestrator.stack import Stack, StackOptions
from orchestrator.stack_layout import DEFAULT_API_PORT, format_summary
from orchestrator.supervisor import describe_exit
from schemas.enums import DaemonStatus, EventType, Severity
from schemas.statuses import StepStatus
from schemas.wire import DEFAULT_POOL

DAEMON_WAIT_SECONDS = 60.0
DEFAULT_TIMEOUTS = {SCRIPTED: 600.0, "claude": 3600.0}

Printer = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    state_dir: Path
    work_dir: Path
    port: int = DEFAULT_API_PORT
    runtime: str = SCRIPTED
    live: bool = False
    keep_running: bool = False
    timeout: float = DEFAULT_TIMEOUTS[SCRIPTED]
    tick_seconds: float = 2.0
    daemon_concurrency: int = 2


def _print(text: str) -> None:
    print(text, flush=True)


def intro(runtime: str) -> str:
    if runtime == SCRIPTED:
        return (
            "makima demo, runtime `scripted`: the agent is a deterministic script "
            "(docs/scripted-runtime.md);\nno model is called and nothing is spent. The rest "
            "is the real thing: the stack, a daemon, git\nworktrees, tests, evaluation, "
            "rework, the merge, the merge gate and the pull request."
        )
    path = claude_executable(os.environ) or "claude"
    return (
        f"makima demo, runtime `claude`: real Claude Code sessions ({path}), billed to "
        "ANTHROPIC_API_KEY."
    )


def preflight(runtime: str) -> None:
    problems = tool_problems() + runtime_problems(runtime, os.environ)
    if problems:
        raise CliError(problems[0], details=problems[1:], exit_code=EXIT_INPUT)


def running_stack(state_dir: Path, port: int) -> Connection | None:
    """The stack already serving this state directory on `port`, if its saved key works."""
    try:
        key = (state_dir / KEY_FILE).read_text().strip()
    except OSError:
        return None
    if not key or not port_in_use(port):
        return None
    connection = Connection(url=f"http://127.0.0.1:{port}", api_key=key)
    client = ApiClient(connection)
    try:
        client.me()
    except CliError:
        return None
    finally:
        client.close()
    return connection


def start_stack(options: DemoOptions, say: Printer) -> Stack:
    stack = Stack(
        StackOptions(
            state_dir=options.state_dir,
            api_port=options.port,
            daemon_concurrency=options.daemon_concurrency,
            tick_seconds=options.tick_seconds,
        ),
        out=lambda text: say("  " + text),
    )
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; the embedded servers don't care.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            stack.start()
    except MakimaError as exc:
        if exc.field == "state_dir":
            raise CliError(
                f"{exc.message}; or, to reuse it, pass the --port it serves on",
                field="--state-dir", exit_code=EXIT_CONFLICT,
            ) from exc
        raise CliError(f"the stack did not start: {exc.message}") from exc
    return stack


def wait_for_daemon(api: ApiClient, runtime: str, *, timeout: float = DAEMON_WAIT_SECONDS) -> str:
    """The name of an online daemon of the default pool that offers `runtime`."""
    deadline = time.monotonic() + timeout
    while True:
        online = [d for d in api.list_daemons()
                  if d.status is DaemonStatus.ONLINE and d.pool == DEFAULT_POOL]
        able = [d for d in online if runtime in d.runtimes]
        if able:
            return able[0].name
        if online:
            offered = ", ".join(sorted({r for d in online for r in d.runtimes})) or "none"
            raise CliError(
                f"the online daemons do not offer the {runtime} runtime (they offer: "
                f"{offered}); restart the stack where {runtime} is available",
                field="--runtime", exit_code=EXIT_INPUT,
            )
        if time.monotonic() > deadline:
            raise CliError(f"no daemon of pool {DEFAULT_POOL!r} came online in {timeout:g}s")
        time.sleep(0.5)


def new_run_dir(work_dir: Path) -> Path:
    """A directory of its own for this run: `<work_dir>/<date-time>[-n]`."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    work_dir = work_dir.expanduser().resolve()
    candidate, n = work_dir / stamp, 1
    while candidate.exists():
        n += 1
        candidate = work_dir / f"{stamp}-{n}"
    candidate.mkdir(parents=True)
    return candidate


def rework_lines(api: ApiClient, result: FollowResult) -> list[str]:
    """Which steps were reworked, and the first failing test that sent each one back."""
    detail = result.snapshot.detail
    reworked = [s for s in detail.steps if s.rework_count and s.status is StepStatus.PASSED]
    if not reworked:
        return ["  rework      none: every step passed at its first attempt"]
    reasons: dict[UUID, str] = {}
    page = api.list_events(detail.directive.id, types=[EventType.STEP_STATUS], limit=1000)
    for event in page.events:
        feedback = event.data.get("feedback")
        if event.step_id is not None and event.step_id not in reasons and feedback:
            failure = first_failure(str(feedback))
            if failure:
                reasons[event.step_id] = failure
    return [
        f"  rework      {s.name}: {s.attempts} attempts"
        + (f"; attempt 1 was sent back for {reasons[s.id]}" if s.id in reasons else "")
        for s in reworked
    ]


def report_success(
    api: ApiClient, result: FollowResult, sample: SampleRepo, run_dir: Path, say: Printer
) -> SuiteResult:
    pr = result.pull_request
    assert pr is not None
    directive = result.snapshot.detail.directive
    stats = pr.diff_stats
    number = f" #{pr.number}" if pr.number is not None else ""
    cost = money(directive.total_cost_usd)
    if directive.runtime == SCRIPTED:
        cost += " (declared by the scripted agent; nothing was spent)"
    say("")
    say(f"directive completed in {duration(result.snapshot.elapsed_seconds)}, total cost {cost}")
    say("")
    say(f"pull request{number} on the {pr.forge.value} forge")
    say(f"  title       {pr.title}")
    say(f"  url         {pr.url}")
    say(f"  branches    {pr.head} → {pr.base}")
    say(f"  diff        {stats.files_changed} files changed, +{stats.insertions} "
        f"-{stats.deletions}")
    say(f"  merge gate  {' '.join(pr.gate_summary.split()) or '-'}")
    for line in rework_lines(api, result):
        say(line)
    say("")
    merged = clone_branch(sample.origin, pr.head, run_dir / "merged")
    say(f"tests on the merged branch ({pr.head}, cloned to {merged})")
    suite = run_tests(merged)
    say(f"  command     python -m pytest -q  ({sys.executable})")
    say(f"  result      {suite.describe()}")
    if not suite.green and suite.output_tail:
        say("  " + suite.output_tail.replace("\n", "\n  "))
    say("")
    say(f"sample origin  {sample.origin}")
    say(f"look around    git -C {merged} log --oneline --graph")
    return suite


def report_failure(result: FollowResult, timeout: float, say: Printer) -> None:
    detail = result.snapshot.detail
    directive = detail.directive
    say("")
    if result.timed_out:
        say(f"the directive did not finish within {timeout:g}s (status {directive.status.value}); "
            "it is stopped")
    else:
        reason = " ".join((directive.status_reason or "no reason recorded").split())
        say(f"the directive is {directive.status.value}: {reason}")
    names = step_names(detail)
    problems = [e for e in result.snapshot.events if e.severity is not Severity.INFO]
    for event in problems[-5:]:
        line = event_line(event, names)
        if line is not None:
            say("  " + line)


def run_demo(options: DemoOptions, *, say: Printer = _print) -> int:
    preflight(options.runtime)
    say(intro(options.runtime))
    stack: Stack | None = None
    api: ApiClient | None = None
    directive_id: UUID | None = None
    with signals_as_keyboard_interrupt():
        try:
            connection = running_stack(options.state_dir, options.port)
            if connection is not None:
                say(f"\nusing the makima stack already running at {connection.url} "
                    f"(state {options.state_dir}); it is left running")
            else:
                say(f"\nstarting the stack (state {options.state_dir}) ...")
                stack = start_stack(options, say)
                assert stack.info is not None
                connection = Connection(url=stack.info.api_url, api_key=stack.info.api_key)
            api = ApiClient(connection)
            daemon = wait_for_daemon(api, options.runtime)
            say(f"stack ready: API and dashboard {connection.url}/, daemon {daemon}")

            run_dir = new_run_dir(options.work_dir)
            try:
                sample = create_sample_repo(run_dir)
            except SampleRepoError as exc:
                raise CliError(f"the sample repository: {exc}") from exc
            say(f"sample repository {sample.origin} (textkit, one commit on {sample.base_branch})")
            created = api.create_directive(demo_directive(sample, runtime=options.runtime))
            directive_id = created.directive.id
            api.directive_action(directive_id, "start")
            steps = len(created.steps)
            say(f"directive {directive_id.hex[:8]} created with {steps} steps and started\n")

            view: ProgressView = LiveScreen() if options.live else PlainLog()
            result = follow_directive(
                api, directive_id, view, timeout=options.timeout,
                check_stack=(lambda: check_children(stack)) if stack is not None else lambda: None,
            )
            if result.succeeded:
                suite = report_success(api, result, sample, run_dir, say)
                code = EXIT_OK if suite.green else EXIT_FAILURE
            else:
                if result.timed_out:
                    with contextlib.suppress(CliError):
                        api.directive_action(directive_id, "stop")
                report_failure(result, options.timeout, say)
                code = EXIT_FAILURE
            if options.keep_running and stack is not None:
                code = serve(stack, code, say)
            return code
        except KeyboardInterrupt:
            say("\ninterrupted")
            if api is not None and directive_id is not None:
                with contextlib.suppress(CliError):
                    api.directive_action(directive_id, "stop")
                    say(f"directive {directive_id.hex[:8]} stopped")
            return EXIT_INTERRUPTED
        finally:
            if api is not None:
                api.close()
            if stack is not None:
                say("stopping the stack ...")
                stack.stop()
                say("stopped.")


def check_children(stack: Stack) -> None:
    """Raise when a process of the stack we started has died (its log's end in the error)."""
    dead = stack.supervisor.first_exited()
    if dead is not None:
        raise CliError(
            f"{dead.name} {describe_exit(dead.returncode)}; the demo cannot go on",
            details=[f"last lines of {dead.log_path}:", *dead.tail(20).splitlines()],
        )


def serve(stack: Stack, code: int, say: Printer) -> int:
    """`--keep-running`: serve the stack as `makima up` does until Ctrl-C; keep `code`."""
    assert stack.info is not None
    say("\n" + format_summary(stack.info))
    try:
        dead = stack.wait()
    except KeyboardInterrupt:
        return code
    say(f"{dead.name} {describe_exit(dead.returncode)}; see {dead.log_path}")
    return EXIT_FAILURE
