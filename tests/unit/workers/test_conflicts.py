"""Conflict marker detection and the side branch of an unresolved attempt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workers.conflicts import (
    files_with_conflict_markers,
    has_conflict_markers,
    is_conflict_marker,
    unresolved_branch_name,
)

GIT_CONFLICT = (
    "intro\n<<<<<<< HEAD\nfrom a\n=======\nfrom b\n>>>>>>> makima/step-b-22222222\nend\n"
)


@pytest.mark.parametrize("line", [
    "<<<<<<< HEAD", ">>>>>>> makima/step-b", "<<<<<<<", ">>>>>>>", "<<<<<<< ", ">>>>>>> a b",
])
def test_git_markers_are_markers(line: str) -> None:
    assert is_conflict_marker(line)


@pytest.mark.parametrize("line", [
    "=======", "||||||| base", " <<<<<<< HEAD", "<<<<<<<<", ">>>>>>>>> x", "<<<<<<<HEAD",
    "a <<<<<<< b", "<<<<<<", ">>>>>>", "",
])
def test_other_lines_are_not_markers(line: str) -> None:
    assert not is_conflict_marker(line)


def test_text_with_a_git_conflict_has_markers() -> None:
    assert has_conflict_markers(GIT_CONFLICT)
    assert has_conflict_markers(GIT_CONFLICT.replace("\n", "\r\n"))
    assert has_conflict_markers("<<<<<<<")  # no final newline


def test_separator_lines_alone_are_legitimate_text() -> None:
    assert not has_conflict_markers("Title\n=======\n\nbody\n")
    assert not has_conflict_markers("x = '<<<<<<< not at line start'\n")
    assert not has_conflict_markers("")


def test_files_with_markers_are_found_among_the_given_ones(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "left.py").write_text(GIT_CONFLICT)
    (tmp_path / "clean.md").write_text("Heading\n=======\n")
    (tmp_path / "not-listed.txt").write_text(GIT_CONFLICT)
    (tmp_path / "binary.bin").write_bytes(b"\xff\xfe\x00\n<<<<<<< HEAD\n")
    found = files_with_conflict_markers(
        tmp_path, ["src/left.py", "clean.md", "deleted.txt", "binary.bin"])
    assert found == ("src/left.py", "binary.bin")


def test_links_and_paths_outside_the_root_are_not_read(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text(GIT_CONFLICT)
    os.symlink(outside, root / "link.txt")
    os.symlink(tmp_path, root / "up")
    assert files_with_conflict_markers(root, ["link.txt", "up/outside.txt", "../outside.txt"]) == ()


def test_side_branch_name() -> None:
    assert unresolved_branch_name("makima/directive-x-1234abcd-merge", 3) == (
        "makima/directive-x-1234abcd-merge-unresolved-3")
