"""The GitHub forge against a fake GitHub over real HTTP: open, update, races and refusals."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from orchestrator.forge.base import ForgeAnswer, ForgeError, PullRequestDraft
from orchestrator.forge.github import GitHubForge
from tests.fakes.github_server import FakeGitHub, RecordedRequest
from tests.integration.forge.conftest import REPOSITORY

PULLS = f"/repos/{REPOSITORY}/pulls"
HEAD = "makima/directive-add-login-1a2b3c"


def draft(**changes: str) -> PullRequestDraft:
    values = {"title": "Add a login page", "body": "Steps: 2 passed.", "head": HEAD,
              "base": "main"} | changes
    return PullRequestDraft(**values)


def refusal(forge: GitHubForge, pull_request: PullRequestDraft) -> ForgeError:
    with pytest.raises(ForgeError) as raised:
        forge.open_or_update(pull_request)
    return raised.value


# -- open and update ------------------------------------------------------------------------


def test_opens_a_pull_request_when_none_is_open(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    answer = forge.open_or_update(draft())

    assert answer == ForgeAnswer(
        number=1, url=f"https://github.com/{REPOSITORY}/pull/1", created=True
    )
    [pull] = fake_github.pulls(REPOSITORY)
    assert (pull.number, pull.title, pull.body, pull.head, pull.base, pull.state) == (
        1, "Add a login page", "Steps: 2 passed.", HEAD, "main", "open"
    )
    [post] = fake_github.requests_for("POST")
    assert post.path == PULLS
    assert post.json == {"title": "Add a login page", "head": HEAD, "base": "main",
                         "body": "Steps: 2 passed."}


def test_sends_the_documented_headers(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    forge.open_or_update(draft())

    for request in fake_github.requests:
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["authorization"] == f"Bearer {fake_github.token}"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == "makima"


def test_finds_the_open_pull_request_by_head_only(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    forge.open_or_update(draft())

    [lookup] = fake_github.requests_for("GET")
    assert lookup.path == PULLS
    assert lookup.query["head"] == f"octo:{HEAD}"
    assert lookup.query["state"] == "open"
    assert "base" not in lookup.query


def test_a_second_call_for_the_same_head_updates_the_same_pull_request(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    first = forge.open_or_update(draft())
    second = forge.open_or_update(draft(title="Add a login page (round 2)", body="3 passed."))

    assert second == ForgeAnswer(number=first.number, url=first.url, created=False)
    [pull] = fake_github.pulls(REPOSITORY)
    assert (pull.title, pull.body, pull.base, pull.patches) == (
        "Add a login page (round 2)", "3 passed.", "main", 1
    )
    [patch] = fake_github.requests_for("PATCH")
    assert patch.path == f"{PULLS}/{first.number}"
    assert patch.json == {"title": "Add a login page (round 2)", "body": "3 passed.",
                          "base": "main"}
    assert len(fake_github.requests_for("POST")) == 1


def test_a_pull_request_with_another_base_gets_its_base_changed(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    opened = fake_github.open_pull(REPOSITORY, head=HEAD, base="develop", title="old")

    answer = forge.open_or_update(draft(base="main"))

    assert (answer.number, answer.created) == (opened.number, False)
    [pull] = fake_github.pulls(REPOSITORY)
    assert (pull.base, pull.title) == ("main", "Add a login page")
    assert fake_github.requests_for("POST") == []


def test_prefers_the_pull_request_with_the_same_base(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    fake_github.open_pull(REPOSITORY, head=HEAD, base="develop", title="to develop")
    to_main = fake_github.open_pull(REPOSITORY, head=HEAD, base="main", title="to main")

    answer = forge.open_or_update(draft(base="main"))

    assert answer.number == to_main.number
    assert [(p.base, p.patches) for p in fake_github.pulls(REPOSITORY)] == [
        ("develop", 0), ("main", 1)
    ]


def test_closed_pull_requests_and_other_heads_are_left_alone(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    closed = fake_github.open_pull(REPOSITORY, head=HEAD, base="main", title="closed")
    fake_github.close_pull(REPOSITORY, closed.number)
    fake_github.open_pull(REPOSITORY, head="someone-else", base="main", title="other")

    answer = forge.open_or_update(draft())

    assert (answer.number, answer.created) == (3, True)
    assert [(p.number, p.state, p.patches) for p in fake_github.pulls(REPOSITORY)] == [
        (1, "closed", 0), (2, "open", 0), (3, "open", 0)
    ]


def test_branch_names_and_repository_names_are_quoted(fake_github: FakeGitHub) -> None:
    forge = GitHubForge(repository="octo/site.github.io", token=fake_github.token,
                        api_url=fake_github.url)
    head = "makima/c++-fix&more#1"

    opened = forge.open_or_update(draft(head=head))
    updated = forge.open_or_update(draft(head=head, title="again"))

    assert (updated.number, updated.created) == (opened.number, False)
    [pull] = fake_github.pulls("octo/site.github.io")
    assert (pull.head, pull.title) == (head, "again")
    assert fake_github.requests_for("GET")[0].query["head"] == f"octo:{head}"


# -- the race with another opener --------------------------------------------------------------


def test_a_pull_request_opened_between_lookup_and_post_is_updated(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    raced: list[int] = []

    def open_a_competing_pull_request(request: RecordedRequest) -> None:
        if request.method == "POST" and not raced:
            racer = fake_github.open_pull(REPOSITORY, head=HEAD, base="main", title="racer")
            raced.append(racer.number)

    fake_github.on_request(open_a_competing_pull_request)

    answer = forge.open_or_update(draft())

    assert answer == ForgeAnswer(
        number=raced[0], url=f"https://github.com/{REPOSITORY}/pull/{raced[0]}", created=False
    )
    [pull] = fake_github.pulls(REPOSITORY)
    assert (pull.title, pull.patches) == ("Add a login page", 1)
    assert [r.method for r in fake_github.requests] == ["GET", "POST", "GET", "PATCH"]


def test_concurrent_openers_leave_one_pull_request(fake_github: FakeGitHub) -> None:
    forges = [
        GitHubForge(repository=REPOSITORY, token=fake_github.token, api_url=fake_github.url)
        for _ in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda f: f.open_or_update(draft()), forges))

    assert [p.number for p in fake_github.pulls(REPOSITORY)] == [1]
    assert {a.number for a in answers} == {1}
    assert sum(a.created for a in answers) == 1


# -- refusals: a person must act -------------------------------------------------------------


def test_a_bad_token_is_refused_with_githubs_message(fake_github: FakeGitHub) -> None:
    wrong_token = "ghp_wrong-secret-9876543210"
    forge = GitHubForge(repository=REPOSITORY, token=wrong_token, api_url=fake_github.url)

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (False, 401)
    assert error.message == (
        f"GitHub GET {PULLS} answered 401 (bad credentials: check MAKIMA_GITHUB_TOKEN): "
        "Bad credentials"
    )
    assert wrong_token not in str(error)
    assert fake_github.pulls(REPOSITORY) == []


def test_no_permission_is_refused(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    fake_github.fail_next(1, 403, method="POST")

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (False, 403)
    assert f"POST {PULLS} answered 403" in error.message
    assert "Resource not accessible by personal access token" in error.message


def test_an_unknown_repository_is_refused() -> None:
    with FakeGitHub(repositories=["octo/other"]) as fake:
        forge = GitHubForge(repository=REPOSITORY, token=fake.token, api_url=fake.url)

        error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (False, 404)
    assert error.message == (
        f"GitHub GET {PULLS} answered 404 (unknown repository, or the token cannot see it): "
        "Not Found"
    )


def test_a_head_branch_missing_on_github_is_refused(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    fake_github.set_branches(REPOSITORY, ["main"])

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (False, 422)
    assert f"POST {PULLS} answered 422" in error.message
    assert error.message.endswith("Validation Failed: PullRequest.head invalid")
    assert fake_github.pulls(REPOSITORY) == []


def test_a_base_branch_missing_on_update_is_refused(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    fake_github.set_branches(REPOSITORY, ["main", HEAD])
    opened = fake_github.open_pull(REPOSITORY, head=HEAD, base="main", title="t")

    error = refusal(forge, draft(base="no-such-branch"))

    assert (error.retryable, error.status_code) == (False, 422)
    assert f"PATCH {PULLS}/{opened.number} answered 422" in error.message
    assert "PullRequest.base invalid" in error.message


def test_an_invalid_repository_name_is_refused_before_any_request() -> None:
    with pytest.raises(ForgeError) as raised:
        GitHubForge(repository="not a repository", token="t", api_url="http://127.0.0.1:9")
    assert raised.value.retryable is False


# -- transient failures: worth trying again ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(
    fake_github: FakeGitHub, forge: GitHubForge, status: int
) -> None:
    fake_github.fail_next(1, status)

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (True, status)
    assert error.message.startswith(f"GitHub GET {PULLS} answered {status}")
    assert forge.open_or_update(draft()).created is True  # the next try gets through


def test_a_failure_on_the_post_is_retryable_and_opens_nothing(
    fake_github: FakeGitHub, forge: GitHubForge
) -> None:
    fake_github.fail_next(1, 502, method="POST")

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (True, 502)
    assert fake_github.pulls(REPOSITORY) == []


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"retry-after": "60"}),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"}),
        (403, {"retry-after": "30"}),
    ],
)
def test_rate_limits_are_retryable(
    fake_github: FakeGitHub, forge: GitHubForge, status: int, headers: dict[str, str]
) -> None:
    fake_github.fail_next(1, status, message="API rate limit exceeded", headers=headers)

    error = refusal(forge, draft())

    assert (error.retryable, error.status_code) == (True, status)
    assert error.message == (
        f"GitHub GET {PULLS} answered {status} (rate limited): API rate limit exceeded"
    )


def test_an_unreachable_api_is_retryable() -> None:
    with FakeGitHub() as fake:
        url, token = fake.url, fake.token
    forge = GitHubForge(repository=REPOSITORY, token=token, api_url=url)

    error = refusal(forge, draft())

    assert error.retryable is True
    assert error.status_code is None
    assert error.message.startswith(f"GitHub GET {PULLS}: could not reach {url} (ConnectError")


def test_a_timeout_is_retryable(fake_github: FakeGitHub) -> None:
    release = threading.Event()
    fake_github.on_request(lambda request: release.wait())
    forge = GitHubForge(
        repository=REPOSITORY, token=fake_github.token, api_url=fake_github.url, timeout=0.2
    )
    try:
        error = refusal(forge, draft())
    finally:
        release.set()

    assert error.retryable is True
    assert error.message.startswith(f"GitHub GET {PULLS} at {fake_github.url} timed out")


def test_the_token_never_appears_in_an_error(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    token = fake_github.token
    fake_github.fail_next(1, 403, message=f"token {token} lacks the pull_requests scope")
    fake_github.fail_next(1, 500, message=f"internal error for {token}")

    errors = [refusal(forge, draft()), refusal(forge, draft())]

    assert [e.status_code for e in errors] == [403, 500]
    for error in errors:
        assert token not in str(error)
        assert token not in error.message
        assert "***" in error.message
    assert token not in repr(forge)
