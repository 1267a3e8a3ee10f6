"""A thin git runner: argv only (never a shell), failures become one-line `GitError`s."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bosun.base.errors import GitError

DEFAULT_TIMEOUT_S = 600.0
# Commands the queue runs must never stop to ask a person anything.
_QUIET_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_EDITOR": "true",
    "GIT_SEQUENCE_EDITOR": "true",
    "GIT_MERGE_AUTOEDIT": "no",
    "LC_ALL": "C",
}


@dataclass(frozen=True)
class GitResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Git:
    """Runs `git -C <cwd> …`. `run` raises GitError on failure; `try_run` returns the result."""

    def __init__(
        self,
        cwd: Path | str,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.cwd = Path(cwd)
        self.timeout = timeout
        self._env = {**os.environ, **_QUIET_ENV, **(env or {})}

    def at(self, cwd: Path | str) -> Git:
        """The same runner (environment, timeout) in another directory."""
        clone = Git(cwd, timeout=self.timeout)
        clone._env = dict(self._env)
        return clone

    def try_run(
        self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> GitResult:
        argv = ["git", "-C", str(self.cwd), *args]
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                input=input,
                check=False,
                env={**self._env, **(env or {})},
                timeout=self.timeout,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed", "install git (2.38 or later)") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(
                f"git {_shown(args)} took longer than {self.timeout:.0f}s",
                "check for a stuck lock file under .git/",
            ) from exc
        return GitResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)

    def run(
        self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        """stdout with the trailing newline removed; GitError when git fails."""
        result = self.try_run(*args, input=input, env=env)
        if not result.ok:
            raise failure(result)
        return result.stdout.rstrip("\n")

    def ok(self, *args: str) -> bool:
        return self.try_run(*args).ok

    def lines(self, *args: str) -> list[str]:
        return [line for line in self.run(*args).splitlines() if line]

    # -- small helpers used everywhere -----------------------------------------------------

    def rev(self, ref: str) -> str | None:
        """The commit `ref` names, or None when it does not exist."""
        result = self.try_run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return result.stdout.strip() if result.ok else None

    def tree(self, commit: str) -> str:
        return self.run("rev-parse", f"{commit}^{{tree}}")

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        result = self.try_run("merge-base", "--is-ancestor", ancestor, descendant)
        if result.returncode in (0, 1):
            return result.returncode == 0
        raise failure(result)

    def dirty_files(self) -> list[str]:
        """Paths with uncommitted changes, untracked files included (porcelain v1)."""
        out = self.run("status", "--porcelain", "--untracked-files=all")
        return [line[3:] for line in out.splitlines() if line]

    def toplevel(self) -> Path:
        return Path(self.run("rev-parse", "--show-toplevel"))


def failure(result: GitResult) -> GitError:
    """A one-line GitError for a failed git command (first meaningful stderr line)."""
    lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    detail = next(
        (ln for ln in lines if ln.startswith(("fatal:", "error:"))),
        lines[0] if lines else f"exit status {result.returncode}",
    )
    return GitError(
        f"git {_shown(result.args)} failed: {detail}",
        "run the git command by hand in the repository to see the whole message",
    )


def _shown(args: Sequence[str]) -> str:
    text = " ".join(args[:3])
    return text if len(args) <= 3 else text + " …"


def identity_env(git: Git) -> dict[str, str]:
    """A fallback author/committer, only when git cannot work one out itself, so that a
    rebase or snapshot never fails for want of `user.email`."""
    if git.ok("var", "GIT_COMMITTER_IDENT") and git.ok("var", "GIT_AUTHOR_IDENT"):
        return {}
    return {
        "GIT_AUTHOR_NAME": "bosun",
        "GIT_AUTHOR_EMAIL": "bosun@localhost",
        "GIT_COMMITTER_NAME": "bosun",
        "GIT_COMMITTER_EMAIL": "bosun@localhost",
    }


def is_repository(path: Path) -> bool:
    return Git(path).ok("rev-parse", "--git-dir") if path.is_dir() else False
