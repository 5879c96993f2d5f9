"""The demo's sample repository: a bare `origin.git` whose `main` holds the `textkit` package.

The bare repository plays the part of the remote: daemons clone it, push step branches to
it, and completion pushes the directive branch to it, exactly as they would with a hosted
repository. The seed commit is made in a scratch clone with a fixed author, so the demo
needs no git identity configured on the machine. Every git call is an argument list.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE_BRANCH = "main"
AUTHOR = ("makima demo", "demo@makima.local")

SEED_FILES: dict[str, str] = {
    "README.md": (
        "# textkit\n\n"
        "Small, dependable text utilities (the sample package of `makima demo`).\n\n"
        "Run the tests with `python -m pytest -q`.\n"
    ),
    "pyproject.toml": (
        "[project]\n"
        'name = "textkit"\n'
        'version = "0.1.0"\n'
        'description = "Small, dependable text utilities."\n'
        'requires-python = ">=3.11"\n\n'
        "[tool.pytest.ini_options]\n"
        'pythonpath = ["."]\n'
        'testpaths = ["tests"]\n'
    ),
    ".gitignore": "__pycache__/\n.pytest_cache/\n*.egg-info/\n",
    "textkit/__init__.py": (
        '"""textkit: small, dependable text utilities."""\n\n'
        "from textkit.clean import normalize_space\n\n"
        '__all__ = ["normalize_space"]\n'
    ),
    "textkit/clean.py": (
        '"""Whitespace clean-up."""\n\n\n'
        "def normalize_space(text: str) -> str:\n"
        '    """Collapse every run of whitespace to one space and trim both ends."""\n'
        '    return " ".join(text.split())\n'
    ),
    "tests/test_clean.py": (
        "from textkit.clean import normalize_space\n\n\n"
        "def test_runs_of_whitespace_become_one_space() -> None:\n"
        '    assert normalize_space("a  b\\t\\nc") == "a b c"\n\n\n'
        "def test_ends_are_trimmed() -> None:\n"
        '    assert normalize_space("  hello ") == "hello"\n'
    ),
}


class SampleRepoError(Exception):
    """A git command failed while building the sample repository."""


@dataclass(frozen=True)
class SampleRepo:
    origin: Path
    """The bare repository directives point at."""
    base_branch: str
    seed_commit: str


def git(cwd: Path, *args: str) -> str:
    """Run git with an argument list; its stdout, stripped. A failure names the command."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {result.returncode}"
        raise SampleRepoError(f"git {' '.join(args[:2])} failed: {reason}")
    return result.stdout.strip()


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)


def create_sample_repo(directory: Path) -> SampleRepo:
    """`<directory>/origin.git`, a bare repository with one seed commit on `main`.

    `directory` must not hold an `origin.git` yet: the demo never reuses an old result.
    """
    directory.mkdir(parents=True, exist_ok=True)
    origin = directory.resolve() / "origin.git"
    if origin.exists():
        raise SampleRepoError(f"{origin} already exists")
    git(directory, "init", "--quiet", "--bare", f"--initial-branch={BASE_BRANCH}", str(origin))
    name, email = AUTHOR
    identity = ("-c", f"user.name={name}", "-c", f"user.email={email}")
    with tempfile.TemporaryDirectory(prefix="makima-demo-seed-") as scratch:
        seed = Path(scratch)
        git(seed, "init", "--quiet", f"--initial-branch={BASE_BRANCH}")
        write_files(seed, SEED_FILES)
        git(seed, "add", "--all")
        git(seed, *identity, "commit", "--quiet", "--no-gpg-sign", "-m",
            "textkit: whitespace clean-up, with tests")
        commit = git(seed, "rev-parse", "HEAD")
        git(seed, "push", "--quiet", str(origin), f"{BASE_BRANCH}:{BASE_BRANCH}")
    return SampleRepo(origin=origin, base_branch=BASE_BRANCH, seed_commit=commit)


def clone_branch(origin: Path, branch: str, destination: Path) -> Path:
    """A checkout of `branch` of `origin` at `destination` (replaced if it exists)."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    git(destination.parent, "clone", "--quiet", "--single-branch", "--branch", branch,
        "--", str(origin), str(destination))
    return destination
