"""The GitHub forge: open a pull request for the directive branch, or update the open one.

REST API (version 2022-11-28) over httpx, three endpoints:

- `GET /repos/{owner}/{repo}/pulls?head={owner}:{head}&state=open` finds the open PR for the
  head, whatever its base (a PR found with another base gets its base changed);
- `PATCH /repos/{owner}/{repo}/pulls/{number}` updates title, body and base;
- `POST /repos/{owner}/{repo}/pulls` opens one when there is none.

The directive branch is pushed to the repository itself, so the head's owner is the
repository's owner. Every failure is a `ForgeError`: `retryable` for what may pass on its own
(network errors, timeouts, 5xx, rate limits), not for what needs a person (bad token, missing
permission, unknown repository, a head branch GitHub refuses). The token is sent in the
Authorization header only and scrubbed from every error text.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.forge.base import ForgeAnswer, ForgeError, PullRequestDraft
from schemas.enums import ForgeKind

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "makima"
DEFAULT_TIMEOUT = 30.0

_REPOSITORY = re.compile(r"^(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>[A-Za-z0-9._-]+)$")


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ref: str
    label: str | None = None
    """`owner:ref`; the owner tells a same-repository head from a fork's."""


class _Pull(BaseModel):
    """The part of GitHub's pull request object makima reads."""

    model_config = ConfigDict(extra="ignore")

    number: int
    html_url: str
    state: str
    base: _Ref
    head: _Ref


