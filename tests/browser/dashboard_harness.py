"""A real dashboard server (`bosun dashboard --port 0 --json` as a subprocess) and Debian's
chromium driven by Playwright. Shared by tests/browser and bench/dashboard_bench.py.

Playwright never downloads a browser here: it launches /usr/bin/chromium. When that is
missing, root installs it with apt-get; anyone else is told the command.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def ensure_chromium() -> str:
    """The chromium binary; installed with apt-get when missing and we are root."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        if Path(CHROMIUM).exists():
            return CHROMIUM
    raise RuntimeError(f"{CHROMIUM} is missing: install it with `{INSTALL}` (as root)")


@contextmanager
def chromium_context(viewport: tuple[int, int] = (1440, 900)) -> Iterator[Any]:
    """A fresh persistent Chromium context (own user-data-dir), closed and removed after."""
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    exe = ensure_chromium()
    profile = tempfile.mkdtemp(prefix="bosun-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=exe,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class DashboardServer:
    """`bosun dashboard --port 0 --json` in `root`; `info` is what it announced."""

    def __init__(
        self, root: Path, env: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bosun", "dashboard", "--host", host, "--port", "0", "--json"],
            cwd=root,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.info: dict[str, Any] = {}
        try:
            self.info = json.loads(self._first_line(60.0))
        except BaseException:
            self.stop()
            raise
        self.url: str = self.info["url"]

    def _first_line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                line = self.proc.stdout.readline().decode()
                if line:
                    return line
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"bosun dashboard exited {self.proc.returncode}: {err}")
        raise RuntimeError(f"bosun dashboard did not announce its URL in {timeout}s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> str:
        """SIGTERM (then SIGKILL) the server; returns what it wrote to stderr."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        err = self.proc.stderr.read().decode() if self.proc.stderr else ""
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return err


INSTALL_PATCH_LISTENER = """() => {
  window.__patches = [];
  document.addEventListener('bosun:patched', (e) => {
    window.__patches.push({panel: e.detail.panel, version: e.detail.version, t: Date.now()});
  });
}"""


def patched_at(page: Any, panel: str, version: int) -> float | None:
    """Wall-clock ms when `panel` was first patched to at least `version` (or None)."""
    found = page.evaluate(
        "([p, v]) => { const hit = (window.__patches || []).find("
        "x => x.panel === p && x.version >= v); return hit ? hit.t : null; }",
        [panel, version],
    )
    return None if found is None else float(found)
