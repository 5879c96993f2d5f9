"""Slugs and branch names built from hostile user text stay safe."""

from __future__ import annotations

import re
import subprocess
import uuid

import pytest

from schemas.naming import directive_branch_name, short_id, slugify, step_branch_name

HOSTILE = [
    "; rm -rf ~",
    "../../etc/passwd",
    "$(touch /tmp/pwned) `id`",
    "Ünïcødé — 日本語 🚀 café",
    "x" * 500,
    "--force",
    "refs/heads/main.lock",
    "a..b@{-1}~^:?*[\\",
    "   ",
    "",
    "\n\t\x00\x1b[31m",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_slug_is_safe_for_any_text(text: str) -> None:
    slug = slugify(text, 40)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)
    assert 1 <= len(slug) <= 40


def test_slugify_keeps_words_readable() -> None:
    assert slugify("Add the Login page!", 40) == "add-the-login-page"
    assert slugify("Ünïcödé café", 40) == "unicode-cafe"
    assert slugify("; rm -rf ~", 40) == "rm-rf"
    assert slugify("../../etc", 40) == "etc"
    assert slugify("", 40) == "unnamed"
    assert slugify("abc-def", 4) == "abc"  # no trailing dash after truncation


@pytest.mark.parametrize("text", HOSTILE)
def test_branch_names_pass_git_check_ref_format(text: str) -> None:
    step_id = uuid.uuid4()
    for branch in (step_branch_name(text, step_id), directive_branch_name(text, step_id)):
        assert branch.startswith("makima/")
        assert branch.endswith(step_id.hex[:8])
        done = subprocess.run(["git", "check-ref-format", f"refs/heads/{branch}"], check=False)
        assert done.returncode == 0, branch


def test_branch_name_shapes() -> None:
    step_id = uuid.UUID("12345678-9abc-4def-8123-456789abcdef")
    assert step_branch_name("Write the API", step_id) == "makima/write-the-api-12345678"
    assert directive_branch_name("Ship v2", str(step_id)) == "makima/directive-ship-v2-12345678"
    assert short_id(step_id) == "12345678"


def test_short_id_refuses_non_uuids() -> None:
    with pytest.raises(ValueError):
        short_id("; rm -rf ~")
