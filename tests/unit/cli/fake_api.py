"""A tiny real HTTP server answering canned JSON: the API's test double for CLI unit tests.

Routes are `(method, path)` → a list of answers, used in turn (the last one repeats). An
answer is `(status, body)`; a body that is a list of `Sse` chunks is served as an event
stream. Every request is recorded, so a test can check what the CLI sent — or that it
sent nothing at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel


@dataclass(frozen=True)
class Sse:
    """One server-sent event, or (`drop=True`) an abrupt end of the connection."""

    id: int = 0
    data: str = ""
    drop: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Answer = tuple[int, Any]


@dataclass
class FakeApi:
    url: str = ""
    routes: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.routes[(method, path)] = list(answers)

    def json(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.on(method, path, (status, dump(body)))

    def answer(self, method: str, path: str) -> Answer | None:
        answers = self.routes.get((method, path))
        if not answers:
            return None
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def sent(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [dump(item) for item in value]
    return value


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            api.requests.append(
                Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
            )
            answer = api.answer(self.command, parts.path)
            if answer is None:
                answer = (404, {"error": "not_found", "detail": f"no route {parts.path}"})
            status, body = answer
            if isinstance(body, list) and body and isinstance(body[0], Sse):
                self._stream(body)
                return
            payload = b"" if status == 204 else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, chunks: list[Sse]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b": keep-alive\n\n")
            for chunk in chunks:
                if chunk.drop:
                    break
                text = f"id: {chunk.id}\nevent: message\ndata: {chunk.data}\n\n"
                self.wfile.write(text.encode())
                self.wfile.flush()
            self.close_connection = True

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler


def serve() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
