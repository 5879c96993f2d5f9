"""`makima directive watch` shows the events and what the running agent does, live."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.lifecycle.helpers import action, create_directive, start, wait_status
from tests.support.sample_repo import make_sample_repo, script


def test_watch_prints_events_and_agent_output(
    stack: httpx.Client, stack_env: dict[str, str], owner_token: str, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [{"name": "talk", "task_plan": script(action(sleep=1), action(say="all done here"))}]
    directive_id = create_directive(stack, repo, plan)["directive"]["id"]
    env = {
        **stack_env,
        "MAKIMA_API_KEY": owner_token,
        "MAKIMA_URL": stack_env["MAKIMA_API_URL"],
        "PYTHONUNBUFFERED": "1",
    }
    makima = str(Path(sys.executable).parent / "makima")
    watcher = subprocess.Popen(
        [makima, "directive", "watch", directive_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        start(stack, directive_id)
        wait_status(stack, directive_id, {"completing", "completed"})
        time.sleep(2)  # the watcher polls the stream; let it print the last events
    finally:
        os.killpg(watcher.pid, signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
    assert "step ready → running" in out, out + err
    assert "step evaluating → passed" in out, out
    assert "│" in out and "all done here" in out, out
