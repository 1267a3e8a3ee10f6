"""The demo's sample project: a small Python package with unittest tests, in a git repository.

Every agent adds one feature module and its test (`features()`); the two agents of the
merge-conflict pair also add a line at the same place of `CHANGELOG.md`, which is what
makes their branches conflict in the merge queue.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bosun.base.errors import GitError, InvalidInput

PACKAGE = "calc"
GIT_USER = {"user.name": "bosun demo", "user.email": "demo@bosun.invalid"}

FILES = {
    "README.md": "# calc\n\nA tiny calculator package that bosun's demo fleet extends.\n",
    "CHANGELOG.md": "# Changelog\n\n## Unreleased\n",
    f"{PACKAGE}/__init__.py": '"""A tiny calculator package."""\n',
    f"{PACKAGE}/core.py": (
        '"""The first two operations."""\n\n\n'
        "def add(a: float, b: float) -> float:\n    return a + b\n\n\n"
        "def sub(a: float, b: float) -> float:\n    return a - b\n"
    ),
    "tests/__init__.py": "",
    "tests/test_core.py": (
        "import unittest\n\nfrom calc.core import add, sub\n\n\n"
        "class CoreTest(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
        "    def test_sub(self):\n        self.assertEqual(sub(2, 3), -1)\n"
    ),
    ".gitignore": "__pycache__/\n*.pyc\n",
}

# (name, body of the function taking x, an input, the expected output)
_FEATURES = (
    ("double", "return x * 2", 21, 42),
    ("square", "return x * x", 7, 49),
    ("negate", "return -x", 5, -5),
    ("halve", "return x / 2", 9, 4.5),
    ("increment", "return x + 1", 41, 42),
    ("cube", "return x * x * x", 3, 27),
    ("absolute", "return x if x >= 0 else -x", -8, 8),
    ("sign", "return (x > 0) - (x < 0)", -3, -1),
    ("is_even", "return x % 2 == 0", 10, True),
    ("digits", "return len(str(abs(int(x))))", 12345, 5),
    ("triple", "return x * 3", 14, 42),
    ("decrement", "return x - 1", 43, 42),
)


@dataclass(frozen=True)
class Feature:
    """One agent's change: a module, its test, and the changelog line (for the pair)."""

    name: str
    body: str
    given: object
    expected: object

    @property
    def module_path(self) -> str:
        return f"{PACKAGE}/{self.name}.py"

    @property
    def test_path(self) -> str:
        return f"tests/test_{self.name}.py"

    @property
    def module(self) -> str:
        doc = f'"""{self.name}(x), added by a bosun demo agent."""'
        return f"{doc}\n\n\ndef {self.name}(x):\n    {self.body}\n"

    @property
    def test(self) -> str:
        return (
            f"import unittest\n\nfrom {PACKAGE}.{self.name} import {self.name}\n\n\n"
            f"class {self.name.title().replace('_', '')}Test(unittest.TestCase):\n"
            f"    def test_{self.name}(self):\n"
            f"        self.assertEqual({self.name}({self.given!r}), {self.expected!r})\n"
        )

    @property
    def changelog_line(self) -> str:
        return f"- add `{PACKAGE}.{self.name}`\n"


def features(count: int) -> list[Feature]:
    """`count` distinct features (numbered once the list runs out)."""
    out = []
    for i in range(count):
        name, body, given, expected = _FEATURES[i % len(_FEATURES)]
        if i >= len(_FEATURES):
            name = f"{name}_{i // len(_FEATURES)}"
        out.append(Feature(name, body, given, expected))
    return out


def test_command() -> str:
    """The sample's test suite as one shell command (the merge gate and the test node)."""
    return f"{_quote(sys.executable)} -m unittest discover -s tests -t . -q"


def _quote(path: str) -> str:
    import shlex  # lazy: CLI start-up time

    return shlex.quote(path)


def check_target(directory: Path) -> Path:
    """Where the sample goes: a new or empty directory (`--dir`); refuse anything else."""
    path = directory.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise InvalidInput(
            f"--dir {path} is a file, not a directory", "give a new or empty directory"
        )
    if path.is_dir() and any(path.iterdir()):
        raise InvalidInput(
            f"--dir {path} is not empty", "give a new or empty directory (the demo makes a repo)"
        )
    return path


def create_sample(repo: Path) -> str:
    """Write the package, `git init` on main and commit it; returns the commit."""
    repo.mkdir(parents=True, exist_ok=True)
    for relative, content in FILES.items():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    for key, value in {**GIT_USER, "commit.gpgsign": "false"}.items():
        git(repo, "config", key, value)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "calc: a tiny calculator package")
    return git(repo, "rev-parse", "HEAD")


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} could not run: {exc}", "is git installed?") from exc
    if out.returncode != 0:
        detail = (out.stderr or out.stdout).strip().splitlines()
        raise GitError(
            f"git {' '.join(args[:2])} failed: {detail[-1] if detail else out.returncode}",
            f"look at the repository in {repo}",
        )
    return out.stdout.strip()
