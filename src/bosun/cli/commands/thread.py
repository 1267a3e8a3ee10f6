"""`bosun thread …`: conversations between agents and people, with read cursors."""

from __future__ import annotations

from typing import Any

import typer

from bosun.base.names import split_identity
from bosun.cli.common import JSON, output, project, read_text_arg, self_identity, table

app = typer.Typer(
    help="Threads: messages between participants, with read cursors.", no_args_is_help=True
)

AS = typer.Option(
    None,
    "--as",
    help="Act as this participant (ROLE/NAME); default: $BOSUN_IDENTITY, else you as the operator.",
)


def _threads() -> Any:
    from bosun.core.threads import Threads  # lazy: CLI start-up time

    return Threads(project())


def _actor(value: str | None) -> str | None:
    if value is not None:
        role, name = split_identity(value)
        return f"{role}/{name}"
    me = self_identity()
    return f"{me[0]}/{me[1]}" if me else None


def _visible(text: str) -> str:
    """Control characters are stored as written; on a terminal they are shown escaped."""
    return "".join(c if c in "\n\t" or (c.isprintable()) else repr(c)[1:-1] for c in text)


@app.command("create")
def create(
    title: str,
    participant: list[str] = typer.Option(
        [],
        "--participant",
        "-p",
        help="ROLE/NAME of a participant (repeatable); person/NAME or operator/NAME for people.",
    ),
    as_: str = AS,
    as_json: bool = JSON,
) -> None:
    """Start a thread with the given participants."""
    ctx = project()
    thread = _threads().create(
        title,
        list(participant),
        created_by=_actor(as_),
        project=ctx.config.text("threads.project"),
    )
    output(thread, as_json, f"{thread.id}  {thread.title}")


@app.command("post")
def post(
    thread: str,
    text: str = typer.Argument(..., help="The message; - reads standard input."),
    as_: str = AS,
    as_json: bool = JSON,
) -> None:
    """Append a message to a thread (the author's cursor moves past it)."""
    message = _threads().post(thread, read_text_arg(text), author=_actor(as_))
    output(message, as_json, f"{message.thread_id} #{message.seq} posted by {message.author}")


@app.command("read")
def read(
    thread: str,
    as_: str = AS,
    peek: bool = typer.Option(False, "--peek", help="Do not advance the read cursor."),
    as_json: bool = JSON,
) -> None:
    """Show unread messages (all messages for the operator) and advance the cursor."""
    reader = _actor(as_)
    messages, cursor = _threads().read(thread, reader, advance=not peek)
    if as_json:
        output(
            {
                "thread_id": thread,
                "reader": reader,
                "cursor": cursor,
                "messages": [m.to_json() for m in messages],
            },
            True,
        )
        return
    if not messages:
        output(None, False, "(no unread messages)")
        return
    output(None, False, "\n".join(f"#{m.seq} {m.author}: {_visible(m.body)}" for m in messages))


@app.command("list")
def list_(
    unread_for: str = typer.Option(
        None, "--unread-for", help="Only threads where ROLE/NAME has unread messages."
    ),
    status: str = typer.Option(None, "--status", help="open or closed."),
    as_json: bool = JSON,
) -> None:
    """List threads (or, with --unread-for, a participant's unread counts)."""
    threads = _threads()
    if unread_for is not None:
        views = threads.unread_for(unread_for)
        output(
            views,
            as_json,
            lambda vs: table(
                ((v.thread_id, v.unread, v.last_seq, v.thread_status, v.title) for v in vs),
                ("THREAD", "UNREAD", "LAST", "STATUS", "TITLE"),
            ),
        )
        return
    found = threads.list(status=status)
    output(
        found,
        as_json,
        lambda ts: table(
            ((t.id, t.status, t.last_seq, t.created_by, t.title) for t in ts),
            ("THREAD", "STATUS", "MESSAGES", "CREATED BY", "TITLE"),
        ),
    )


@app.command("participants")
def participants(thread: str, as_json: bool = JSON) -> None:
    """List a thread's participants and their read cursors."""
    threads = _threads()
    last = threads.get(thread).last_seq
    found = threads.participants(thread)
    output(
        found,
        as_json,
        lambda ps: table(
            ((p.ref, p.kind, p.read_seq, last - p.read_seq) for p in ps),
            ("PARTICIPANT", "KIND", "READ", "UNREAD"),
        ),
    )


@app.command("join")
def join(thread: str, participant: str, as_json: bool = JSON) -> None:
    """Add a participant to a thread."""
    found = _threads().add_participant(thread, participant)
    output(found, as_json, f"{found.ref} is a participant of {thread}")


@app.command("close")
def close(thread: str, as_: str = AS, as_json: bool = JSON) -> None:
    """Close a thread: no more messages, no more triggers."""
    found = _threads().close(thread, by=_actor(as_))
    output(found, as_json, f"{found.id} {found.status}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="thread")
