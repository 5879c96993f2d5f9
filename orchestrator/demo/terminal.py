"""Showing the demo's progress: a frame redrawn in place on a terminal, or a plain log.

`LiveScreen` moves the cursor back over its previous frame (ANSI: cursor up, erase to the
end of the screen) and prints the new one, each line cut to the terminal's width so that
nothing wraps and the count of lines to move back over stays right. `PlainLog` appends one
line per new event and per thing an agent did or said, for pipes, CI logs and `--no-live`,
and prints the DAG at the end.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TextIO

from orchestrator.demo.progress import (
    MAX_EVENTS,
    Snapshot,
    dag_lines,
    event_line,
    fit,
    render_progress,
)
from schemas.events import EventPublic

AGENT_CHARS = 160
CURSOR_UP = "\x1b[{}F"  # to the start of the line n lines up
ERASE_DOWN = "\x1b[J"


class ProgressView(Protocol):
    def update(self, snapshot: Snapshot, new_events: Sequence[EventPublic]) -> None: ...

    def finish(self, snapshot: Snapshot) -> None:
        """The last frame: what stays on screen above the final report."""


def is_live_terminal(stream: TextIO) -> bool:
    return stream.isatty() and os.environ.get("TERM", "") not in ("", "dumb")


class LiveScreen:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        size: Callable[[], os.terminal_size] | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self._size = size or (lambda: shutil.get_terminal_size((100, 30)))
        self._drawn = 0

    def update(self, snapshot: Snapshot, new_events: Sequence[EventPublic]) -> None:
        self._draw(snapshot)

    def finish(self, snapshot: Snapshot) -> None:
        self._draw(snapshot)

    def _draw(self, snapshot: Snapshot) -> None:
        width, height = self._size()
        lines = render_progress(snapshot)
        # The cursor cannot move above the top of the screen: a frame taller than the
        # screen shows fewer events, and is cut if it is still too tall.
        excess = len(lines) - (height - 1)
        if excess > 0:
            lines = render_progress(snapshot, max_events=max(0, MAX_EVENTS - excess))
            lines = lines[: max(1, height - 1)]
        frame = "".join(fit(line, width) + "\n" for line in lines)
        back = (CURSOR_UP.format(self._drawn) if self._drawn else "") + ERASE_DOWN
        self.stream.write(back + frame)
        self.stream.flush()
        self._drawn = len(lines)


class PlainLog:
    """New events as they arrive, and what the agents did and said (tool calls, text,
    results) as it is read; `makima directive output` has every line of a session."""

    def __init__(
        self, stream: TextIO | None = None, *, now: Callable[[], datetime] = datetime.now
    ) -> None:
        self.stream = stream or sys.stdout
        self._now = now

    def update(self, snapshot: Snapshot, new_events: Sequence[EventPublic]) -> None:
        names = {step.id: step.name for step in snapshot.detail.steps}
        for event in new_events:
            line = event_line(event, names)
            if line is not None:
                self.stream.write(line + "\n")
        for step_id, said in snapshot.agent_lines:
            name = names.get(step_id, step_id.hex[:8])
            text = fit(said, AGENT_CHARS)
            self.stream.write(f"{self._now():%H:%M:%S}   {'agent':<12}  {name}: {text}\n")
        self.stream.flush()

    def finish(self, snapshot: Snapshot) -> None:
        self.stream.write("\n" + "\n".join(dag_lines(snapshot.detail, snapshot.tasks)) + "\n")
        self.stream.flush()
