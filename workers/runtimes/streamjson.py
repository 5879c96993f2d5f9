"""Claude Code's `--output-format stream-json` protocol, shared by every runtime speaking it.

`StreamJsonParser` turns the lines into `AgentEvent`s and keeps the session id and the final
`result` line. `StreamJsonRuntime` runs a command that speaks the protocol (the real CLI, or
the scripted agent) in its own process group and judges the outcome the same way for all:

- stopped by cancel / time limit / daemon shutdown → CANCELLED / TIMEOUT / DAEMON_LOST;
- could not start, or killed by a signal → AGENT_CRASH;
- a result line with `is_error: true` → the runtime's `is_error_kind` (AGENT_ERROR),
  whatever its `subtype` says (the CLI reports API errors as subtype "success");
- a non-zero exit code → AGENT_EXIT; no result line at all → AGENT_NO_RESULT.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from schemas.enums import ErrorKind
from workers.processes import ProcessResult, StopReason, StopSignal, run_process
from workers.runtimes.base import (
    AgentEvent,
    AgentOutcome,
    AgentRequest,
    EventSink,
    Runtime,
    clip,
)

MAX_EVENT_TEXT = 4000
MAX_INPUT_SUMMARY = 300

_STOP_KINDS = {
    StopReason.CANCELLED: ErrorKind.CANCELLED,
    StopReason.TIMED_OUT: ErrorKind.TIMEOUT,
    StopReason.SHUTDOWN: ErrorKind.DAEMON_LOST,
}


def _clip(text: str, limit: int = MAX_EVENT_TEXT) -> str:
    return clip(text, limit)


@dataclass(frozen=True)
class ResultLine:
    """The last line of a session: `{"type": "result", ...}`."""

    is_error: bool
    subtype: str
    text: str | None
    turns: int
    cost_usd: float
    session_id: str | None
    api_error_status: int | None


def _number(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


class StreamJsonParser:
    """Feed it stdout lines; it returns events and remembers the session id and result."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.result: ResultLine | None = None

    def feed(self, line: str) -> list[AgentEvent]:
        line = line.strip()
        if not line:
            return []
        try:
            payload = json.loads(line)
        except json.JSONDecodeError:
            return [AgentEvent("stdout", _clip(line))]
        if not isinstance(payload, dict):
            return [AgentEvent("stdout", _clip(line))]
        if isinstance(payload.get("session_id"), str) and self.session_id is None:
            self.session_id = payload["session_id"]
        kind = payload.get("type")
        if kind == "system":
            return [self._system(payload)]
        if kind in ("assistant", "user"):
            return self._message(payload)
        if kind == "result":
            return [self._result(payload)]
        return [AgentEvent("other", str(kind), {"type": str(kind)})]

    def _system(self, payload: dict[str, Any]) -> AgentEvent:
        subtype = str(payload.get("subtype", ""))
        if subtype == "init":
            model = payload.get("model")
            return AgentEvent("system", f"session {self.session_id} started (model {model})",
                              {"subtype": subtype, "model": model, "cwd": payload.get("cwd")})
        if subtype == "api_retry":
            text = (f"API retry {payload.get('attempt')}/{payload.get('max_retries')}: "
                    f"{payload.get('error')} (status {payload.get('error_status')})")
            return AgentEvent("system", text, {"subtype": subtype})
        return AgentEvent("system", subtype or "system", {"subtype": subtype})

    def _message(self, payload: dict[str, Any]) -> list[AgentEvent]:
        message = payload.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            return []
        events: list[AgentEvent] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            block_type = block.get("type")
            if block_type == "text" and block.get("text"):
                events.append(AgentEvent("text", _clip(str(block["text"]))))
            elif block_type == "thinking" and block.get("thinking"):
                events.append(AgentEvent("thinking", _clip(str(block["thinking"]))))
            elif block_type == "tool_use":
                name = str(block.get("name", "tool"))
                summary = _clip(json.dumps(block.get("input", {}), ensure_ascii=False),
                                MAX_INPUT_SUMMARY)
                events.append(AgentEvent("tool_use", f"{name} {summary}",
                                         {"tool": name, "id": block.get("id")}))
            elif block_type == "tool_result":
                events.append(AgentEvent("tool_result", _clip(_result_text(block.get("content"))),
                                         {"id": block.get("tool_use_id"),
                                          "is_error": bool(block.get("is_error", False))}))
        return events

    def _result(self, payload: dict[str, Any]) -> AgentEvent:
        status = payload.get("api_error_status")
        text = payload.get("result")
        self.result = ResultLine(
            is_error=bool(payload.get("is_error", False)),
            subtype=str(payload.get("subtype", "")),
            text=str(text) if text is not None else None,
            turns=int(_number(payload.get("num_turns"))),
            cost_usd=max(0.0, _number(payload.get("total_cost_usd"))),
            session_id=payload.get("session_id") or self.session_id,
            api_error_status=status if isinstance(status, int) else None,
        )
        data = {"is_error": self.result.is_error, "subtype": self.result.subtype,
                "turns": self.result.turns, "cost_usd": self.result.cost_usd}
        return AgentEvent("result", _clip(self.result.text or ""), data)


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def judge(process: ProcessResult, parser: StreamJsonParser, is_error_kind: ErrorKind,
          ) -> AgentOutcome:
    """The outcome of a stream-json session, from how the process ended and what it said."""
    result = parser.result
    common: dict[str, Any] = {
        "cost_usd": result.cost_usd if result else 0.0,
        "turns": result.turns if result else 0,
        "session_id": (result.session_id if result else None) or parser.session_id,
        "result_text": result.text if result else None,
        "exit_code": process.returncode,
    }
    stderr = f"; stderr: {process.stderr_tail[-1000:]}" if process.stderr_tail else ""
    if process.start_error is not None:
        return AgentOutcome(ErrorKind.AGENT_CRASH, f"could not start: {process.start_error}",
                            **common)
    if process.stopped is not None:
        return AgentOutcome(_STOP_KINDS[process.stopped], f"session stopped: {process.stopped}",
                            stopped=process.stopped, **common)
    code = process.returncode
    if code is not None and code < 0:
        return AgentOutcome(ErrorKind.AGENT_CRASH, f"agent killed by signal {-code}{stderr}",
                            **common)
    if result is not None and result.is_error:
        status = f" (API status {result.api_error_status})" if result.api_error_status else ""
        return AgentOutcome(is_error_kind, f"{result.text or result.subtype}{status}", **common)
    if code != 0:
        return AgentOutcome(ErrorKind.AGENT_EXIT, f"agent exited with code {code}{stderr}",
                            **common)
    if result is None:
        return AgentOutcome(ErrorKind.AGENT_NO_RESULT, f"session ended without a result{stderr}",
                            **common)
    return AgentOutcome(**common)


