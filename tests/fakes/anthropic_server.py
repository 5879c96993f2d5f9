"""A fake Anthropic Messages API for driving the real Claude Code CLI in tests.

Started on 127.0.0.1 on a free port in a background thread; point the CLI at it with
`ANTHROPIC_BASE_URL=<server.url>` and any `ANTHROPIC_API_KEY`.

The test drives the "model" with one line in the prompt::

    fake-model: {"tools": [{"bash": "printf hi > a.txt"}], "say": "done"}

Keys of that JSON object (all optional):
- `tools`: a list of tool calls made one per turn, in order. Each is `{"bash": "<command>"}`
  or `{"write": {"path": "<relative path>", "content": "..."}}` (a `Write` call with the
  absolute path under the session's working directory, taken from the request).
- `say`: the final text, sent with `stop_reason: end_turn` after the last tool result.
- `error`: an HTTP status (e.g. 400, 500) answered instead of a reply.
- `delay`: seconds to wait before answering each turn that follows a tool result, or, with
  `delay_first`, also the first turn.

The reply is decided from the LAST user message only, so the server depends neither on the
CLI's tool list nor on the order of its other messages: if that message carries tool
results, the next tool call (counted by the tool results since the instruction) or the final
text is sent; otherwise the instruction found in it starts a new exchange. Requests without
`tools` are side calls (titles, summaries) and get a short text. Every request body is kept
in `requests` so a test can inspect what the CLI sent (e.g. that `--resume` replayed the
earlier conversation).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INSTRUCTION_RE = re.compile(r"fake-model:\s*(\{.*\})")
CWD_RE = re.compile(r"working directory:\s*(/[^\s\"\\]+)", re.IGNORECASE)


@dataclass
class Instruction:
    tools: list[dict[str, Any]] = field(default_factory=list)
    say: str = "ok"
    error: int | None = None
    delay: float = 0.0
    delay_first: bool = False


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _texts(message: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for block in _blocks(message):
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            inner = block.get("content")
            if isinstance(inner, str):
                texts.append(inner)
            elif isinstance(inner, list):
                texts.extend(str(b.get("text", "")) for b in inner if isinstance(b, dict))
    return texts


def _find_instruction(messages: list[dict[str, Any]]) -> tuple[int, Instruction] | None:
    """The index of the last user message holding an instruction, and the instruction."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") != "user":
            continue
        for text in _texts(message):
            if any(b.get("type") == "tool_result" for b in _blocks(message)):
                continue
            found = INSTRUCTION_RE.search(text)
            if found:
                return index, Instruction(**json.loads(found.group(1)))
    return None


def _working_directory(body: dict[str, Any]) -> str:
    found = CWD_RE.search(json.dumps(body.get("system", "")))
    if found is None:
        found = CWD_RE.search(json.dumps(body.get("messages", [])))
    if found is None:
        raise ValueError("the request names no working directory; use a bash tool call")
    return found.group(1)


class FakeAnthropicServer:
    """Owns the HTTP server thread; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAnthropicServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    def requests_mentioning(self, text: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if text in json.dumps(r)]

    # -- deciding the reply -------------------------------------------------------------

    def reply_for(self, body: dict[str, Any]) -> tuple[int | None, float, list[dict[str, Any]]]:
        """(HTTP error or None, delay, content blocks) for one /v1/messages request."""
        if not body.get("tools"):
            return None, 0.0, [{"type": "text", "text": "Fake title"}]
        messages: list[dict[str, Any]] = body.get("messages", [])
        found = _find_instruction(messages)
        if found is None:
            return None, 0.0, [{"type": "text", "text": "no fake-model instruction found"}]
        index, instruction = found
        if instruction.error is not None:
            return instruction.error, 0.0, []
        done = sum(
            1
            for message in messages[index + 1 :]
            if message.get("role") == "user"
            for block in _blocks(message)
            if block.get("type") == "tool_result"
        )
        delay = instruction.delay if (done or instruction.delay_first) else 0.0
        if done < len(instruction.tools):
            return None, delay, [self._tool_use(instruction.tools[done], body)]
        return None, delay, [{"type": "text", "text": instruction.say}]

    def _tool_use(self, call: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        tool_id = "toolu_" + uuid.uuid4().hex[:20]
        if "bash" in call:
            tool_input: dict[str, Any] = {"command": call["bash"], "description": "fake"}
            name = "Bash"
        else:
            write = call["write"]
            path = f"{_working_directory(body)}/{write['path']}"
            tool_input = {"file_path": path, "content": write["content"]}
            name = "Write"
        return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _stream(model: str, blocks: list[dict[str, Any]]) -> Iterator[bytes]:
    message_id = "msg_" + uuid.uuid4().hex[:20]
    usage = {"input_tokens": 120, "output_tokens": 1, "cache_read_input_tokens": 0,
             "cache_creation_input_tokens": 0}
    yield _sse("message_start", {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}})
    stop_reason = "end_turn"
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            yield _sse("content_block_start", {"type": "content_block_start", "index": index,
                                               "content_block": {"type": "text", "text": ""}})
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                               "delta": {"type": "text_delta",
                                                         "text": block["text"]}})
        else:
            stop_reason = "tool_use"
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield _sse("content_block_start", {"type": "content_block_start", "index": index,
                                               "content_block": start})
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                               "delta": {"type": "input_json_delta",
                                                         "partial_json": json.dumps(
                                                             block["input"])}})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _sse("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                 "usage": {"output_tokens": 40}})
    yield _sse("message_stop", {"type": "message_stop"})


def _make_handler(fake: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._json(200, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            path = self.path.split("?", 1)[0]
            if path.endswith("/count_tokens"):
                self._json(200, {"input_tokens": 100})
                return
            if not path.endswith("/v1/messages"):
                self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                           "message": path}})
                return
            fake.record(body)
            error, delay, blocks = fake.reply_for(body)
            if delay:
                time.sleep(delay)
            if error is not None:
                kind = "invalid_request_error" if error < 500 else "api_error"
                self._json(error, {"type": "error", "error": {
                    "type": kind, "message": f"fake-model error {error}"}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in _stream(str(body.get("model", "claude-sonnet-4-5")), blocks):
                self.wfile.write(chunk)
            self.wfile.flush()

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
