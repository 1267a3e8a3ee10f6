"""Settings of the git layer."""

from bosun.base.config import Setting, declare


def _check_prefix(value: str) -> str | None:
    if not value or value.startswith(("/", "-")) or ".." in value or " " in value:
        return "write a branch prefix such as bosun/ (no spaces, no leading / or -, no ..)"
    return None


declare(
    Setting(
        "worktrees.branch_prefix",
        "str",
        "bosun/",
        "prefix of each agent's branch: <prefix><name>",
        check=_check_prefix,
    ),
)
