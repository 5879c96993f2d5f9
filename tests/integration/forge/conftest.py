"""A fresh fake GitHub per test; no PostgreSQL or Redis needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.forge.github import GitHubForge
from tests.fakes.github_server import FakeGitHub

REPOSITORY = "octo/hello-world"


@pytest.fixture()
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token="ghp_test-secret-0123456789") as fake:
        yield fake


@pytest.fixture()
def forge(fake_github: FakeGitHub) -> GitHubForge:
    return GitHubForge(repository=REPOSITORY, token=fake_github.token, api_url=fake_github.url)
