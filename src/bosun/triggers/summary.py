"""The texts a trigger types: the wake-up line for a live session, the thread summary that is
a spawned session's first prompt. Pure functions of records; sanitised by the caller."""

from __future__ import annotations

from bosun.core.records import Hook
from bosun.core.threads import Message, Thread

BODY_EXCERPT = 600


def wake_text(
    thread: Thread, target: str, unread: int, latest: Message | None, reason: str | None = None
) -> str:
    """One line: what is waiting and the command that reads it."""
    what = f"{unread} unread message{'s' if unread != 1 else ''}" if unread > 0 else "a request"
    parts = [f'[bosun] {what} for you in thread {thread.id} "{thread.title}"']
    if latest is not None:
        parts.append(f"(latest #{latest.seq} from {latest.author})")
    if reason:
        parts.append(f"- {reason}")
    parts.append(f"- read with: bosun thread read {thread.id} --as {target}")
    return " ".join(parts)


def thread_summary(
    thread: Thread,
    target: str,
    messages: list[Message],
    hook: Hook | None,
    reason: str | None = None,
) -> str:
    """The first prompt of a session spawned to answer a thread."""
    lines = [
        f"You are {target}. bosun started this session because thread {thread.id} "
        f'"{thread.title}" is waiting for you.',
    ]
    if reason:
        lines.append(f"Why: {reason}")
    if hook is not None:
        lines.append(
            f"Your hook: work {hook.work_id} ({hook.summary or 'no summary'}), phase {hook.phase}."
        )
        if hook.checkpoint_note:
            lines.append(f"Last checkpoint: {hook.checkpoint_note}")
        if hook.resumption:
            lines.append(f"Resumption instructions: {hook.resumption}")
    else:
        lines.append("You have no work on your hook.")
    if messages:
        lines.append(f"Recent messages in the thread (oldest first, {len(messages)} shown):")
        for message in messages:
            body = (
                message.body
                if len(message.body) <= BODY_EXCERPT
                else (message.body[:BODY_EXCERPT] + " …")
            )
            lines.append(f"  #{message.seq} {message.author}: {body}")
    lines.append(f"Read the whole thread: bosun thread read {thread.id} --as {target}")
    lines.append(f"Reply: bosun thread post {thread.id} TEXT --as {target}")
    return "\n".join(lines)
