"""A real daemon running scripted sessions: merges, cancel, crash, no-op, hostile names."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import redis

from schemas.enums import ErrorKind
from schemas.messages import (
    DaemonAnnounce,
    DaemonHeartbeat,
    TaskFinished,
    TaskHeartbeat,
    TaskOutput,
    TaskStarted,
)
from schemas.naming import step_branch_name
from schemas.statuses import TaskStatus
from schemas.wire import CANCEL_KEY_TTL_SECONDS, cancel_key
from tests.integration.daemon.support import (
    POOL,
    DaemonProcess,
    Publisher,
    UpdateCollector,
    make_task,
    script,
)
from tests.support.gitrepo import branch_commit, commit_to_branch, files_on, git, read_file

WRITE_HELLO = '{"write": {"path": "hello.txt", "content": "hello\\n"}}'


def test_daemon_announces_itself_and_beats(daemon: DaemonProcess,
                                           collector: UpdateCollector) -> None:
    announce = next(m for m in collector.daemon_messages(daemon.name)
                    if isinstance(m, DaemonAnnounce))
    assert (announce.pool, announce.capacity) == (POOL, 2)
    assert set(announce.runtimes) == {"claude", "scripted"}
    assert announce.version
    collector.wait_for(
        lambda: [m for m in collector.daemon_messages(daemon.name)
                 if isinstance(m, DaemonHeartbeat)],
        timeout=10, what="a daemon heartbeat")


def test_session_commits_and_pushes_its_work(daemon: DaemonProcess, collector: UpdateCollector,
                                             publisher: Publisher, origin: Path) -> None:
    task = make_task(origin, script(WRITE_HELLO, '{"cost": 0.25}', '{"say": "greeted"}'),
                     verifier_commands=(("test", "-f", "hello.txt"), ("test", "-f", "nope")))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE, finished
    assert (finished.error_kind, finished.daemon) == (None, daemon.name)
    assert (finished.cost_usd, finished.result_text, finished.changed) == (0.25, "greeted", True)
    assert finished.session_id and finished.turns == 3
    assert finished.branch == task.branch and finished.commit == branch_commit(origin, task.branch)
    assert read_file(origin, task.branch, "hello.txt") == "hello"
    assert finished.diff_stats.files_changed == 1 and finished.diff_stats.insertions == 1
    subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{task.branch}")
    assert subject == "makima: Write the greeting (attempt 1)"
    assert [(v.name, v.exit_code) for v in finished.verifier_results] == [
        ("test -f hello.txt", 0), ("test -f nope", 1)]
    updates = collector.updates(task.task_id)
    assert isinstance(updates[0], TaskStarted) and isinstance(updates[-1], TaskFinished)
    events = collector.output_events(task.task_id)
    assert [e.seq for e in events] == list(range(len(events)))
    assert "tool_use" in {e.kind for e in events}


def test_dependencies_are_merged_before_the_agent_starts(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, "makima/api-11111111", {"api.txt": "api\n"})
    commit_to_branch(origin, "makima/db-22222222", {"db.txt": "db\n"})
    prompt = script('{"run": ["test", "-f", "db.txt"], "check": true}', WRITE_HELLO)
    task = make_task(origin, prompt, base_ref="makima/api-11111111",
                     merge_refs=("makima/db-22222222",))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE, finished
    assert {"api.txt", "db.txt", "hello.txt"} <= files_on(origin, task.branch)


def test_a_missing_base_branch_falls_back_when_the_task_names_a_fallback(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    """The directive branch was deleted after its PR was merged: start from main again."""
    gone = make_task(origin, script(WRITE_HELLO), base_ref="makima/directive-gone-11111111",
                     base_fallback_ref="main")
    publisher.publish(gone)
    finished = collector.wait_finished(gone.task_id)
    assert finished.status == TaskStatus.DONE, finished
    main = branch_commit(origin, "main")
    assert git(origin, "rev-parse", f"{finished.commit}^") == main
    assert read_file(origin, gone.branch, "hello.txt") == "hello"

    strict = make_task(origin, script(WRITE_HELLO), base_ref="makima/directive-gone-11111111")
    publisher.publish(strict)
    refused = collector.wait_finished(strict.task_id)
    assert (refused.status, refused.error_kind) == (TaskStatus.FAILED, ErrorKind.WORKTREE)
    assert refused.error_detail is not None and "not found" in refused.error_detail


def test_conflicting_dependencies_are_reported_precisely(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    commit_to_branch(origin, "makima/left-11111111", {"shared.txt": "left\n"})
    commit_to_branch(origin, "makima/right-22222222", {"shared.txt": "right\n", "r.txt": "r"})
    task = make_task(origin, script(WRITE_HELLO), base_ref="makima/left-11111111",
                     merge_refs=("makima/right-22222222",))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED,
                                                      ErrorKind.MERGE_CONFLICT)
    assert finished.conflict is not None
    assert finished.conflict.base_ref == "makima/left-11111111"
    assert finished.conflict.merging_ref == "makima/right-22222222"
    assert finished.conflict.files == ("shared.txt",)
    assert finished.error_detail is not None and "shared.txt" in finished.error_detail
    assert branch_commit(origin, task.branch) is None
    assert not collector.output_events(task.task_id)  # the agent never started


def test_cancel_stops_the_agent_within_seconds_and_pushes_its_work(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher,
    redis_client: redis.Redis[bytes], origin: Path,
) -> None:
    task = make_task(origin, script(WRITE_HELLO, '{"sleep": 120}', '{"write": '
                                    '{"path": "never.txt", "content": "x"}}'))
    publisher.publish(task)
    collector.wait_for(lambda: any(e.kind == "tool_result"
                                   for e in collector.output_events(task.task_id)),
                       timeout=30, what="the first action")
    redis_client.set(cancel_key(str(task.task_id)), "1", ex=CANCEL_KEY_TTL_SECONDS)
    asked = time.monotonic()
    finished = collector.wait_finished(task.task_id, timeout=30)
    assert time.monotonic() - asked < 8
    assert (finished.status, finished.error_kind) == (TaskStatus.CANCELLED, ErrorKind.CANCELLED)
    assert finished.changed is True
    assert read_file(origin, task.branch, "hello.txt") == "hello"
    assert "never.txt" not in files_on(origin, task.branch)


def test_running_tasks_heartbeat(daemon: DaemonProcess, collector: UpdateCollector,
                                 publisher: Publisher, origin: Path) -> None:
    task = make_task(origin, script('{"sleep": 2.5}'))
    publisher.publish(task)
    collector.wait_for(
        lambda: any(task.task_id in m.running_task_ids for m in collector.daemon_messages(
            daemon.name) if isinstance(m, DaemonHeartbeat)),
        timeout=20, what="the daemon heartbeat to list the task")
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE
    assert any(isinstance(u, TaskHeartbeat) for u in collector.updates(task.task_id))


def test_crashed_agent_is_agent_crash_and_its_work_is_pushed(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    task = make_task(origin, script(WRITE_HELLO, '{"crash": true}'))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert (finished.status, finished.error_kind) == (TaskStatus.FAILED, ErrorKind.AGENT_CRASH)
    assert read_file(origin, task.branch, "hello.txt") == "hello"
    assert finished.verifier_results == ()


def test_session_that_changes_nothing_still_pushes_the_branch(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    task = make_task(origin, script('{"say": "nothing to do"}'))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE
    assert finished.changed is False and finished.diff_stats.files_changed == 0
    assert branch_commit(origin, task.branch) == branch_commit(origin, "main") == finished.commit


def test_script_failure_and_missing_script_are_script_errors(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    failing = make_task(origin, script(WRITE_HELLO, '{"fail": "tests are red"}'))
    no_script = make_task(origin, "Just do it, no script.")
    publisher.publish(failing)
    publisher.publish(no_script)
    first = collector.wait_finished(failing.task_id)
    second = collector.wait_finished(no_script.task_id)
    assert (first.status, first.error_kind, first.error_detail) == (
        TaskStatus.FAILED, ErrorKind.SCRIPT, "tests are red")
    assert read_file(origin, failing.branch, "hello.txt") == "hello"
    assert (second.status, second.error_kind) == (TaskStatus.FAILED, ErrorKind.SCRIPT)


def test_attempt_two_fixes_what_attempt_one_broke(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    """The demo's shape: attempt 1 leaves failing tests, attempt 2 fixes them."""
    prompt = script(
        json.dumps({"write": {"path": "test_calc.py", "content":
                              "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"}}),
        json.dumps({"write": {"path": "calc.py", "content":
                              "def add(a, b):\n    return a - b\n"}, "when_attempt": [1]}),
        json.dumps({"write": {"path": "calc.py", "content":
                              "def add(a, b):\n    return a + b\n"}, "from_attempt": 2}),
    )
    first = make_task(origin, prompt, auto_verifiers=True)
    publisher.publish(first)
    one = collector.wait_finished(first.task_id)
    assert one.status == TaskStatus.DONE
    assert [(v.name, v.passed) for v in one.verifier_results] == [("pytest", False)]
    assert "assert 0 == 4" in one.verifier_results[0].output_tail
    second = make_task(origin, prompt, auto_verifiers=True, attempt=2, step_id=first.step_id,
                       step_name=first.step_name, base_ref=first.branch)
    publisher.publish(second)
    two = collector.wait_finished(second.task_id)
    assert [(v.name, v.passed) for v in two.verifier_results] == [("pytest", True)]
    assert "return a + b" in read_file(origin, first.branch, "calc.py")


