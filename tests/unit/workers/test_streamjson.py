"""Parsing Claude Code's stream-json lines and judging how a session ended."""

from __future__ import annotations

import json

from schemas.enums import ErrorKind
from workers.processes import ProcessResult, StopReason
from workers.runtimes.streamjson import StreamJsonParser, judge

INIT = {"type": "system", "subtype": "init", "cwd": "/w", "session_id": "s-1",
        "tools": ["Bash"], "model": "claude-x"}
TOOL_USE = {"type": "assistant", "message": {"content": [
    {"type": "text", "text": "Writing it."},
    {"type": "tool_use", "id": "t1", "name": "Write", "input": {"file_path": "/w/a", "content": "x"}},
]}, "session_id": "s-1"}
TOOL_RESULT = {"type": "user", "message": {"content": [
    {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "ok"}]},
]}, "session_id": "s-1"}
RESULT = {"type": "result", "subtype": "success", "is_error": False, "num_turns": 3,
          "result": "all done", "session_id": "s-1", "total_cost_usd": 0.0123}


def feed_all(parser: StreamJsonParser, *payloads: object) -> list[tuple[str, str]]:
    events = []
    for payload in payloads:
        line = payload if isinstance(payload, str) else json.dumps(payload)
        events += [(e.kind, e.text) for e in parser.feed(line)]
    return events


def process(code: int | None = 0, **kw: object) -> ProcessResult:
    fields: dict[str, object] = {"returncode": code, "start_error": None, "stopped": None,
                                 "timed_out": False, "stderr_tail": "", "duration_seconds": 1.0}
    fields.update(kw)
    return ProcessResult(**fields)  # type: ignore[arg-type]


def test_a_full_session_becomes_events_and_a_result() -> None:
    parser = StreamJsonParser()
    events = feed_all(parser, INIT, TOOL_USE, TOOL_RESULT, "not json", "", RESULT)
    kinds = [kind for kind, _ in events]
    assert kinds == ["system", "text", "tool_use", "tool_result", "stdout", "result"]
    assert events[2][1].startswith("Write {")
    assert events[3][1] == "ok"
    assert parser.session_id == "s-1"
    assert parser.result is not None
    assert (parser.result.turns, parser.result.cost_usd, parser.result.text) == (3, 0.0123, "all done")
    outcome = judge(process(0), parser, ErrorKind.AGENT_ERROR)
    assert outcome.succeeded
    assert (outcome.session_id, outcome.cost_usd, outcome.turns) == ("s-1", 0.0123, 3)


def test_is_error_wins_over_a_success_subtype_and_the_exit_code() -> None:
    parser = StreamJsonParser()
    feed_all(parser, INIT, {**RESULT, "is_error": True, "api_error_status": 400,
                            "result": "API Error: 400 bad"})
    outcome = judge(process(1), parser, ErrorKind.AGENT_ERROR)
    assert outcome.error_kind == ErrorKind.AGENT_ERROR
    assert outcome.error_detail is not None and "400" in outcome.error_detail


def test_exit_code_without_error_result_is_agent_exit() -> None:
    parser = StreamJsonParser()
    feed_all(parser, INIT, RESULT)
    assert judge(process(2), parser, ErrorKind.AGENT_ERROR).error_kind == ErrorKind.AGENT_EXIT


def test_missing_result_line_is_no_result() -> None:
    parser = StreamJsonParser()
    feed_all(parser, INIT, TOOL_USE)
    outcome = judge(process(0), parser, ErrorKind.AGENT_ERROR)
    assert outcome.error_kind == ErrorKind.AGENT_NO_RESULT
    assert outcome.session_id == "s-1"


def test_signal_death_and_start_failure_are_crashes() -> None:
    parser = StreamJsonParser()
    feed_all(parser, INIT)
    assert judge(process(-9), parser, ErrorKind.AGENT_ERROR).error_kind == ErrorKind.AGENT_CRASH
    failed_start = process(None, start_error="claude: not found")
    assert judge(failed_start, parser, ErrorKind.AGENT_ERROR).error_kind == ErrorKind.AGENT_CRASH


def test_stops_map_to_their_kinds() -> None:
    parser = StreamJsonParser()
    for reason, kind in [(StopReason.CANCELLED, ErrorKind.CANCELLED),
                         (StopReason.TIMED_OUT, ErrorKind.TIMEOUT),
                         (StopReason.SHUTDOWN, ErrorKind.DAEMON_LOST)]:
        outcome = judge(process(-15, stopped=reason), parser, ErrorKind.AGENT_ERROR)
        assert (outcome.error_kind, outcome.stopped) == (kind, reason)


def test_odd_lines_do_not_break_the_parser() -> None:
    parser = StreamJsonParser()
    events = feed_all(parser, "[1, 2]", {"type": "mystery"}, {"type": "assistant"},
                      {"type": "result", "num_turns": "x", "total_cost_usd": None})
    assert [kind for kind, _ in events] == ["stdout", "other", "result"]
    assert parser.result is not None and parser.result.turns == 0


def test_long_texts_are_clipped() -> None:
    events = feed_all(StreamJsonParser(), {"type": "assistant", "message": {
        "content": [{"type": "text", "text": "y" * 10000}]}})
    assert len(events[0][1]) == 4000
