"""A fake GitHub REST API (the pull request endpoints) for tests, served over real HTTP.

Started on 127.0.0.1 on a free port in a background thread; pass `fake.url` as the forge's
`api_url` (or `MAKIMA_GITHUB_API_URL` to a worker subprocess) and `fake.token` as its token.

Endpoints, shaped like GitHub's (API version 2022-11-28):

- `GET  /repos/{owner}/{repo}/pulls` — `state` (open by default, closed, all), `head`
  (`user:ref-name`; like GitHub, a value without the colon filters nothing), `base`,
  `per_page`, `page`; newest first.
- `GET  /repos/{owner}/{repo}/pulls/{number}`
- `POST /repos/{owner}/{repo}/pulls` — `{title, head, base, body}`; `head` is `ref` or
  `owner:ref`. 201, or 422 `Validation Failed` with "A pull request already exists for
  owner:ref." when an open PR has the same head and base (GitHub allows one head to have
  open PRs against several bases, and so does the fake).
- `PATCH /repos/{owner}/{repo}/pulls/{number}` — `title`, `body`, `base`, `state`.

Every request must carry `Authorization: Bearer <token>` (or `token <token>`), else 401
`Bad credentials`. Repositories exist on first use unless the fake was given a list
(`repositories=`), in which case others are 404 `Not Found`. Branches are not checked unless
`set_branches()` names the repository's branches; then an unknown head or base is a 422.

Test controls: `fail_next(count, status)` answers the next requests with an error (optionally
only for one method, with extra headers such as `x-ratelimit-remaining: 0`); `on_request(hook)`
runs a callable on every recorded request before it is handled (e.g. to open a competing PR
between a forge's lookup and its POST); `requests` records method, path, query, JSON body and
headers of every request. The server is thread-safe and serves connections concurrently, so
a Celery worker subprocess can call it while the test inspects it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DOCS_URL = "https://docs.github.com/rest/pulls/pulls"
_PULLS_PATH = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls(?:/(?P<number>[^/]+))?/?$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    """Decoded path, e.g. `/repos/octo/hello/pulls`."""
    query: dict[str, str]
    """First value of each query parameter, decoded."""
    json: Any
    """The parsed JSON body, or None when there was none."""
    headers: dict[str, str]
    """Header names in lower case."""
    raw_path: str = ""
    """The request target exactly as sent (percent-encoding kept)."""


@dataclass
class FakePull:
    repository: str
    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "open"
    head_sha: str = ""
    created_at: str = ""
    updated_at: str = ""
    patches: int = 0
    """How many PATCH requests changed this pull request."""


@dataclass
class _Failure:
    status: int
    message: str
    headers: dict[str, str]
    method: str | None


@dataclass
class _Answer:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    """Owns the HTTP server thread; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        token: str = "ghp_fake-token",
        repositories: Iterable[str] | None = None,
        html_url: str = "https://github.com",
    ) -> None:
        self.token = token
        self.html_url = html_url.rstrip("/")
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._pulls: dict[str, list[FakePull]] = {}
        self._numbers: dict[str, int] = {}
        self._branches: dict[str, set[str]] = {}
        self._known = None if repositories is None else {r.lower() for r in repositories}
        self._failures: deque[_Failure] = deque()
        self._hooks: list[Callable[[RecordedRequest], object]] = []
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        # A short poll interval: shutdown() waits for the serving loop's next poll.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-github",
            daemon=True,
        )
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base URL (what `api.github.com` is for the real thing)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` requests (of `method` only, if given) with `status`."""
        failure = _Failure(
            status=status,
            message=message or _DEFAULT_MESSAGES.get(status, "Server Error"),
            headers=dict(headers or {}),
            method=method.upper() if method else None,
        )
        with self._lock:
            self._failures.extend([failure] * count)

    def on_request(self, hook: Callable[[RecordedRequest], object]) -> None:
        """Run `hook(request)` on every request after it is recorded, before it is handled.

        Hooks run on the server thread, outside the fake's lock, so they may call
        `open_pull` and friends."""
        with self._lock:
            self._hooks.append(hook)

    def set_branches(self, repository: str, branches: Iterable[str]) -> None:
        """From now on, a head or base not in `branches` is refused with 422, as GitHub does."""
        with self._lock:
            self._branches[repository.lower()] = set(branches)

    def open_pull(
        self, repository: str, *, head: str, base: str, title: str, body: str = ""
    ) -> FakePull:
        """Open a PR directly (as another opener would), bypassing HTTP and its checks."""
        with self._lock:
            pull = self._new_pull(repository, head=head, base=base, title=title, body=body)
            return dataclasses.replace(pull)

    def close_pull(self, repository: str, number: int) -> None:
        with self._lock:
            self._find(repository, number).state = "closed"

    def pulls(self, repository: str) -> list[FakePull]:
        """Copies of the repository's PRs, every state, oldest first."""
        with self._lock:
            return [dataclasses.replace(p) for p in self._pulls.get(repository.lower(), [])]

    def requests_for(self, method: str, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method.upper() and (path is None or r.path == path)
            ]

    # -- the server side ----------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> _Answer:
        with self._lock:
            self.requests.append(request)
            hooks = list(self._hooks)
        for hook in hooks:
            hook(request)
        with self._lock:
            failure = self._take_failure(request.method)
            if failure is not None:
                return _Answer(
                    failure.status,
                    {"message": failure.message, "documentation_url": DOCS_URL},
                    failure.headers,
                )
            if not self._authorized(request.headers.get("authorization", "")):
                return _Answer(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                        "status": "401",
                    },
                )
            return self._route(request)

    def _take_failure(self, method: str) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.method is None or failure.method == method:
                del self._failures[index]
                return failure
        return None

    def _authorized(self, authorization: str) -> bool:
        scheme, _, credential = authorization.partition(" ")
        return scheme.lower() in ("bearer", "token") and credential.strip() == self.token

    def _route(self, request: RecordedRequest) -> _Answer:
        # Routed on the path as sent, so a forge that forgets to quote a part gets a 404.
        found = _PULLS_PATH.match(urlsplit(request.raw_path).path)
        if found is None:
            return _not_found()
        repository = f"{unquote(found['owner'])}/{unquote(found['repo'])}"
        if self._known is not None and repository.lower() not in self._known:
            return _not_found()
        number_text = found["number"]
        if number_text is None:
            if request.method == "GET":
                return self._list(repository, request.query)
            if request.method == "POST":
                return self._create(repository, request.json)
            return _not_found()
        if not number_text.isdigit():
            return _not_found()
        pull = self._pulls_of(repository).get(int(number_text))
        if pull is None:
            return _not_found()
        if request.method == "GET":
            return _Answer(200, self._payload(pull))
        if request.method == "PATCH":
            return self._update(pull, request.json)
        return _not_found()

    def _list(self, repository: str, query: dict[str, str]) -> _Answer:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return _validation_failed([{"resource": "Issue", "field": "state", "code": "invalid"}])
        owner = repository.split("/")[0]
        pulls = list(self._pulls.get(repository.lower(), []))
        if state != "all":
            pulls = [p for p in pulls if p.state == state]
        head = query.get("head")
        if head and ":" in head:
            head_owner, _, head_ref = head.partition(":")
            pulls = [
                p for p in pulls if head_owner.lower() == owner.lower() and p.head == head_ref
            ]
        if query.get("base"):
            pulls = [p for p in pulls if p.base == query["base"]]
        pulls.reverse()
        per_page = min(int(query.get("per_page", "30")), 100)
        page = max(int(query.get("page", "1")), 1)
        chosen = pulls[(page - 1) * per_page : page * per_page]
        return _Answer(200, [self._payload(p) for p in chosen])

    def _create(self, repository: str, body: Any) -> _Answer:
        if not isinstance(body, dict):
            return _Answer(400, {"message": "Problems parsing JSON"})
        missing = [
            {"resource": "PullRequest", "field": key, "code": "missing_field"}
            for key in ("head", "base")
            if not isinstance(body.get(key), str) or not body[key]
        ]
        if not isinstance(body.get("title"), str) or not body["title"]:
            missing.append({"resource": "Issue", "field": "title", "code": "missing_field"})
        if missing:
            return _validation_failed(missing)
        owner = repository.split("/")[0]
        head: str = body["head"]
        if ":" in head:
            head_owner, _, head = head.partition(":")
            if head_owner.lower() != owner.lower():
                return _validation_failed(
                    [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
                )
        base: str = body["base"]
        refused = self._unknown_branches(repository, head=head, base=base)
        if refused:
            return _validation_failed(refused)
        if head == base:
            return _validation_failed(
                [{"resource": "PullRequest", "code": "custom",
                  "message": f"No commits between {base} and {head}"}]
            )
        if any(
            p.state == "open" and p.head == head and p.base == base
            for p in self._pulls_of(repository).values()
        ):
            return _validation_failed(
                [{"resource": "PullRequest", "code": "custom",
                  "message": f"A pull request already exists for {owner}:{head}."}]
            )
        pull = self._new_pull(
            repository, head=head, base=base, title=body["title"], body=str(body.get("body") or "")
        )
        return _Answer(201, self._payload(pull))

    def _update(self, pull: FakePull, body: Any) -> _Answer:
        if not isinstance(body, dict):
            return _Answer(400, {"message": "Problems parsing JSON"})
        base = body.get("base", pull.base)
        if base != pull.base:
            refused = self._unknown_branches(pull.repository, head=None, base=base)
            if refused:
                return _validation_failed(refused)
            if any(
                p.state == "open" and p.head == pull.head and p.base == base
                for p in self._pulls_of(pull.repository).values()
            ):
                return _validation_failed(
                    [{"resource": "PullRequest", "code": "custom",
                      "message": f"A pull request already exists for base branch '{base}' "
                      f"and head branch '{pull.head}'"}]
                )
        state = body.get("state", pull.state)
        if state not in ("open", "closed"):
            return _validation_failed([{"resource": "PullRequest", "field": "state",
                                        "code": "invalid"}])
        pull.title = str(body.get("title", pull.title))
        pull.body = str(body.get("body", pull.body) or "")
        pull.base = str(base)
        pull.state = state
        pull.patches += 1
        pull.updated_at = _now()
        return _Answer(200, self._payload(pull))

    def _unknown_branches(
        self, repository: str, *, head: str | None, base: str
    ) -> list[dict[str, str]]:
        branches = self._branches.get(repository.lower())
        if branches is None:
            return []
        return [
            {"resource": "PullRequest", "field": name, "code": "invalid"}
            for name, ref in (("head", head), ("base", base))
            if ref is not None and ref not in branches
        ]

    def _pulls_of(self, repository: str) -> dict[int, FakePull]:
        return {p.number: p for p in self._pulls.get(repository.lower(), [])}

    def _find(self, repository: str, number: int) -> FakePull:
        pull = self._pulls_of(repository).get(number)
        if pull is None:
            raise KeyError(f"{repository} has no pull request #{number}")
        return pull

    def _new_pull(
        self, repository: str, *, head: str, base: str, title: str, body: str
    ) -> FakePull:
        key = repository.lower()
        number = self._numbers.get(key, 0) + 1
        self._numbers[key] = number
        now = _now()
        pull = FakePull(
            repository=repository,
            number=number,
            title=title,
            body=body,
            head=head,
            base=base,
            head_sha=f"{number:040x}",
            created_at=now,
            updated_at=now,
        )
        self._pulls.setdefault(key, []).append(pull)
        return pull

    def _payload(self, pull: FakePull) -> dict[str, Any]:
        owner = pull.repository.split("/")[0]
        repo = {"full_name": pull.repository, "name": pull.repository.split("/")[1],
                "owner": {"login": owner}}
        api = f"{self.url}/repos/{pull.repository}/pulls/{pull.number}"
        return {
            "url": api,
            "id": 1_000_000 + pull.number,
            "html_url": f"{self.html_url}/{pull.repository}/pull/{pull.number}",
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "draft": False,
            "user": {"login": "makima-bot"},
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "head": {"label": f"{owner}:{pull.head}", "ref": pull.head,
                     "sha": pull.head_sha, "repo": repo},
            "base": {"label": f"{owner}:{pull.base}", "ref": pull.base,
                     "sha": "0" * 40, "repo": repo},
        }


_DEFAULT_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by personal access token",
    404: "Not Found",
    422: "Validation Failed",
    429: "API rate limit exceeded",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_found() -> _Answer:
    return _Answer(404, {"message": "Not Found", "documentation_url": DOCS_URL, "status": "404"})


def _validation_failed(errors: list[dict[str, str]]) -> _Answer:
    return _Answer(
        422,
        {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS_URL,
         "status": "422"},
    )


class _Server(ThreadingHTTPServer):
    """Joins its handler threads on close, after shutting the sockets of open connections,
    so a client's idle keep-alive connection cannot hold the shutdown (nor leak a thread)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # On the serving thread, before the handler thread starts: after shutdown() returns,
        # every accepted connection is in `_open`.
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):  # the client closed it meanwhile
                connection.shutdown(socket.SHUT_RDWR)
        super().server_close()


def _make_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # an idle keep-alive connection is dropped after this many seconds

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # Headers and body are two writes on a kept-alive connection: without this,
            # Nagle's algorithm and the client's delayed ACK add ~40 ms to every answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                self._send(_Answer(400, {"message": "Problems parsing JSON"}))
                return
            request = RecordedRequest(
                method=self.command,
                path=unquote(split.path),
                query=query,
                json=body,
                headers={k.lower(): v for k, v in self.headers.items()},
                raw_path=self.path,
            )
            try:
                answer = fake.handle(request)
            except Exception as exc:  # a broken hook must show up, not hang the client
                answer = _Answer(500, {"message": f"fake GitHub error: {exc!r}"})
            self._send(answer)

        def _send(self, answer: _Answer) -> None:
            data = json.dumps(answer.payload).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