def test_hostile_step_names_stay_harmless(daemon: DaemonProcess, collector: UpdateCollector,
                                          publisher: Publisher, origin: Path,
                                          tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    names = [f"; touch {canary} && rm -rf ~", "../../etc/passwd", "$(touch " + str(canary) + ")",
             "Ünïcødé 🚀\n\x1b[31mred", "x" * 500]
    tasks = []
    for name in names:
        step_id = uuid.uuid4()
        task = make_task(origin, script(WRITE_HELLO), step_name=name, step_id=step_id,
                         branch=step_branch_name(name, step_id))
        publisher.publish(task)
        tasks.append(task)
    for task in tasks:
        finished = collector.wait_finished(task.task_id)
        assert finished.status == TaskStatus.DONE, finished
        subject = git(origin, "log", "-1", "--format=%s", f"refs/heads/{task.branch}")
        assert subject.startswith("makima: ") and "\n" not in subject and "\x1b" not in subject
        assert len(subject) < 100
    assert not canary.exists()
    assert not (Path.home() / ".." / ".." / "etc" / "passwd" / "hello.txt").exists()


def test_invalid_branch_and_unknown_runtime_fail_cleanly(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    bad_branch = make_task(origin, script(WRITE_HELLO), branch="--upload-pack=evil")
    bad_runtime = make_task(origin, script(WRITE_HELLO), runtime="codex")
    publisher.publish(bad_branch)
    publisher.publish(bad_runtime)
    one = collector.wait_finished(bad_branch.task_id)
    two = collector.wait_finished(bad_runtime.task_id)
    assert (one.status, one.error_kind) == (TaskStatus.FAILED, ErrorKind.WORKTREE)
    assert (two.status, two.error_kind) == (TaskStatus.FAILED, ErrorKind.RUNTIME_UNAVAILABLE)
    assert two.error_detail is not None and "codex" in two.error_detail


def test_a_bad_message_is_reported_and_the_daemon_goes_on(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    task_id = uuid.uuid4()
    publisher.publish_raw({"task_id": str(task_id), "attempt": 3, "prompt": 42})
    publisher.publish_raw("not even a dict")
    finished = collector.wait_finished(task_id)
    assert (finished.status, finished.error_kind, finished.attempt) == (
        TaskStatus.FAILED, ErrorKind.INTERNAL, 3)
    assert finished.error_detail is not None and "invalid RunTask" in finished.error_detail
    after = make_task(origin, script('{"say": "still alive"}'))
    publisher.publish(after)
    assert collector.wait_finished(after.task_id).result_text == "still alive"
    assert not [u for u in collector.updates(task_id) if isinstance(u, TaskOutput)]


def test_agent_gets_its_task_environment_and_the_makima_cli(
    daemon: DaemonProcess, collector: UpdateCollector, publisher: Publisher, origin: Path
) -> None:
    names = ["MAKIMA_URL", "MAKIMA_API_KEY", "MAKIMA_DIRECTIVE_ID", "MAKIMA_STEP_ID",
             "MAKIMA_TASK_ID", "MAKIMA_ATTEMPT", "MAKIMA_REDIS_URL"]
    dump = f"import json, os; json.dump({{k: os.environ.get(k) for k in {names!r}}}, open('env.json', 'w'))"
    task = make_task(origin, script(json.dumps({"run": ["python3", "-c", dump], "check": True}),
                                    '{"makima": ["--help"], "check": true}'))
    publisher.publish(task)
    finished = collector.wait_finished(task.task_id)
    assert finished.status == TaskStatus.DONE, finished
    env = json.loads(read_file(origin, task.branch, "env.json"))
    assert env == {
        "MAKIMA_URL": task.api_url, "MAKIMA_API_KEY": task.api_token,
        "MAKIMA_DIRECTIVE_ID": str(task.directive_id), "MAKIMA_STEP_ID": str(task.step_id),
        "MAKIMA_TASK_ID": str(task.task_id), "MAKIMA_ATTEMPT": "1",
        "MAKIMA_REDIS_URL": None,  # the daemon's own settings stay out of the agent's reach
    }
    help_text = [e.text for e in collector.output_events(task.task_id) if e.kind == "tool_result"]
    assert "Hand a goal for a git repository" in help_text[1]