class GitHubForge:
    kind = ForgeKind.GITHUB

    def __init__(
        self,
        *,
        repository: str,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        found = _REPOSITORY.match(repository.strip())
        if found is None or found["name"] in (".", ".."):
            raise ForgeError(f"not a GitHub repository (owner/name): {repository!r}")
        self.owner = found["owner"]
        self.name = found["name"]
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._transport = transport
        self._pulls_path = f"/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}/pulls"

    def __repr__(self) -> str:
        return f"GitHubForge(repository='{self.owner}/{self.name}', api_url={self.api_url!r})"

    def open_or_update(self, draft: PullRequestDraft) -> ForgeAnswer:
        """Update the open PR for `draft.head` (title, body, base), or open one."""
        with self._client() as client:
            existing = self._find_open(client, draft)
            if existing is not None:
                return self._update(client, existing, draft)
            created = self._create(client, draft)
            if isinstance(created, ForgeAnswer):
                return created
            # The POST answered 422. That is ambiguous (head missing, no commits, or a PR
            # already open for this head). If another opener won the race between our lookup
            # and our POST, its PR is now listed: update that one. Otherwise report the 422.
            existing = self._find_open(client, draft)
            if existing is None:
                raise created
            log.info("GitHub PR #%s for %s opened concurrently; updating it", existing.number,
                     draft.head)
            return self._update(client, existing, draft)

    # -- the three calls ----------------------------------------------------------------

    def _find_open(self, client: httpx.Client, draft: PullRequestDraft) -> _Pull | None:
        """The open PR for the head: the one with the draft's base if several, else the oldest.

        No `base` filter on purpose: a PR for the head against another base is still ours."""
        params = {"head": f"{self.owner}:{draft.head}", "state": "open", "per_page": "100"}
        response = self._send(client, "GET", self._pulls_path, params=params)
        if response.status_code != 200:
            raise self._refused("GET", self._pulls_path, response)
        items = self._body(response, "GET", self._pulls_path)
        if not isinstance(items, list):
            raise self._unexpected("GET", self._pulls_path, "a list of pull requests")
        pulls = [self._pull(item, "GET", self._pulls_path) for item in items]
        # GitHub filters already; re-check, since GitHub ignores a `head` it cannot parse and
        # then lists every PR, and a fork's PR from a branch of the same name is not ours.
        pulls = [p for p in pulls if p.state == "open" and self._is_our_head(p.head, draft.head)]
        if not pulls:
            return None
        same_base = [p for p in pulls if p.base.ref == draft.base]
        return min(same_base or pulls, key=lambda p: p.number)

    def _is_our_head(self, head: _Ref, branch: str) -> bool:
        if head.ref != branch:
            return False
        return head.label is None or head.label.partition(":")[0].lower() == self.owner.lower()

    def _update(self, client: httpx.Client, pull: _Pull, draft: PullRequestDraft) -> ForgeAnswer:
        path = f"{self._pulls_path}/{pull.number}"
        payload = {"title": draft.title, "body": draft.body, "base": draft.base}
        response = self._send(client, "PATCH", path, json=payload)
        if response.status_code != 200:
            raise self._refused("PATCH", path, response)
        updated = self._pull(self._body(response, "PATCH", path), "PATCH", path)
        return ForgeAnswer(number=updated.number, url=updated.html_url, created=False)

    def _create(self, client: httpx.Client, draft: PullRequestDraft) -> ForgeAnswer | ForgeError:
        """The answer, or the refusal of a 422 (the caller decides what it means)."""
        path = self._pulls_path
        payload = {"title": draft.title, "head": draft.head, "base": draft.base, "body": draft.body}
        response = self._send(client, "POST", path, json=payload)
        if response.status_code == 422:
            return self._refused("POST", path, response)
        if response.status_code != 201:
            raise self._refused("POST", path, response)
        created = self._pull(self._body(response, "POST", path), "POST", path)
        return ForgeAnswer(number=created.number, url=created.html_url, created=True)

    # -- HTTP and errors ----------------------------------------------------------------

    def _client(self) -> httpx.Client:
        try:
            return httpx.Client(
                base_url=self.api_url,
                headers={
                    "Accept": "application/vnd.github+json",
                    "Authorization": f"Bearer {self._token}",
                    "X-GitHub-Api-Version": API_VERSION,
                    "User-Agent": USER_AGENT,
                },
                timeout=self.timeout,
                transport=self._transport,
                # A renamed repository answers 301/307 to its new address on the same host;
                # httpx drops the Authorization header if a redirect leaves the host.
                follow_redirects=True,
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise ForgeError(
                f"MAKIMA_GITHUB_API_URL is not a usable URL ({self.api_url!r}): "
                f"{self._scrub(str(exc))}"
            ) from None

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        endpoint = f"{method} {path}"
        try:
            response = client.request(method, path, params=params, json=json)
        except httpx.UnsupportedProtocol as exc:
            raise ForgeError(
                f"GitHub {endpoint}: unsupported API URL {self.api_url!r} ({self._scrub(str(exc))})"
            ) from None
        except httpx.TimeoutException as exc:
            raise ForgeError(
                f"GitHub {endpoint} at {self.api_url} timed out after {self.timeout:g}s "
                f"({type(exc).__name__})",
                retryable=True,
            ) from None
        except httpx.RequestError as exc:
            raise ForgeError(
                f"GitHub {endpoint}: could not reach {self.api_url} "
                f"({type(exc).__name__}: {self._scrub(str(exc))})",
                retryable=True,
            ) from None
        except httpx.InvalidURL as exc:
            raise ForgeError(
                f"GitHub {endpoint}: invalid URL under {self.api_url!r} ({self._scrub(str(exc))})"
            ) from None
        log.debug("GitHub %s → %s", endpoint, response.status_code)
        return response

    def _refused(self, method: str, path: str, response: httpx.Response) -> ForgeError:
        status = response.status_code
        detail = _github_message(response)
        retryable = _retryable(response)
        hint = _HINTS.get(status, "")
        if retryable and status in (403, 429):
            hint = "rate limited"
        text = f"GitHub {method} {path} answered {status}"
        if hint:
            text += f" ({hint})"
        if detail:
            text += f": {detail}"
        return ForgeError(self._scrub(text), status_code=status, retryable=retryable)

    def _body(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._unexpected(method, path, "JSON") from None

    def _pull(self, item: Any, method: str, path: str) -> _Pull:
        try:
            return _Pull.model_validate(item)
        except ValidationError:
            raise self._unexpected(method, path, "a pull request object") from None

    def _unexpected(self, method: str, path: str, wanted: str) -> ForgeError:
        return ForgeError(
            f"GitHub {method} {path} answered with something other than {wanted}; "
            f"is MAKIMA_GITHUB_API_URL ({self.api_url}) the GitHub API?"
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


_HINTS = {
    401: "bad credentials: check MAKIMA_GITHUB_TOKEN",
    403: "no permission: the token cannot open pull requests here",
    404: "unknown repository, or the token cannot see it",
    422: "refused, e.g. the head branch is not on GitHub",
}


def _retryable(response: httpx.Response) -> bool:
    """5xx, 429, and a 403 that is a rate limit (primary: no requests left; secondary:
    GitHub sends retry-after) may pass on their own; other 4xx need a person."""
    status = response.status_code
    if status >= 500 or status in (408, 429):
        return True
    if status == 403:
        return (
            response.headers.get("x-ratelimit-remaining") == "0"
            or "retry-after" in response.headers
        )
    return False


def _github_message(response: httpx.Response) -> str:
    """GitHub's `message` and each `errors[]` entry, e.g. "Validation Failed: A pull request
    already exists for octo:feature."; the start of the text when the body is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if not isinstance(body, dict):
        return ""
    parts = [str(body["message"])] if body.get("message") else []
    details = []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            if error.get("message"):
                details.append(str(error["message"]))
            else:
                where = ".".join(str(error[k]) for k in ("resource", "field") if error.get(k))
                details.append(f"{where} {error.get('code', 'invalid')}".strip())
        else:
            details.append(str(error))
    if details:
        parts.append("; ".join(details))
    return ": ".join(parts)
