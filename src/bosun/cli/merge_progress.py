"""A foreground `bosun merge-queue process` shows each request as the queue moves it, on
stderr: testing, gate results, landed, conflict, failed. It follows the event log from its
own connection, so it sees what `bosun events --follow` sees."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console

from bosun.cli.output import escape_controls

if TYPE_CHECKING:
    from bosun.core.records import Event

_LINES = {
    "merge.testing": "[blue]●[/] {subject} {branch}: testing (batch {batch})",
    "merge.landed": "[green]✓[/] {subject} {branch}: landed on {target}",
    "merge.conflict": "[yellow]✗[/] {subject} {branch}: conflict, handed back",
    "merge.failed": "[red]✗[/] {subject} {branch}: failed ({reason})",
    "merge.requeued": "[dim]↻[/] {subject} {branch}: queued again ({reason})",
}


def merge_line(event: Event) -> str | None:
    """The line one queue event prints (markup), or None for events not shown."""
    template = _LINES.get(event.kind)
    if template is None:
        return None
    data = {k: escape_controls(str(v)) for k, v in event.data.items()}
    defaults = {"batch": "-", "reason": "", "target": "", "branch": ""}
    return template.format_map({**defaults, **data, "subject": event.subject})


class MergeProgress:
    def __init__(self, start: Path, since: int, poll: float = 0.2) -> None:
        self.start, self.last, self.poll = start, since, poll
        self.console = Console(stderr=True, highlight=False)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True, name="merge-progress")

    def __enter__(self) -> MergeProgress:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _follow(self) -> None:
        from bosun.core.context import open_project  # lazy: CLI start-up time

        ctx = open_project(self.start)  # its own connection: the store is per thread
        try:
            while True:
                stopping = self.stop.wait(self.poll)
                for event in ctx.events.since(self.last, kind="merge."):
                    self.last = event.id
                    line = merge_line(event)
                    if line is not None:
                        self.console.print(line)
                if stopping:
                    return
        finally:
            ctx.close()
