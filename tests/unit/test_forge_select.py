"""Which repository URLs are GitHub repositories, and what `auto` picks."""

from __future__ import annotations

import pytest

from orchestrator.forge.select import forge_kind_of, github_repository_from_url
from orchestrator.models import Directive
from schemas.enums import ForgeKind


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/hello", "octo/hello"),
        ("https://github.com/octo/hello.git", "octo/hello"),
        ("https://github.com/octo/hello/", "octo/hello"),
        ("http://github.com/octo/hello", "octo/hello"),
        ("https://x-access-token:abc@github.com/octo/hello.git", "octo/hello"),
        ("ssh://git@github.com/octo/hello.git", "octo/hello"),
        ("ssh://git@github.com/octo/hello", "octo/hello"),
        ("git@github.com:octo/hello.git", "octo/hello"),
        ("git@github.com:octo/hello", "octo/hello"),
        ("git@github.com:my-org/site.github.io.git", "my-org/site.github.io"),
        ("  https://github.com/octo/hello.git\n", "octo/hello"),
    ],
)
def test_github_urls_give_owner_and_name(url: str, expected: str) -> None:
    assert github_repository_from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/srv/git/hello",
        "/srv/git/hello.git",
        "./hello",
        "file:///srv/git/hello.git",
        "https://gitlab.com/octo/hello.git",
        "git@gitlab.com:octo/hello.git",
        "https://github.com.example.org/octo/hello",
        "https://notgithub.com/octo/hello",
        "https://github.com/octo",
        "https://github.com/octo/hello/tree/main",
        "git@github.com:octo",
    ],
)
def test_other_urls_and_local_paths_are_not_github(url: str) -> None:
    assert github_repository_from_url(url) is None


@pytest.mark.parametrize(
    ("forge", "repository", "forge_repository", "expected"),
    [
        (ForgeKind.AUTO, "https://github.com/octo/hello.git", None, ForgeKind.GITHUB),
        (ForgeKind.AUTO, "/srv/git/hello", None, ForgeKind.LOCAL),
        (ForgeKind.AUTO, "/srv/git/hello", "octo/hello", ForgeKind.GITHUB),
        (ForgeKind.LOCAL, "https://github.com/octo/hello.git", None, ForgeKind.LOCAL),
        (ForgeKind.GITHUB, "/srv/git/hello", "octo/hello", ForgeKind.GITHUB),
    ],
)
def test_auto_picks_github_for_a_github_repository(
    forge: ForgeKind, repository: str, forge_repository: str | None, expected: ForgeKind
) -> None:
    directive = Directive(forge=forge, repository=repository, forge_repository=forge_repository)
    assert forge_kind_of(directive) is expected
