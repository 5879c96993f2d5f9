"""A small git repository (a Python package with tests) for end-to-end runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES = {
    "calc/__init__.py": '"""A tiny calculator."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n',
    "tests/test_calc.py": "from calc import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n",
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "README.md": "# calc\n",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_sample_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, content in FILES.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "test@makima.local")
    git(path, "config", "user.name", "test")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def script(*actions: str) -> str:
    """A task plan whose fenced makima-script block the scripted runtime performs."""
    return "```makima-script\n" + "\n".join(actions) + "\n```\n"