@dataclass(frozen=True)
class AgentCommand:
    argv: list[str]
    env: dict[str, str]
    stdin_text: str | None = None
    notes: tuple[AgentEvent, ...] = field(default=())  # said before the process starts


class StreamJsonRuntime(Runtime):
    """A runtime whose process prints stream-json on stdout; subclasses build the command."""

    is_error_kind: ClassVar[ErrorKind] = ErrorKind.AGENT_ERROR

    def __init__(self, kill_grace_seconds: float) -> None:
        self.kill_grace_seconds = kill_grace_seconds

    @abstractmethod
    def command(self, request: AgentRequest) -> AgentCommand:
        """The argv, environment and stdin of one session."""

    def run(self, request: AgentRequest, on_event: EventSink, stop: StopSignal) -> AgentOutcome:
        command = self.command(request)
        for note in command.notes:
            on_event(note)
        parser = StreamJsonParser()

        def on_line(line: str) -> None:
            for event in parser.feed(line):
                on_event(event)

        process = run_process(
            command.argv,
            cwd=request.cwd,
            env=command.env,
            stdin_text=command.stdin_text,
            on_stdout_line=on_line,
            on_stderr_line=lambda line: on_event(AgentEvent("stderr", _clip(line))),
            stop=stop,
            kill_grace_seconds=self.kill_grace_seconds,
            on_start=request.on_process,
        )
        return judge(process, parser, self.is_error_kind)
