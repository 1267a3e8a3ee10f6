"""Running `bosun` as a user does: a subprocess in a temporary repository."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Bosun:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *args: str, env: dict[str, str] | None = None,
                 stdin: str | None = None, cwd: Path | None = None) -> Result:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "bosun", *args], cwd=cwd or self.cwd, env=full_env,
            input=stdin, capture_output=True, text=True, timeout=60, check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, **kwargs: Any) -> Any:
        result = self(*args, "--json", **kwargs)
        assert result.code == 0, f"bosun {' '.join(args)} failed: {result.err or result.out}"
        return result.json

    def db_snapshot(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Every row of every table, to prove a refused command changed nothing."""
        conn = sqlite3.connect(self.cwd / ".bosun" / "bosun.db")
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name")]
            return [(t, sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
                    for t in tables]
        finally:
            conn.close()
