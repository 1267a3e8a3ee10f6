"""`bosun tui`: the fleet on one full screen, ordered by who needs a person first.

The app renders `Snapshot`s (taken in a worker thread every `refresh` seconds) and runs
every action as the `bosun` command it names (`bosun.tui.actions`), then refreshes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, RichLog, Static

from bosun.agents.driver import project_fleet
from bosun.tui import actions
from bosun.tui.cells import AGENT_COLUMNS, agent_cells
from bosun.tui.filtering import Query, apply, parse_query
from bosun.tui.screens import Confirm, Prompt, TextView
from bosun.tui.snapshot import AgentRow, Snapshot, take_snapshot

if TYPE_CHECKING:
    from bosun.core.context import Context

W = TypeVar("W", bound=Widget)
PREVIEW_LINES = 40


class FleetApp(App[None]):
    TITLE = "bosun"
    SUB_TITLE = "fleet"
    CSS = """
    #top { height: 3fr; }
    #left { width: 3fr; height: 100%; }
    #agents { height: 1fr; border: round $primary; }
    #preview { width: 2fr; height: 100%; border: round $primary; overflow: hidden; }
    #bottom { height: 2fr; }
    #runs, #merges { width: 1fr; height: 100%; border: round $secondary; }
    #events { width: 2fr; height: 100%; border: round $secondary; }
    #outcome { height: 1; padding: 0 1; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("slash", "search", "Search"),
        Binding("escape", "leave_search", "Back", show=False),
        Binding("a", "attach", "Attach"),
        Binding("m", "send", "Message"),
        Binding("y", "answer('approve')", "Approve"),
        Binding("n", "answer('deny')", "Deny"),
        Binding("c", "choose", "Choose"),
        Binding("u", "nudge", "Nudge"),
        Binding("r", "restart", "Restart"),
        Binding("s", "stop", "Stop"),
        Binding("d", "diff", "Diff"),
        Binding("e", "enqueue", "Enqueue"),
        Binding("p", "approve_merge", "Approve merge"),
        Binding("g", "gate", "Gate"),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
    ]

    def __init__(
        self,
        ctx: Context,
        *,
        refresh: float = 2.0,
        env: dict[str, str] | None = None,
        probe: bool = True,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.fleet = project_fleet(ctx)
        self.refresh_s = refresh
        self.env = env or {}
        self.probe = probe
        self.project_root = ctx.paths.root if ctx.paths else Path.cwd()
        self.snapshot = Snapshot(taken_at=0.0)
        self.filter_query: Query = Query()
        self.shown: list[AgentRow] = []
        self.last_event_id = 0
        self.outcomes: list[str] = []
        self.preview: tuple[str, str] = ("", "")

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="top"):
            with Vertical(id="left"):
                yield Input(
                    placeholder="search: text  state:waiting  role:polecat  runtime:sim",
                    id="search",
                )
                yield DataTable(id="agents", cursor_type="row", zebra_stripes=True)
            yield Static(id="preview")
        with Horizontal(id="bottom"):
            yield DataTable(id="runs", cursor_type="row")
            yield DataTable(id="merges", cursor_type="row")
            yield RichLog(id="events", max_lines=500, wrap=False)
        yield Static(id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        self.widget("#agents", DataTable).add_columns(*AGENT_COLUMNS)
        self.widget("#runs", DataTable).add_columns("run", "status", "node", "gate")
        self.widget("#merges", DataTable).add_columns("id", "status", "branch", "who")
        self.widget("#agents", DataTable).border_title = "agents"
        self.widget("#preview", Static).border_title = "screen"
        self.widget("#runs", DataTable).border_title = "pipeline runs"
        self.widget("#merges", DataTable).border_title = "merge queue"
        self.widget("#events", RichLog).border_title = "events"
        self.widget("#agents", DataTable).focus()
        self.action_refresh()
        self.set_interval(self.refresh_s, self.action_refresh)

    def widget(self, selector: str, kind: type[W]) -> W:
        """A widget of the fleet view, even while a pop-up screen is on top of it."""
        return self.screen_stack[0].query_one(selector, kind)

    # -- data -----------------------------------------------------------------------------
    @property
    def selected(self) -> AgentRow | None:
        try:
            table = self.widget("#agents", DataTable)
        except (IndexError, NoMatches):  # the app is closing
            return None
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def action_refresh(self) -> None:
        self._take(self.selected.identity if self.selected else None)

    @work(thread=True, exclusive=True, group="snapshot")
    def _take(self, selected: str | None) -> None:
        snapshot = take_snapshot(self.ctx, self.fleet, probe=self.probe)
        preview = self._capture(snapshot, selected)
        self.call_from_thread(self.show_snapshot, snapshot, preview)

    def _capture(self, snapshot: Snapshot, identity: str | None) -> tuple[str, str]:
        row = next((r for r in snapshot.agents if r.identity == identity), None)
        row = row or (snapshot.agents[0] if snapshot.agents else None)
        if row is None:
            return "", "no agents yet"
        try:
            return row.identity, self.fleet.capture(row.role, row.name, PREVIEW_LINES)
        except Exception as exc:  # noqa: BLE001 - a dead session has no screen to show
            return row.identity, f"({exc})"

    def show_snapshot(self, snapshot: Snapshot, preview: tuple[str, str]) -> None:
        with contextlib.suppress(IndexError, NoMatches):  # the app may be closing
            self._show(snapshot, preview)

    def _show(self, snapshot: Snapshot, preview: tuple[str, str]) -> None:
        self.snapshot = snapshot
        self._render_agents()
        self._render_preview(*preview)
        self._render_runs()
        self._render_merges()
        log = self.widget("#events", RichLog)
        for event in snapshot.events:
            if event.id > self.last_event_id:
                log.write(Text(f"{event.id:>6} {event.kind:<26} {event.subject} {event.summary}"))
                self.last_event_id = event.id
        problems = "; ".join(snapshot.problems)
        if problems:
            self._say(problems)

    def _render_agents(self) -> None:
        table = self.widget("#agents", DataTable)
        keep = self.selected.identity if self.selected else None
        self.shown = apply(self.snapshot.agents, self.filter_query)
        table.clear()
        for row in self.shown:
            table.add_row(*agent_cells(row), key=row.identity)
        index = next((i for i, r in enumerate(self.shown) if r.identity == keep), 0)
        if self.shown:
            table.move_cursor(row=index)
        total = len(self.snapshot.agents)
        table.border_title = f"agents {len(self.shown)}/{total}"

    def _render_preview(self, identity: str, screen: str) -> None:
        with contextlib.suppress(IndexError, NoMatches):  # the app may be closing
            self._preview(identity, screen)

    def _preview(self, identity: str, screen: str) -> None:
        widget = self.widget("#preview", Static)
        widget.border_title = f"screen of {identity}" if identity else "screen"
        lines = screen.rstrip().splitlines()
        while lines and not lines[0].strip():
            lines.pop(0)
        self.preview = (identity, "\n".join(lines))
        height = max(1, widget.size.height - 2) if widget.size.height else PREVIEW_LINES
        widget.update(Text("\n".join(lines[-height:])))

    def _render_runs(self) -> None:
        table = self.widget("#runs", DataTable)
        table.clear()
        for run in self.snapshot.runs:
            gate = f"{run.gate.node}: {'/'.join(run.gate.choices)}" if run.gate else ""
            status = Text(run.status, style="bold magenta" if run.gate else "")
            table.add_row(run.run_id, status, run.current_node or "-", gate, key=run.run_id)
        waiting = len(self.snapshot.gates)
        table.border_title = "pipeline runs" + (f" ({waiting} at a gate)" if waiting else "")

    def _render_merges(self) -> None:
        table = self.widget("#merges", DataTable)
        table.clear()
        waiting = 0
        for mr in self.snapshot.merges:
            held = mr.status == "awaiting_approval"
            waiting += held
            status = Text(mr.status, style="bold magenta" if held else "")
            table.add_row(mr.id, status, mr.branch, mr.identity or "-", key=mr.id)
        table.border_title = "merge queue" + (
            f" ({waiting} awaiting approval: p)" if waiting else ""
        )

    def _say(self, message: str) -> None:
        self.outcomes.append(message)
        with contextlib.suppress(IndexError, NoMatches):
            self.widget("#outcome", Static).update(Text(message))

    # -- search ---------------------------------------------------------------------------
    def action_search(self) -> None:
        self.widget("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.widget("#agents", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.filter_query = parse_query(event.value)
            self._render_agents()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.widget("#agents", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "agents" and self.snapshot.taken_at:
            self._preview_now(self.selected.identity if self.selected else None)

    @work(thread=True, exclusive=True, group="preview")
    def _preview_now(self, identity: str | None) -> None:
        preview = self._capture(self.snapshot, identity)
        self.call_from_thread(self._render_preview, *preview)

    # -- actions --------------------------------------------------------------------------
    def _agent(self) -> AgentRow | None:
        row = self.selected
        if row is None:
            self._say("no agent selected")
        return row

    @work(thread=True, group="actions")
    def perform(self, action: actions.Action) -> actions.Outcome:
        self.call_from_thread(self._say, f"{action.shown} …")
        outcome = actions.run(action, self.project_root, self.env)
        self.call_from_thread(self._say, outcome.message)
        self.call_from_thread(self.action_refresh)
        return outcome

    def action_nudge(self) -> None:
        if row := self._agent():
            self.perform(actions.nudge(row.identity))

    def action_stop(self) -> None:
        self._confirmed("stop", actions.stop)

    def action_restart(self) -> None:
        self._confirmed("restart", actions.restart)

    def _confirmed(self, verb: str, build: Any) -> None:
        if (row := self._agent()) is None:
            return
        identity = row.identity

        def done(yes: bool | None) -> None:
            if yes:
                self.perform(build(identity))

        self.push_screen(Confirm(f"{verb} {identity}?"), done)

    def action_send(self) -> None:
        self._ask("message to {}", actions.send)

    def action_choose(self) -> None:
        if (row := self._agent()) is None:
            return
        identity = row.identity

        def done(text: str | None) -> None:
            if text:
                self.perform(actions.answer(identity, text))

        self.push_screen(Prompt(f"answer {identity}: an option's number or label, or keys"), done)

    def _ask(self, title: str, build: Any) -> None:
        if (row := self._agent()) is None:
            return
        identity = row.identity

        def done(text: str | None) -> None:
            if text:
                self.perform(build(identity, text))

        self.push_screen(Prompt(title.format(identity)), done)

    def action_answer(self, reply: str) -> None:
        if row := self._agent():
            self.perform(actions.answer(row.identity, reply))

    def action_enqueue(self) -> None:
        if (row := self._agent()) is None:
            return
        branch = actions.branch_of(row.worktree or "")
        if branch is None:
            self._say(f"{row.identity} has no branch to enqueue")
            return
        self.perform(actions.enqueue(branch, row.identity, row.work_id))

    def action_diff(self) -> None:
        if row := self._agent():
            self._diff(row)

    @work(thread=True, group="diff")
    def _diff(self, row: AgentRow) -> None:
        text = actions.diff(self.ctx, row.worktree)
        self.call_from_thread(self.push_screen, TextView(f"{row.identity}: diff", text))

    def action_approve_merge(self) -> None:
        """Approve the selected merge request (or the first one) awaiting approval."""
        waiting = [m for m in self.snapshot.merges if m.status == "awaiting_approval"]
        if not waiting:
            self._say("no merge request awaits approval")
            return
        table = self.widget("#merges", DataTable)
        merges = self.snapshot.merges
        cursor = table.cursor_row
        chosen = merges[cursor] if 0 <= cursor < len(merges) else None
        mr = chosen if chosen in waiting else waiting[0]

        def done(yes: bool | None) -> None:
            if yes:
                self.perform(actions.approve_merge(mr.id))

        question = f"approve {mr.id}: {mr.branch} → {mr.target}? (diff: bosun mr diff {mr.id})"
        self.push_screen(Confirm(question), done)

    def action_gate(self) -> None:
        gates = self.snapshot.gates
        if not gates:
            self._say("no run waits at a human gate")
            return
        table = self.widget("#runs", DataTable)
        run = next(
            (r for i, r in enumerate(self.snapshot.runs) if i == table.cursor_row and r.gate),
            gates[0],
        )
        gate = run.gate
        assert gate is not None

        def done(choice: str | None) -> None:
            if choice:
                self.perform(actions.gate_answer(run.run_id, gate.node, choice))

        title = f"{run.run_id} asks: {gate.question}  [{' / '.join(gate.choices)}]"
        self.push_screen(Prompt(title, placeholder=gate.choices[0] if gate.choices else ""), done)

    def action_attach(self) -> None:
        if (row := self._agent()) is None:
            return
        outcome = actions.run(actions.attach_command(row.identity), self.project_root, self.env)
        data = outcome.data if isinstance(outcome.data, dict) else {}
        argv = data.get("command")
        if not outcome.ok or not argv:
            self._say(outcome.message)
            return
        # `tmux attach` refuses to nest inside another tmux client unless TMUX is unset.
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        try:
            with self.suspend():
                subprocess.run(argv, check=False, env=env)
        except SuspendNotSupported:
            self._say(f"this terminal cannot be suspended; run: {' '.join(argv)}")
            return
        self._say(f"back from {row.identity}")
        self.action_refresh()
